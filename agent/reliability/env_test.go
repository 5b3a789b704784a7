package reliability_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// The data streams akship writes to with the default namespace.
const (
	eventStream = "logs-authentik.event-default"
	userStream  = "logs-authentik.user-default"
	groupStream = "logs-authentik.group-default"
)

// testToken is the authentik token of most tests.
const testToken = "reliability-t0ken-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ" // as long as authentik's

// gateMode is how the authentik front answers.
type gateMode int32

const (
	gateOpen     gateMode = iota // pass to the simulator
	gateSlow                     // answer after gate.slow (beyond the client's timeout)
	gateThrottle                 // 429 with Retry-After: 1
	gateTruncate                 // 200 with half the simulator's body
)

// simServer is the simulator behind a listener that can be stopped and
// started again on the same port, and a gate that can make it misbehave.
type simServer struct {
	sim  *simulator.Simulator
	addr string
	URL  string

	mode     atomic.Int32
	slow     time.Duration
	requests atomic.Int64 // requests that reached the gate

	mu  sync.Mutex
	srv *http.Server
}

// startSim generates a simulator and serves it on a loopback port.
func startSim(t *testing.T, o simulator.Options) *simServer {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	sim, err := simulator.New(o)
	if err != nil {
		t.Fatal(err)
	}
	s := &simServer{sim: sim, slow: 3 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *simServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: s, ErrorLog: log.New(io.Discard, "", 0)}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection: authentik is down.
func (s *simServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// restart listens on the same port again.
func (s *simServer) restart(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listening on %s again: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *simServer) setMode(m gateMode) { s.mode.Store(int32(m)) }

func (s *simServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	switch gateMode(s.mode.Load()) {
	case gateSlow:
		select {
		case <-time.After(s.slow):
		case <-r.Context().Done():
			return
		}
	case gateThrottle:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"detail": "Request was throttled. Expected available in 1 second."}`)
		return
	case gateTruncate:
		rec := httptest.NewRecorder()
		s.sim.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	s.sim.ServeHTTP(w, r)
}

// eventTruth is what the test knows of every event: its created time.
type eventTruth struct {
	created map[string]time.Time
	// byCreated is every pk, oldest first (ties by pk).
	byCreated []string
}

// readTruth lists every stored event straight from the simulator's handler
// (no faults: call it before enabling them).
func readTruth(t *testing.T, sim *simulator.Simulator, token string) *eventTruth {
	t.Helper()
	n := sim.CountEvents()
	tr := &eventTruth{created: map[string]time.Time{}}
	// Page through: authentik 2026.2+ serves at most 100 per page.
	for pageNo := 1; ; pageNo++ {
		req := httptest.NewRequest(http.MethodGet,
			fmt.Sprintf("/api/v3/events/events/?ordering=created,pk&page_size=%d&page=%d", max(n, 1), pageNo), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("listing the simulator's events: %d %s", rec.Code, rec.Body.String())
		}
		var page struct {
			Pagination struct {
				Next int `json:"next"`
			} `json:"pagination"`
			Results []struct {
				PK      string `json:"pk"`
				Created string `json:"created"`
			} `json:"results"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Results {
			c, err := time.Parse(time.RFC3339Nano, r.Created)
			if err != nil {
				t.Fatal(err)
			}
			tr.created[r.PK] = c.UTC()
			tr.byCreated = append(tr.byCreated, r.PK)
		}
		if page.Pagination.Next == 0 {
			break
		}
	}
	if len(tr.byCreated) != n {
		t.Fatalf("listed %d events, the simulator holds %d", len(tr.byCreated), n)
	}
	sort.SliceStable(tr.byCreated, func(i, j int) bool {
		a, b := tr.created[tr.byCreated[i]], tr.created[tr.byCreated[j]]
		if !a.Equal(b) {
			return a.Before(b)
		}
		return tr.byCreated[i] < tr.byCreated[j]
	})
	return tr
}

// startES starts an Elasticsearch double on a loopback port.
func startES(t *testing.T) *esdoubletest.Server { return esdoubletest.Start(t) }

// docEventID reads event.id from a stored document.
func docEventID(src json.RawMessage) string {
	var d struct {
		Event struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	_ = json.Unmarshal(src, &d)
	return d.Event.ID
}

// deliveryReport is what checkExactlyOnce found.
type deliveryReport struct {
	docs, missing, unexpected, idMismatch, sharedEventID int
}

// checkExactlyOnce checks that every pk in want is in the event stream,
// under _id = pk = event.id, and that no event.id appears under two _ids.
// With exact, documents other than want are errors too.
func checkExactlyOnce(t *testing.T, es *esdoubletest.Server, want []string, exact bool) deliveryReport {
	t.Helper()
	docs := es.Docs(eventStream)
	var r deliveryReport
	r.docs = len(docs)
	byEventID := map[string]string{}
	ids := map[string]bool{}
	for _, d := range docs {
		ids[d.ID] = true
		eid := docEventID(d.Source)
		if eid != d.ID {
			r.idMismatch++
			if r.idMismatch <= 3 {
				t.Errorf("document _id %s has event.id %q", d.ID, eid)
			}
		}
		if other, ok := byEventID[eid]; ok && other != d.ID {
			r.sharedEventID++
			t.Errorf("event.id %s is stored under two _ids: %s and %s", eid, other, d.ID)
		}
		byEventID[eid] = d.ID
	}
	wanted := map[string]bool{}
	for _, pk := range want {
		wanted[pk] = true
		if !ids[pk] {
			r.missing++
			if r.missing <= 5 {
				t.Errorf("event %s is not in Elasticsearch", pk)
			}
		}
	}
	if exact {
		for id := range ids {
			if !wanted[id] {
				r.unexpected++
				if r.unexpected <= 5 {
					t.Errorf("document %s is not one of the expected events", id)
				}
			}
		}
	}
	if r.missing > 0 {
		t.Errorf("%d of %d events missing from Elasticsearch", r.missing, len(want))
	}
	return r
}

// checkNoDeadLetters fails when the dead-letter file holds anything.
func checkNoDeadLetters(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 {
		t.Errorf("the dead-letter file %s holds %d bytes:\n%s", path, len(b), tail(string(b), 5))
	}
}

// getURL fetches a URL and returns the status and body (0 on error).
func getURL(ctx context.Context, u string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// env is the usual per-test setup: a directory, a state directory, the
// token in the environment.
type env struct {
	dir, state, dlq string
	vars            []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{dir: dir, state: filepath.Join(dir, "state"), dlq: filepath.Join(dir, "state", "dead-letter.ndjson"),
		vars: []string{"AKSHIP_TEST_TOKEN=" + testToken}}
}

// itoa is strconv.Itoa, for building configurations.
func itoa(n int) string { return strconv.Itoa(n) }

// readFileIfExists reads a file; a missing file is nil, nil.
func readFileIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
