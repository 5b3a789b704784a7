package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// classify names the outcome of one request.
func classify(r result) string {
	switch {
	case r.status == 500:
		return "500"
	case r.status == 429:
		return "429"
	case r.status == 200 && !json.Valid(r.body):
		return "truncated"
	case r.status == 200:
		return "ok"
	}
	return strconv.Itoa(r.status)
}

func TestFaultDistribution(t *testing.T) {
	t.Parallel()
	const n = 2000
	run := func() ([]string, Stats) {
		s := newSim(t, Options{Users: 5, Groups: 2, Faults: 0.4, SlowDelay: time.Microsecond, Seed: 7})
		outcomes := make([]string, n)
		for i := range outcomes {
			outcomes[i] = classify(do(t, s, http.MethodGet, "/api/v3/core/groups/", "Bearer "+testToken))
		}
		return outcomes, s.Stats()
	}
	a, st := run()
	b, _ := run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Error("fault sequence differs between runs with the same seed")
	}
	counts := map[string]int{}
	for _, o := range a {
		counts[o]++
	}
	faults := int(st.Faults)
	if faults < 700 || faults > 900 {
		t.Errorf("%d faults in %d requests, want about 40%%", faults, n)
	}
	slow := faults - counts["500"] - counts["429"] - counts["truncated"]
	for kind, c := range map[string]int{"500": counts["500"], "429": counts["429"], "truncated": counts["truncated"], "slow": slow} {
		if c < faults/4 || c > faults/4+1 {
			t.Errorf("%s: %d of %d faults, want an even quarter", kind, c, faults)
		}
	}
	if counts["ok"] != n-faults+slow {
		t.Errorf("ok responses %d, want %d", counts["ok"], n-faults+slow)
	}
	if st.Requests.Groups != n {
		t.Errorf("requests counted %d, want %d (failed ones included)", st.Requests.Groups, n)
	}
}

func TestFaultResponses(t *testing.T) {
	s := newSim(t, Options{Events: 50, Faults: 1, SlowDelay: 30 * time.Millisecond})
	auth := "Bearer " + testToken
	r := do(t, s, http.MethodGet, "/api/v3/events/events/", auth)
	if r.status != 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || json.Valid(r.body) {
		t.Errorf("500 fault: %d %q", r.status, r.header.Get("Content-Type"))
	}
	r = do(t, s, http.MethodGet, "/api/v3/events/events/", auth)
	if r.status != 429 || r.header.Get("Retry-After") != "1" ||
		string(r.body) != `{"detail":"Request was throttled. Expected available in 1 second."}` {
		t.Errorf("429 fault: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	start := time.Now()
	r = do(t, s, http.MethodGet, "/api/v3/events/events/", auth)
	if r.status != 200 || !json.Valid(r.body) || time.Since(start) < 30*time.Millisecond {
		t.Errorf("slow fault: %d after %v", r.status, time.Since(start))
	}
	r = do(t, s, http.MethodGet, "/api/v3/events/events/", auth)
	if r.status != 200 || json.Valid(r.body) || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Errorf("truncate fault: %d valid=%v length %s/%d", r.status, json.Valid(r.body), r.header.Get("Content-Length"), len(r.body))
	}
	if r := do(t, s, http.MethodGet, "/_sim/stats", auth); r.status != 200 {
		t.Errorf("control endpoint faulted: %d", r.status)
	}
	s.SetFaults(0)
	for range 20 {
		get(t, s, "/api/v3/core/users/")
	}
}

func TestSlowFaultHonoursCancellation(t *testing.T) {
	s := newSim(t, Options{Faults: 1, SlowDelay: 10 * time.Second})
	s.faultSeq.Store(2) // the next fault is the slow one
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v3/core/users/", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	start := time.Now()
	s.ServeHTTP(httptest.NewRecorder(), req)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("slow fault ignored cancellation: took %v", d)
	}
}
