package authentik

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
)

// overlapConfig is the default configuration (overlap 1m) asking for pages
// of 500, which authentik 2026.2+ cuts to 100.
func overlapConfig() EventsConfig {
	c := DefaultEventsConfig()
	c.PageSize = 500
	return c
}

// TestWalksSkipTheKnownOverlap: after a burst of 1,000 events, 100 new
// ones cost at most 3 requests on 2026.8 (pages of 100), because the
// overlap window is not read again; and at a steady 50 events/s for 30 s
// (1,500 new) a poll costs at most ceil(1500/100) + 1 requests with the
// keyset walk, + 2 with the offset walk (its window check may take two
// one-row requests).
func TestWalksSkipTheKnownOverlap(t *testing.T) {
	t.Run("keyset", func(t *testing.T) { skipKnownOverlap(t, WalkKeyset, 1) })
	t.Run("offset", func(t *testing.T) { skipKnownOverlap(t, WalkOffset, 2) })
}

func skipKnownOverlap(t *testing.T, walk string, extra uint64) {
	sim, srv := newSim(t, "2026.8", 2000)
	dir := t.TempDir()
	cfg := overlapConfig()
	cfg.Walk = walk
	poll := func(want int) uint64 {
		t.Helper()
		before := sim.Stats().Requests.Events
		store := testStore(t, dir)
		ids := runOnce(t, srv, store, cfg)
		store.Close()
		if len(ids) != want {
			t.Fatalf("poll shipped %d events, want %d", len(ids), want)
		}
		return sim.Stats().Requests.Events - before
	}
	poll(2000)
	sim.InsertEvents(1000)
	poll(1000)
	sim.InsertEvents(100)
	n100 := poll(100)
	t.Logf("100 new after a burst of 1,000: %d event requests", n100)
	if n := n100; n > 3 {
		t.Errorf("100 new events after a burst of 1,000 cost %d requests, want ≤ 3", n)
	}
	start := time.Now().Add(time.Second)
	for i := range 1500 { // 50/s for 30 s
		sim.InsertEventsAt(start.Add(time.Duration(i)*20*time.Millisecond), 1)
	}
	n1500 := poll(1500)
	t.Logf("1,500 new at 50/s: %d event requests", n1500)
	if n, limit := n1500, uint64(math.Ceil(1500.0/100))+extra; n > limit {
		t.Errorf("1,500 new events at 50/s cost %d requests, want ≤ %d", n, limit)
	}
	if c := loadCursor(t, "events", dir); c.PageMax != 100 {
		t.Errorf("cursor page_max = %d, want authentik's 100", c.PageMax)
	}
}

// TestWalksCollectLateRowsInTheOverlap: rows stamped inside the overlap
// window after the walk passed it (a lagging app server) are found by the
// position checks and shipped, once.
func TestWalksCollectLateRowsInTheOverlap(t *testing.T) {
	t.Run("keyset", func(t *testing.T) { lateRowsInOverlap(t, WalkKeyset) })
	t.Run("offset", func(t *testing.T) { lateRowsInOverlap(t, WalkOffset) })
}

func lateRowsInOverlap(t *testing.T, walk string) {
	sim, srv := newSim(t, "2026.5", 600)
	dir := t.TempDir()
	cfg := overlapConfig()
	cfg.Walk = walk
	store := testStore(t, dir)
	ids := runOnce(t, srv, store, cfg)
	store.Close()
	// Fill the window so that the known part spans pages, then walk it.
	sim.InsertEvents(250)
	store = testStore(t, dir)
	ids = append(ids, runOnce(t, srv, store, cfg)...)
	store.Close()
	w := loadCursor(t, "events", dir).Watermark
	late := sim.InsertEventsAt(w.Add(-20*time.Second), 3)
	late = append(late, sim.InsertEventsAt(w.Add(-time.Microsecond), 1)...)
	sim.InsertEvents(7)
	store = testStore(t, dir)
	fresh := runOnce(t, srv, store, cfg)
	store.Close()
	got := map[string]bool{}
	for _, id := range fresh {
		got[id] = true
	}
	for _, pk := range late {
		if !got[pk] {
			t.Errorf("late row %s inside the overlap was not collected", pk)
		}
	}
	if len(fresh) != 11 {
		t.Errorf("poll shipped %d events, want 4 late + 7 new", len(fresh))
	}
	assertExactlyOnce(t, append(ids, fresh...), simPresent(sim))
}

// TestKeysetFallsBackWhenTheQueryBecomesText: when authentik stops parsing
// the query (a licence lapsed on 2026.2, or a date format it rejects), the
// search silently becomes a text search answering 200 with nothing; the
// next poll notices at its first request and walks by page number at once.
func TestKeysetFallsBackWhenTheQueryBecomesText(t *testing.T) {
	sim, _ := newSim(t, "2026.2", 800)
	var mangle atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); mangle.Load() && q.Get("search") != "" {
			// "2026-12-03 10:00:00" → "2026-12-03T10:00:00": no longer parses.
			q.Set("search", strings.Replace(q.Get("search"), `" `, `"`, 1))
			q.Set("search", strings.Replace(q.Get("search"), ` `, `T`, 3))
			r.URL.RawQuery = q.Encode()
		}
		sim.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	dir := t.TempDir()
	cfg := overlapConfig()
	store := testStore(t, dir)
	ids := runOnce(t, proxy, store, cfg)
	store.Close()
	if c := loadCursor(t, "events", dir); c.Keyset == nil || !*c.Keyset {
		t.Fatalf("keyset walk not chosen on 2026.2 with a licence: %v", c.Keyset)
	}
	mangle.Store(true)
	sim.InsertEvents(30)
	before := sim.Stats().Requests.Events
	store = testStore(t, dir)
	fresh := runOnce(t, proxy, store, cfg)
	store.Close()
	if len(fresh) != 30 {
		t.Errorf("poll after the query stopped working shipped %d events, want 30", len(fresh))
	}
	if c := loadCursor(t, "events", dir); c.Keyset == nil || *c.Keyset {
		t.Errorf("cursor still says keyset after the bound stopped working")
	}
	if n := sim.Stats().Requests.Events - before; n > 8 {
		t.Errorf("falling back took %d requests", n)
	}
	assertExactlyOnce(t, append(ids, fresh...), simPresent(sim))
}

// TestKeysetDeletionsBehindThePosition: paging on under a recent anchor,
// events deleted behind the walk's position (an admin deleting events)
// shift the rest back; the walk notices the count dropping and re-anchors,
// so nothing after the position is skipped.
func TestKeysetDeletionsBehindThePosition(t *testing.T) {
	sim, srv := newSim(t, "2026.8", 0)
	sim.InsertEvents(1000) // all recent: the walk pages on under one anchor
	dir := t.TempDir()
	store := testStore(t, dir)
	in := NewEvents(overlapConfig(), testClient(t, srv), InputOptions{Once: true, Store: store})
	first := readPages(t, in, 4)
	if len(first) < 200 {
		t.Fatalf("4 batches held %d events", len(first))
	}
	for _, pk := range first[50:57] {
		sim.DeleteEvent(pk)
	}
	ctx := testContext(t)
	var rest []string
	for {
		b, err := in.Read(ctx)
		if err != nil {
			break
		}
		for _, e := range b.Events {
			rest = append(rest, e.ID)
		}
		b.Ack(ctx, nil)
	}
	store.Close()
	all := append(first, rest...)
	present := simPresent(sim)
	for _, pk := range first[50:57] {
		present[pk] = true // shipped before they were deleted
	}
	assertExactlyOnce(t, all, present)
}

// TestKeysetWalkWhileExpiryReachesTheAnchor: when retention deletes events
// at and after the walk's anchor while it pages (expiry faster than the
// walk), the walk still ends and ships every event that outlived it once.
func TestKeysetWalkWhileExpiryReachesTheAnchor(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Token: "secret-token", Events: 3000, Users: 2, Groups: 1, Seed: 6,
		Version: "2026.8"})
	if err != nil {
		t.Fatal(err)
	}
	// Each request of the walk (50 events a page) sees 80 more expire.
	srv, stop := liveServer(t, sim, 12, 80, 0)
	store := testStore(t, "")
	cfg := testEventsConfig(50)
	var ids []string
	for range 3 {
		ids = append(ids, runOnce(t, srv, store, cfg)...)
	}
	stop()
	ids = append(ids, runOnce(t, srv, store, cfg)...)
	assertExactlyOnce(t, ids, simPresent(sim))
}

// TestPollDoneReportsItsCost: the debug line of a completed poll counts
// the requests authentik received during the poll and the events the poll
// shipped, for both walks (the steady-traffic bench relies on it).
func TestPollDoneReportsItsCost(t *testing.T) {
	for _, walk := range []string{WalkKeyset, WalkOffset} {
		t.Run(walk, func(t *testing.T) {
			sim, srv := newSim(t, "2026.8", 600)
			dir := t.TempDir()
			cfg := overlapConfig()
			cfg.Walk = walk
			store := testStore(t, dir)
			runOnce(t, srv, store, cfg)
			store.Close()
			sim.InsertEvents(250)
			var logs strings.Builder
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			before := sim.Stats().Requests.Events
			store = testStore(t, dir)
			shipped := len(runOnceWith(t, srv, cfg, InputOptions{Once: true, Store: store, Log: log}))
			store.Close()
			requests := int(sim.Stats().Requests.Events - before)
			var line struct {
				Msg       string `json:"msg"`
				Requests  int    `json:"requests"`
				NewEvents int    `json:"new_events"`
			}
			found := 0
			for _, l := range strings.Split(logs.String(), "\n") {
				if json.Unmarshal([]byte(l), &line) == nil && line.Msg == PollDoneMessage {
					found++
				}
			}
			if found != 1 || line.Requests != requests || line.NewEvents != shipped || shipped != 250 {
				t.Errorf("%d poll lines, last: %d requests, %d new; authentik got %d requests, %d shipped (want 250)",
					found, line.Requests, line.NewEvents, requests, shipped)
			}
		})
	}
}
