package authentik

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"akship/inputs/authentik/simulator"
)

func TestServedPageSize(t *testing.T) {
	tests := []struct {
		p     Pagination
		size  int
		known bool
	}{
		{Pagination{Next: 2, Count: 950, Current: 1, TotalPages: 10, StartIndex: 1, EndIndex: 100}, 100, true},
		{Pagination{Next: 0, Previous: 9, Count: 950, Current: 10, TotalPages: 10, StartIndex: 901, EndIndex: 950}, 100, true},
		{Pagination{Next: 0, Count: 30, Current: 1, TotalPages: 1, StartIndex: 1, EndIndex: 30}, 0, false},
		{Pagination{Count: 0, Current: 1, TotalPages: 1}, 0, false},
	}
	for _, tt := range tests {
		if size, known := tt.p.served(); size != tt.size || known != tt.known {
			t.Errorf("%+v: served %d, %v; want %d, %v", tt.p, size, known, tt.size, tt.known)
		}
	}
	if got := repage(11, 100, 500); got != 3 { // records 1000.. are on page 3 of 500
		t.Errorf("repage(11, 100, 500) = %d, want 3", got)
	}
	if got := repage(3, 500, 100); got != 11 {
		t.Errorf("repage(3, 500, 100) = %d, want 11", got)
	}
}

// TestOffsetWalkResumesOnClampedPages: asking for pages of 500 from
// authentik 2026.2 (served 100), an interrupted offset walk resumes at the
// right page of 100, not at page 6 of 500 nor back at page 1, and says
// once that authentik cuts pages.
func TestOffsetWalkResumesOnClampedPages(t *testing.T) {
	sim, srv := newSim(t, "2026.2", 3000)
	dir := t.TempDir()
	store := testStore(t, dir)
	var logs bytes.Buffer
	cfg := testEventsConfig(500)
	cfg.Walk = WalkOffset
	in := NewEvents(cfg, testClient(t, srv), InputOptions{Once: true, Store: store,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	first := readPages(t, in, 12)
	store.Close()
	if len(first) != 1200 {
		t.Fatalf("12 pages held %d events, want 1,200 (pages of 100)", len(first))
	}
	if n := strings.Count(logs.String(), "authentik serves at most 100 per page"); n != 1 {
		t.Errorf("the page cut was logged %d times, want once:\n%s", n, logs.String())
	}
	sim.InsertEvents(1000) // pushes our position 10 pages further
	before := sim.Stats().Requests.Events
	store = testStore(t, dir)
	rest := runOnce(t, srv, store, cfg)
	store.Close()
	n := sim.Stats().Requests.Events - before
	t.Logf("resuming made %d requests", n)
	if n > 21 {
		t.Errorf("resuming made %d requests for 18 remaining pages of 100", n)
	}
	rest = append(rest, runOnce(t, srv, testStore(t, dir), cfg)...) // the next walk takes the 1,000
	assertExactlyOnce(t, append(first, rest...), simPresent(sim))
}

// TestUsersSnapshotOnClampedPages: a users snapshot asking for 500 gets
// every user from a 2026.8 server serving 100, once each.
func TestUsersSnapshotOnClampedPages(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Token: "secret-token", Users: 450, Groups: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := DefaultSnapshotConfig()
	cfg.PageSize = 500
	evs := readAll(t, NewUsers(cfg, testClient(t, srv), InputOptions{Once: true, Store: testStore(t, "")}))
	ids := map[string]bool{}
	for _, e := range evs {
		ids[e.ID] = true
	}
	if len(evs) != 450 || len(ids) != 450 || sim.Stats().Requests.Users != 5 {
		t.Errorf("snapshot: %d users, %d distinct, %d requests; want 450, 450, 5", len(evs), len(ids),
			sim.Stats().Requests.Users)
	}
}
