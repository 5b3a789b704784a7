package authentik

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"akship/agent"
	"akship/inputs/authentik/simulator"
)

// newSim serves a simulator of the given authentik version whose token is
// the test clients' one.
func newSim(t *testing.T, version string, events int) (*simulator.Simulator, *httptest.Server) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Token: "secret-token", Events: events, Users: 5, Groups: 2,
		Seed: 9, Version: version, License: simulator.LicenseEnterprise})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func loadCursor(t *testing.T, in string, dir string) eventsCursor {
	t.Helper()
	store := testStore(t, dir)
	defer store.Close()
	var c eventsCursor
	if _, err := store.Load(in, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func simPresent(sim *simulator.Simulator) map[string]bool {
	m := map[string]bool{}
	for _, pk := range sim.EventPKs() {
		m[pk] = true
	}
	return m
}

func TestKeysetWalkChosenOnQueryLanguage(t *testing.T) {
	tests := []struct {
		version    string
		wantKeyset bool
	}{
		{"2025.8", true},
		{"2025.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			sim, srv := newSim(t, tt.version, 3000)
			dir := t.TempDir()
			store := testStore(t, dir)
			cfg := testEventsConfig(100)
			ids := runOnce(t, srv, store, cfg)
			assertExactlyOnce(t, ids, simPresent(sim))
			store.Close()
			c := loadCursor(t, "events", dir)
			if c.Keyset == nil || *c.Keyset != tt.wantKeyset {
				t.Fatalf("cursor keyset = %v, want %v", c.Keyset, tt.wantKeyset)
			}
			// The next poll asks nothing again and costs one request.
			sim.InsertEvents(40)
			before := sim.Stats().Requests.Events
			store = testStore(t, dir)
			fresh := runOnce(t, srv, store, cfg)
			if len(fresh) != 40 {
				t.Fatalf("incremental poll shipped %d events, want 40", len(fresh))
			}
			if n := sim.Stats().Requests.Events - before; n > 1 {
				t.Errorf("incremental poll made %d requests, want 1", n)
			}
		})
	}
}

// liveServer serves sim and, until stop is called, before each events list
// request inserts insert events stamped now − random[0, skew] (late rows,
// as from app servers with skewed clocks or slow transactions) and expires
// the oldest expire. The live traffic is tied to the walk's progress, not
// to the wall clock: at a wall-clock rate (the simulator's Run), a
// race-instrumented walk on a starved CPU reads no faster than events
// arrive, and a run until caught up never ends.
func liveServer(t *testing.T, sim *simulator.Simulator, insert, expire int, skew time.Duration) (srv *httptest.Server, stop func()) {
	var mu sync.Mutex
	var stopped atomic.Bool
	rng := rand.New(rand.NewPCG(uint64(insert), uint64(expire)))
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !stopped.Load() && strings.HasSuffix(r.URL.Path, "/events/events/") {
			mu.Lock()
			now := time.Now()
			for range insert {
				sim.InsertEventsAt(now.Add(-time.Duration(rng.Int64N(int64(skew)+1))), 1)
			}
			sim.ExpireOldest(expire)
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() { stopped.Store(true) }
}

// TestKeysetWalkWithLiveInsertsAndExpiry: events inserted (some up to 3 s
// late) and expired while two polls walk are all shipped exactly once by
// the time a last poll has run after the traffic stopped.
func TestKeysetWalkWithLiveInsertsAndExpiry(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Token: "secret-token", Events: 4000, Users: 2, Groups: 1, Seed: 4,
		Version: "2025.8", License: simulator.LicenseEnterprise})
	if err != nil {
		t.Fatal(err)
	}
	srv, stop := liveServer(t, sim, 8, 4, 3*time.Second)
	store := testStore(t, "")
	cfg := testEventsConfig(50)
	ids := runOnce(t, srv, store, cfg)
	ids = append(ids, runOnce(t, srv, store, cfg)...)
	stop()
	ids = append(ids, runOnce(t, srv, store, cfg)...)
	assertExactlyOnce(t, ids, simPresent(sim))
}

func TestKeysetWalkResumesWhereItStopped(t *testing.T) {
	sim, srv := newSim(t, "2025.8", 2000)
	dir := t.TempDir()
	store := testStore(t, dir)
	in := NewEvents(testEventsConfig(100), testClient(t, srv), InputOptions{Once: true, Store: store})
	first := readPages(t, in, 6)
	store.Close()
	before := sim.Stats().Requests.Events
	rest := runOnce(t, srv, testStore(t, dir), testEventsConfig(100))
	if n := sim.Stats().Requests.Events - before; n > 16 {
		t.Errorf("resuming made %d requests for about 15 remaining pages", n)
	}
	assertExactlyOnce(t, append(first, rest...), simPresent(sim))
}

func TestKeysetWalkManyEventsInOneSecond(t *testing.T) {
	sim, srv := newSim(t, "2025.8", 10)
	sim.InsertEvents(730) // all stamped within the same second or so
	ids := runOnce(t, srv, testStore(t, ""), testEventsConfig(100))
	assertExactlyOnce(t, ids, simPresent(sim))
}

func TestKeysetFallsBackWhenBoundIgnored(t *testing.T) {
	f := newFakeEvents(700)
	// Answer the probe like a 2025.8 server; the fake then ignores the
	// bound and the ordering of the walk's requests (newest first, all).
	f.before = func(f *fakeEvents, w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		if q.Get("page_size") == "1" && strings.Contains(q.Get("search"), "2999") {
			_, _ = w.Write([]byte(`{"pagination":{"next":0,"previous":0,"count":0,"current":1,"total_pages":1,"start_index":0,"end_index":0},"results":[]}`))
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	store := testStore(t, dir)
	ids := runOnce(t, srv, store, testEventsConfig(100))
	assertExactlyOnce(t, ids, present(f))
	store.Close()
	if c := loadCursor(t, "events", dir); c.Keyset == nil || *c.Keyset {
		t.Fatalf("after the fallback the cursor says keyset = %v, want false", c.Keyset)
	}
}

func TestKeysetRequiredButUnsupported(t *testing.T) {
	_, srv := newSim(t, "2025.2", 100)
	cfg := testEventsConfig(100)
	cfg.Walk = WalkKeyset
	in := NewEvents(cfg, testClient(t, srv), InputOptions{Once: true, Store: testStore(t, "")})
	ctx := testContext(t)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := in.Read(ctx)
	if !agent.IsPermanent(err) || !strings.Contains(err.Error(), "2025.8") {
		t.Fatalf("Read error = %v, want a permanent error explaining the version", err)
	}
}

// serveKeyset is a fakeEvents hook answering like authentik 2025.8: the
// query language's `created >= "<second>"` filters the events, which are
// served oldest first; any other search is a text search matching nothing.
func serveKeyset(f *fakeEvents, w http.ResponseWriter, r *http.Request) bool {
	var bound time.Time
	if s := r.URL.Query().Get("search"); s != "" {
		v, ok := strings.CutPrefix(s, "created >= ")
		t, err := time.Parse(qlTime, strings.Trim(v, `"`))
		if !ok || err != nil {
			writeFakePage(w, r, nil)
			return true
		}
		bound = t
	}
	var asc []fakeEvent
	for i := len(f.events) - 1; i >= 0; i-- {
		if e := f.events[i]; !e.Created.Before(bound) {
			asc = append(asc, e)
		}
	}
	writeFakePage(w, r, asc)
	return true
}

func TestKeysetWalkPassesPageWithoutReadableCreated(t *testing.T) {
	f := newFakeEvents(20)
	for i := 0; i < 4; i++ {
		f.add(fmt.Sprintf("bad-%d", i), fakeBase.Add(-time.Minute))
	}
	for i := range f.events {
		f.events[i].Garbled = strings.HasPrefix(f.events[i].PK, "bad-")
	}
	want := present(f)
	for pk := range want {
		if strings.HasPrefix(pk, "bad-") {
			delete(want, pk) // shipped under their fingerprint
		}
	}
	f.before = serveKeyset
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testEventsConfig(4) // the first page holds only the garbled events
	cfg.Walk = WalkKeyset
	in := NewEvents(cfg, testClient(t, srv), InputOptions{Once: true, Store: testStore(t, "")})
	ctx := testContext(t)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for reads := 0; ; reads++ {
		if reads > 20 {
			t.Fatalf("the walk did not finish after %d pages (requests: %d)", reads, f.requests)
		}
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
	if len(ids) != 24 {
		t.Errorf("shipped %d events, want 24 (20 placed, 4 unplaced)", len(ids))
	}
	assertExactlyOnce(t, ids, want)
}

func TestKeysetProbeToleratesInsertsBetweenItsRequests(t *testing.T) {
	f := newFakeEvents(300)
	f.before = func(f *fakeEvents, w http.ResponseWriter, r *http.Request) bool {
		// An event arrives before every answer, so no two counts agree.
		f.add(fmt.Sprintf("new-%04d", f.requests), fakeBase.Add(time.Hour+time.Duration(f.requests)*time.Second))
		return serveKeyset(f, w, r)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	store := testStore(t, dir)
	cfg := testEventsConfig(100)
	cfg.Walk = WalkKeyset
	ids := runOnce(t, srv, store, cfg)
	assertExactlyOnce(t, ids, present(f))
	store.Close()
	if c := loadCursor(t, "events", dir); c.Keyset == nil || !*c.Keyset {
		t.Fatalf("cursor keyset = %v, want true", c.Keyset)
	}
}
