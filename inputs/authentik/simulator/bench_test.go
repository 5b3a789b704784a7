package simulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
)

// BenchmarkEventsPage500 serves one 500-event page (default ordering) from
// a store of 100,000 events, the shape of an agent's poll.
func BenchmarkEventsPage500(b *testing.B) {
	s := newSim(b, Options{Events: 100_000})
	req := httptest.NewRequest(http.MethodGet, "/api/v3/events/events/?page_size=500&page=7", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		bytes = w.Body.Len()
	}
	b.SetBytes(int64(bytes))
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEventsPage500Filtered adds an action filter, which scans the
// whole store.
func BenchmarkEventsPage500Filtered(b *testing.B) {
	s := newSim(b, Options{Events: 100_000})
	req := httptest.NewRequest(http.MethodGet, "/api/v3/events/events/?page_size=500&action=login", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
	}
}

// BenchmarkEventsPage500Keyset is a keyset walk's request on 2025.8: a
// query-language created bound, which scans the whole store.
func BenchmarkEventsPage500Keyset(b *testing.B) {
	s := newSim(b, Options{Events: 100_000, Version: "2025.8"})
	q := url.Values{"page_size": {"500"}, "ordering": {"created,pk"}, "search": {`created >= "2025-01-01 00:00:00"`}}
	req := httptest.NewRequest(http.MethodGet, "/api/v3/events/events/?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// TestMillionEventsMemory checks the per-event storage budget: a million
// events must stay well under 100 MB of heap.
func TestMillionEventsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds 1,000,000 events")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newSim(t, Options{Events: 1_000_000, Users: 200, Groups: 20})
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := after.HeapAlloc - before.HeapAlloc
	t.Logf("1,000,000 events: %.1f MB heap", float64(used)/(1<<20))
	if used > 60<<20 {
		t.Errorf("heap grew by %d MB for 1M events, want < 60 MB", used>>20)
	}
	if s.CountEvents() != 1_000_000 {
		t.Fatal("wrong count")
	}
	p := list(t, s, "/api/v3/events/events/?page_size=500&page=last")
	if p.Pagination.Count != 1_000_000 || len(p.Results) != 500 {
		t.Errorf("last page: %+v, %d results", p.Pagination, len(p.Results))
	}
	runtime.KeepAlive(s)
}
