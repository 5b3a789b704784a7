package authentik

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"akship/agent/state"
)

// fakeEvents is a minimal authentik events endpoint for targeted tests: the
// events are kept newest first and a hook may change them before each page
// is served (the simulator package covers full fidelity).
type fakeEvents struct {
	mu       sync.Mutex
	events   []fakeEvent // sorted by created desc, pk desc
	requests int
	// before runs (locked) before a request is answered; it may mutate
	// events or answer itself by returning true.
	before func(f *fakeEvents, w http.ResponseWriter, r *http.Request) bool
}

type fakeEvent struct {
	PK      string
	Created time.Time
	// Garbled events are sent with an unreadable created time (the fake
	// still orders and filters them by Created).
	Garbled bool
}

var fakeBase = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// newFakeEvents holds n events one second apart, the newest last-numbered.
func newFakeEvents(n int) *fakeEvents {
	f := &fakeEvents{}
	for i := 0; i < n; i++ {
		f.add(fmt.Sprintf("ev-%06d", i), fakeBase.Add(time.Duration(i)*time.Second))
	}
	return f
}

// add inserts an event at its sorted position. Call with mu held or
// before serving.
func (f *fakeEvents) add(pk string, created time.Time) {
	f.events = append(f.events, fakeEvent{PK: pk, Created: created})
	sort.SliceStable(f.events, func(i, j int) bool {
		a, b := f.events[i], f.events[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.After(b.Created)
		}
		return a.PK > b.PK
	})
}

// remove deletes the event at index i (0 = newest).
func (f *fakeEvents) remove(i int) { f.events = append(f.events[:i], f.events[i+1:]...) }

func (f *fakeEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if r.Header.Get("Authorization") != "Bearer secret-token" {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"detail": "Token invalid/expired"}`))
		return
	}
	if f.before != nil && f.before(f, w, r) {
		return
	}
	writeFakePage(w, r, f.events)
}

// writeFakePage answers r with its page of events in the order given, as
// authentik does. An event marked Garbled is sent with an unreadable
// created time.
func writeFakePage(w http.ResponseWriter, r *http.Request, events []fakeEvent) {
	page, size := 1, 100
	if p := r.URL.Query().Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	if s, err := strconv.Atoi(r.URL.Query().Get("page_size")); err == nil && s > 0 {
		size = s
	}
	n := len(events)
	pages := max(1, (n+size-1)/size)
	if page < 1 || page > pages {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail": "Invalid page."}`))
		return
	}
	lo, hi := (page-1)*size, min(page*size, n)
	next := 0
	if page < pages {
		next = page + 1
	}
	results := make([]json.RawMessage, 0, hi-lo)
	for _, e := range events[lo:hi] {
		created := e.Created.Format(time.RFC3339Nano)
		if e.Garbled {
			created = "not a time"
		}
		results = append(results, json.RawMessage(fmt.Sprintf(
			`{"pk":%q,"user":{},"action":"login","app":"authentik.events.signals","context":{},"client_ip":null,"created":%q,"expires":%q,"brand":{}}`,
			e.PK, created, e.Created.AddDate(1, 0, 0).Format(time.RFC3339Nano))))
	}
	body, _ := json.Marshal(map[string]any{
		"pagination": map[string]int{"next": next, "previous": page - 1, "count": n, "current": page,
			"total_pages": pages, "start_index": min(lo+1, n), "end_index": hi},
		"results": results,
	})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// testContext bounds a test's reads: an input that stops making progress
// fails the test with a deadline error instead of hanging the run.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testClient returns a client for srv with fast retries.
func testClient(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	cfg := DefaultClientConfig()
	cfg.URL, cfg.Token = srv.URL, "secret-token"
	cfg.BackoffInitial, cfg.BackoffMax, cfg.MaxRetries = time.Millisecond, 5*time.Millisecond, 3
	c, err := NewClient(cfg, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testStore(t *testing.T, dir string) *state.Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
