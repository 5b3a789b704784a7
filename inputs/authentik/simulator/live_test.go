package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// walk pages through a list, calling between(page) after each page, and
// returns every pk seen in order.
func walk(t *testing.T, s *Simulator, query string, between func(page int)) []string {
	t.Helper()
	var pks []string
	for page := 1; ; page++ {
		p := list(t, s, fmt.Sprintf("/api/v3/events/events/?page_size=100&page=%d&%s", page, query))
		for _, r := range p.Results {
			pks = append(pks, r["pk"].(string))
		}
		if p.Pagination.Next == 0 {
			return pks
		}
		between(page)
	}
}

func TestInsertWhilePaging(t *testing.T) {
	c := &clock{t: testNow}
	s := newSim(t, Options{Events: 500, Now: c.Now})
	original := s.EventPKs()
	seen := walk(t, s, "", func(page int) {
		if page == 1 {
			c.Add(time.Second)
			s.InsertEvents(30)
		}
	})
	dups := len(seen) - len(uniq(seen))
	if dups != 30 {
		t.Errorf("%d duplicates after 30 inserts during a -created walk, want 30", dups)
	}
	for _, pk := range original {
		if !slices.Contains(seen, pk) {
			t.Fatalf("original event %s missed", pk)
		}
	}
}

func TestExpireWhilePaging(t *testing.T) {
	s := newSim(t, Options{Events: 500})
	original := s.EventPKs()
	seen := walk(t, s, "ordering=created", func(page int) {
		if page == 1 {
			s.ExpireOldest(30)
		}
	})
	missed := 0
	for _, pk := range original {
		if !slices.Contains(seen, pk) {
			missed++
		}
	}
	if missed != 30 {
		t.Errorf("%d events skipped after expiring 30 during an ascending walk, want 30", missed)
	}
}

func uniq(xs []string) []string {
	c := slices.Clone(xs)
	slices.Sort(c)
	return slices.Compact(c)
}

func TestDirectStoreOperations(t *testing.T) {
	s := newSim(t, Options{Events: 100})
	pks := s.EventPKs()
	if len(pks) != 100 || s.CountEvents() != 100 {
		t.Fatalf("EventPKs %d, CountEvents %d", len(pks), s.CountEvents())
	}
	if got := list(t, s, "/api/v3/events/events/?page_size=1").Results[0]["pk"]; got != pks[0] {
		t.Errorf("EventPKs()[0] = %s, newest listed %v", pks[0], got)
	}
	if !s.DeleteEvent(pks[50]) || s.DeleteEvent(pks[50]) || s.DeleteEvent("garbage") {
		t.Error("DeleteEvent: first call must succeed, repeats and garbage must not")
	}
	r := do(t, s, http.MethodGet, "/api/v3/events/events/"+pks[50]+"/", "Bearer "+testToken)
	if r.status != http.StatusNotFound {
		t.Errorf("deleted event still retrievable: %d", r.status)
	}
	if n := s.ExpireOldest(10); n != 10 || s.CountEvents() != 89 {
		t.Errorf("ExpireOldest: %d, count %d", n, s.CountEvents())
	}
	if got := s.EventPKs(); got[len(got)-1] != pks[89] {
		t.Errorf("oldest remaining %s, want %s", got[len(got)-1], pks[89])
	}
	if n := s.ExpireOldest(1000); n != 89 || s.CountEvents() != 0 {
		t.Errorf("ExpireOldest beyond size: %d, count %d", n, s.CountEvents())
	}
	st := s.Stats()
	if st.Expired != 99 || st.Deleted != 1 || st.Events != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRunLiveConcurrently(t *testing.T) {
	// Equal rates keep the store near its initial size however long a loaded
	// machine makes the readers take.
	s := newSim(t, Options{Events: 2000, InsertRate: 3000, ExpireRate: 3000, InsertSkew: 5 * time.Minute,
		Now: time.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	deadline := time.Now().Add(400 * time.Millisecond)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15 && time.Now().Before(deadline); i++ {
				query := []string{"", "ordering=created", "action=login", "ordering=action"}[w]
				r := do(t, s, http.MethodGet, fmt.Sprintf("/api/v3/events/events/?page_size=50&page=%d&%s", i%3+1, query), "Bearer "+testToken)
				if r.status != http.StatusOK {
					errs <- fmt.Errorf("status %d: %s", r.status, r.body)
					return
				}
				var p listPage
				if err := json.Unmarshal(r.body, &p); err != nil {
					errs <- err
					return
				}
				if got := p.Pagination.EndIndex - p.Pagination.StartIndex + 1; got != len(p.Results) {
					errs <- fmt.Errorf("inconsistent page: %+v with %d results", p.Pagination, len(p.Results))
					return
				}
				get(t, s, "/api/v3/core/users/?page_size=10")
			}
		}()
	}
	wg.Wait()
	time.Sleep(150 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := s.Stats()
	if st.Inserted == 0 || st.Expired == 0 || st.Events != 2000+int(st.Inserted)-int(st.Expired) {
		t.Errorf("stats after live run: %+v", st)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !slices.IsSortedFunc(s.store.recs, recCompare) {
		t.Fatal("store not sorted by (created, pk) after skewed inserts")
	}
	late := 0
	cut := time.Now().Add(-30 * time.Second).UnixMicro()
	for _, r := range s.store.recs {
		if r.idx >= 2000 && r.created < cut {
			late++
		}
	}
	if late == 0 {
		t.Error("no skewed (late) inserts despite InsertSkew")
	}
}

func TestRunWithoutRatesWaits(t *testing.T) {
	s := newSim(t, Options{Events: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestControlEndpoints(t *testing.T) {
	s := newSim(t, Options{Events: 10})
	auth := "Bearer " + testToken
	r := do(t, s, http.MethodPost, "/_sim/events?count=3", auth)
	var ins struct {
		Inserted int      `json:"inserted"`
		PKs      []string `json:"pks"`
	}
	if err := json.Unmarshal(r.body, &ins); err != nil || r.status != 200 || ins.Inserted != 3 || len(ins.PKs) != 3 {
		t.Fatalf("insert: %d %s", r.status, r.body)
	}
	for _, pk := range ins.PKs {
		get(t, s, "/api/v3/events/events/"+pk+"/")
	}
	get(t, s, "/api/v3/events/events/")
	get(t, s, "/api/v3/core/users/")
	get(t, s, "/api/v3/core/groups/")
	get(t, s, "/api/v3/core/groups/")
	do(t, s, http.MethodGet, "/api/v3/core/groups/", "") // failed requests count too
	if r := do(t, s, http.MethodPost, "/_sim/expire?count=2", auth); string(r.body) != `{"expired":2}` {
		t.Errorf("expire: %s", r.body)
	}
	r = do(t, s, http.MethodGet, "/_sim/stats", auth)
	want := `{"events":11,"users":40,"groups":8,"requests":{"events":1,"users":1,"groups":3,"retrieve":3},` +
		`"inserted":3,"expired":2,"deleted":0,"faults":0}`
	if string(r.body) != want {
		t.Errorf("stats:\n got %s\nwant %s", r.body, want)
	}
	tests := []struct {
		method, target, auth string
		status               int
	}{
		{http.MethodGet, "/_sim/stats", "", 403},
		{http.MethodGet, "/_sim/stats", "Bearer wrong", 403},
		{http.MethodGet, "/_sim/events?count=1", auth, 405},
		{http.MethodPost, "/_sim/events?count=-1", auth, 400},
		{http.MethodPost, "/_sim/events?count=x", auth, 400},
		{http.MethodPost, "/_sim/faults?fraction=2", auth, 400},
		{http.MethodPost, "/_sim/faults?fraction=0.25", auth, 200},
		{http.MethodGet, "/_sim/nothing", auth, 404},
	}
	for _, tt := range tests {
		if r := do(t, s, tt.method, tt.target, tt.auth); r.status != tt.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tt.method, tt.target, r.status, tt.status, r.body)
		}
	}
	if s.Faults() != 0.25 {
		t.Errorf("faults fraction %v after POST /_sim/faults", s.Faults())
	}
}
