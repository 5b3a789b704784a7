package authentik

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"akship/agent"
	"akship/agent/state"
)

// runOnce reads an events input until it is caught up, acknowledging every
// batch, and returns the shipped ids in order.
func runOnce(t *testing.T, srv *httptest.Server, store *state.Store, cfg EventsConfig) []string {
	t.Helper()
	return runOnceWith(t, srv, cfg, InputOptions{Once: true, Store: store})
}

// runOnceWith is runOnce with the input's options (Once and Store set).
func runOnceWith(t *testing.T, srv *httptest.Server, cfg EventsConfig, opts InputOptions) []string {
	t.Helper()
	in := NewEvents(cfg, testClient(t, srv), opts)
	ctx := testContext(t)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		b, err := in.Read(ctx)
		if errors.Is(err, agent.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Events {
			ids = append(ids, e.ID)
		}
		b.Ack(ctx, nil)
	}
	if err := in.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return ids
}

// readPages starts in and reads n batches, acknowledging each (a run
// interrupted after n acknowledged pages), and returns their event ids.
func readPages(t *testing.T, in *EventsInput, n int) []string {
	t.Helper()
	ctx := testContext(t)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		b, err := in.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Events {
			ids = append(ids, e.ID)
		}
		b.Ack(ctx, nil)
	}
	return ids
}

func testEventsConfig(pageSize int) EventsConfig {
	c := DefaultEventsConfig()
	c.PageSize = pageSize
	c.Overlap = 10 * time.Second // the fake's events are a second apart
	return c
}

// assertExactlyOnce checks that ids has no duplicate and holds every want.
func assertExactlyOnce(t *testing.T, ids []string, want map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("event %s shipped twice", id)
		}
		seen[id] = true
	}
	missing := 0
	for id := range want {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d events were never shipped", missing, len(want))
	}
}

func present(f *fakeEvents) map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]bool{}
	for _, e := range f.events {
		m[e.PK] = true
	}
	return m
}

func TestEventsBackfillThenIncremental(t *testing.T) {
	f := newFakeEvents(1234)
	srv := httptest.NewServer(f)
	defer srv.Close()
	store := testStore(t, "")
	cfg := testEventsConfig(50)

	ids := runOnce(t, srv, store, cfg)
	if len(ids) != 1234 {
		t.Fatalf("backfill shipped %d events, want 1234", len(ids))
	}
	assertExactlyOnce(t, ids, present(f))

	f.requests = 0
	if again := runOnce(t, srv, store, cfg); len(again) != 0 {
		t.Fatalf("a second run shipped %d events again", len(again))
	}
	if f.requests != 1 {
		t.Errorf("an idle poll made %d requests, want 1", f.requests)
	}

	f.mu.Lock()
	for i := 0; i < 30; i++ {
		f.add("new-"+string(rune('a'+i)), fakeBase.Add(time.Hour+time.Duration(i)*time.Second))
	}
	f.requests = 0
	f.mu.Unlock()
	ids = runOnce(t, srv, store, cfg)
	if len(ids) != 30 {
		t.Fatalf("incremental poll shipped %d events, want 30", len(ids))
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "new-") {
			t.Errorf("incremental poll shipped old event %s", id)
		}
	}
	if f.requests > 2 {
		t.Errorf("incremental poll of 30 events made %d requests, want at most 2", f.requests)
	}
}

func TestEventsLiveChangesDuringWalk(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *fakeEvents, req int)
	}{
		{"inserts at the top", func(f *fakeEvents, req int) {
			for i := 0; i < 7; i++ {
				f.add("ins-"+time.Duration(req*10+i).String(), fakeBase.Add(time.Hour+time.Duration(req*10+i)*time.Millisecond))
			}
		}},
		{"expiry of the oldest", func(f *fakeEvents, _ int) {
			for i := 0; i < 5 && len(f.events) > 0; i++ {
				f.remove(len(f.events) - 1)
			}
		}},
		{"deletions above the position", func(f *fakeEvents, req int) {
			// Delete rows the walk has passed, shifting unread rows back.
			if i := (req-1)*50 - 10; req > 1 && i+1 < len(f.events) {
				f.remove(i)
				f.remove(i)
			}
		}},
		{"inserts and expiry together", func(f *fakeEvents, req int) {
			f.add("ins-"+time.Duration(req).String(), fakeBase.Add(time.Hour+time.Duration(req)*time.Second))
			f.remove(len(f.events) - 1)
			f.remove(len(f.events) - 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEvents(2000)
			req := 0
			f.before = func(f *fakeEvents, _ http.ResponseWriter, _ *http.Request) bool {
				req++
				tt.mutate(f, req)
				return false
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			store := testStore(t, "")
			ids := runOnce(t, srv, store, testEventsConfig(50))
			f.mu.Lock()
			f.before = nil
			f.mu.Unlock()
			// A second poll collects what arrived during the first.
			ids = append(ids, runOnce(t, srv, store, testEventsConfig(50))...)
			assertExactlyOnce(t, ids, present(f))
		})
	}
}

func TestEventsLateEventWithinOverlap(t *testing.T) {
	f := newFakeEvents(300)
	srv := httptest.NewServer(f)
	defer srv.Close()
	store := testStore(t, "")
	cfg := testEventsConfig(100)
	runOnce(t, srv, store, cfg)
	newest := fakeBase.Add(299 * time.Second)
	f.mu.Lock()
	f.add("late", newest.Add(-5*time.Second)) // written late by a skewed clock
	f.add("fresh", newest.Add(time.Second))
	f.mu.Unlock()
	ids := runOnce(t, srv, store, cfg)
	if strings.Join(ids, ",") != "fresh,late" {
		t.Fatalf("shipped %v, want [fresh late]", ids)
	}
}

func TestEventsCursorWaitsForAcks(t *testing.T) {
	f := newFakeEvents(500)
	srv := httptest.NewServer(f)
	defer srv.Close()
	store := testStore(t, "")
	in := NewEvents(testEventsConfig(100), testClient(t, srv), InputOptions{Once: true, Store: store})
	ctx := testContext(t)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var batches []agent.Batch
	for {
		b, err := in.Read(ctx)
		if errors.Is(err, agent.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	if len(batches) != 5 {
		t.Fatalf("got %d batches, want 5", len(batches))
	}
	load := func() eventsCursor {
		var c eventsCursor
		if _, err := store.Load("events", &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Acknowledge out of order: nothing may be committed before page 1.
	batches[2].Ack(ctx, nil)
	batches[4].Ack(ctx, nil)
	if _, err := os.Stat(store.Path("events")); err == nil {
		t.Fatal("a cursor was saved before the first page was acknowledged")
	}
	batches[0].Ack(ctx, nil)
	if c := load(); c.Walk == nil || c.Walk.Page != 1 {
		t.Fatalf("after page 1 the cursor is %+v, want walk at page 1", c.Walk)
	}
	batches[1].Ack(ctx, nil)
	if c := load(); c.Walk == nil || c.Walk.Page != 3 {
		t.Fatalf("after pages 1-3 the cursor is %+v, want walk at page 3", c.Walk)
	}
	batches[3].Ack(ctx, nil)
	if c := load(); c.Walk != nil || !c.Watermark.Equal(fakeBase.Add(499*time.Second)) {
		t.Fatalf("after all pages the cursor is %+v, want a completed walk", c)
	}
}

func TestEventsResumeInterruptedWalk(t *testing.T) {
	f := newFakeEvents(1000)
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	store := testStore(t, dir)
	in := NewEvents(testEventsConfig(100), testClient(t, srv), InputOptions{Once: true, Store: store})
	first := readPages(t, in, 4) // four pages acknowledged, then a crash
	store.Close()

	f.mu.Lock()
	for i := 0; i < 250; i++ { // authentik kept writing while we were down
		f.add("down-"+time.Duration(i).String(), fakeBase.Add(2*time.Hour+time.Duration(i)*time.Second))
	}
	f.requests = 0
	f.mu.Unlock()
	store2 := testStore(t, dir)
	rest := runOnce(t, srv, store2, testEventsConfig(100))
	if f.requests > 10 {
		t.Errorf("resuming made %d requests; it should skip the re-read pages", f.requests)
	}
	rest = append(rest, runOnce(t, srv, store2, testEventsConfig(100))...)
	assertExactlyOnce(t, append(first, rest...), present(f))
}

func TestEventsStartNow(t *testing.T) {
	f := newFakeEvents(100)
	srv := httptest.NewServer(f)
	defer srv.Close()
	store := testStore(t, "")
	cfg := testEventsConfig(50)
	cfg.Start = fakeBase.Add(90 * time.Second).Format(time.RFC3339)
	if ids := runOnce(t, srv, store, cfg); len(ids) != 10 {
		t.Fatalf("start at event 90 shipped %d events, want 10", len(ids))
	}
}

func TestEventsRejectedTokenStopsInput(t *testing.T) {
	f := newFakeEvents(10)
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := testClient(t, srv)
	c.token = "wrong"
	in := NewEvents(testEventsConfig(50), c, InputOptions{Store: testStore(t, "")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := in.Read(ctx)
	if err == nil || !agent.IsPermanent(err) || !strings.Contains(err.Error(), "rejected the token") {
		t.Fatalf("Read error = %v, want a permanent token error", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error leaks the token: %v", err)
	}
	if f.requests != 1 {
		t.Errorf("a rejected token was tried %d times; it must not be retried", f.requests)
	}
	if !in.Status().Stopped {
		t.Error("status does not report the input stopped")
	}
}

func TestEventsTransientFailuresRecover(t *testing.T) {
	tests := []struct {
		name string
		fail func(w http.ResponseWriter)
	}{
		{"500 html", func(w http.ResponseWriter) { w.WriteHeader(500); _, _ = w.Write([]byte("<h1>Server Error</h1>")) }},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(503) }},
		{"truncated JSON", func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"pagination": {"next": 2, "coun`)) }},
		{"not a page", func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"detail": "maintenance"}`)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEvents(250)
			n := 0
			f.before = func(_ *fakeEvents, w http.ResponseWriter, _ *http.Request) bool {
				n++
				if n%2 == 1 { // every other request fails
					tt.fail(w)
					return true
				}
				return false
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			ids := runOnce(t, srv, testStore(t, ""), testEventsConfig(100))
			assertExactlyOnce(t, ids, present(f))
		})
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	f := newFakeEvents(5)
	var first time.Time
	var gap time.Duration
	f.before = func(_ *fakeEvents, w http.ResponseWriter, _ *http.Request) bool {
		if first.IsZero() {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"detail": "Request was throttled. Expected available in 1 second."}`))
			return true
		}
		if gap == 0 {
			gap = time.Since(first)
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ids := runOnce(t, srv, testStore(t, ""), testEventsConfig(50))
	if len(ids) != 5 {
		t.Fatalf("shipped %d events, want 5", len(ids))
	}
	if gap < 900*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

func TestUntrustedCertificateStopsInput(t *testing.T) {
	f := newFakeEvents(10)
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	in := NewEvents(testEventsConfig(50), testClient(t, srv), InputOptions{Once: true, Store: testStore(t, "")})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := in.Read(ctx)
	if !agent.IsPermanent(err) || !strings.Contains(err.Error(), "authentik.tls.ca_file") {
		t.Fatalf("Read error = %v, want a permanent certificate error naming authentik.tls.ca_file", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a certificate error took %v to report; it must not be retried", took)
	}
}
