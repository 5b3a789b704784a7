package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"akship/agent"
	"akship/agent/telemetry"
)

// t0 is the fake clock's starting time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeAgent stands in for the pipeline and inputs: a settable clock, input
// statuses and delivery status, safe for concurrent use.
type fakeAgent struct {
	mu       sync.Mutex
	now      time.Time
	inputs   []agent.InputStatus
	delivery agent.DeliveryStatus
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{now: t0, inputs: []agent.InputStatus{
		{Input: "events", Cursor: "2026-03-01T11:59:00Z", LastSuccess: t0.Add(-time.Minute), LagSeconds: new(60.0)},
		{Input: "users", LastSuccess: t0.Add(-time.Minute)},
	}, delivery: agent.DeliveryStatus{LastSuccess: t0.Add(-time.Minute)}}
}

func (f *fakeAgent) set(fn func(f *fakeAgent)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeAgent) sources(m *telemetry.Metrics) Sources {
	return Sources{
		Registry: m.Registry,
		Inputs: func() []agent.InputStatus {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]agent.InputStatus(nil), f.inputs...)
		},
		Delivery: func() agent.DeliveryStatus {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.delivery
		},
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.now
		},
		Version: "1.2.3",
	}
}

// newTestServer returns a server over a fake agent with a 2m limit.
func newTestServer(t *testing.T) (*Server, *fakeAgent, *telemetry.Metrics) {
	t.Helper()
	f, m := newFakeAgent(), telemetry.New()
	return New(DefaultConfig(), f.sources(m), nil), f, m
}

// get performs one request on h and returns the status code and body.
func get(t *testing.T, h http.Handler, method, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestEndpoints(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantCode           int
		wantType           string
		wantBody           []string
	}{
		{name: "index", method: "GET", path: "/", wantCode: 200, wantType: "text/plain",
			wantBody: []string{"akship 1.2.3", "/metrics", "/healthz", "/readyz", "/status"}},
		{name: "healthz", method: "GET", path: "/healthz", wantCode: 200, wantType: "application/json",
			wantBody: []string{`{"status":"ok"}`}},
		{name: "healthz HEAD", method: "HEAD", path: "/healthz", wantCode: 200, wantType: "application/json"},
		{name: "readyz", method: "GET", path: "/readyz", wantCode: 200, wantType: "application/json",
			wantBody: []string{`{"status":"ready"}`}},
		{name: "status", method: "GET", path: "/status", wantCode: 200, wantType: "application/json",
			wantBody: []string{`"version": "1.2.3"`, `"input": "events"`, `"cursor": "2026-03-01T11:59:00Z"`,
				`"lag_seconds": 60`, `"ready": true`, `"delivery": {`}},
		{name: "metrics", method: "GET", path: "/metrics", wantCode: 200, wantType: "text/plain",
			wantBody: []string{"# TYPE akship_input_records_total counter", "go_goroutines"}},
		{name: "unknown path", method: "GET", path: "/nope", wantCode: 404},
		{name: "wrong method", method: "POST", path: "/readyz", wantCode: 405},
	}
	s, _, m := newTestServer(t)
	m.InputRecords.WithLabelValues("events").Add(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := get(t, s.Handler(), tt.method, tt.path)
			if code != tt.wantCode {
				t.Fatalf("code = %d, want %d; body:\n%s", code, tt.wantCode, body)
			}
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestStatusCountsAndUptime(t *testing.T) {
	f, m := newFakeAgent(), telemetry.New()
	src := f.sources(m)
	src.Counts = func() *agent.Counts { return &agent.Counts{} }
	s := New(DefaultConfig(), src, nil)
	f.set(func(f *fakeAgent) { f.now = f.now.Add(90 * time.Second) })
	_, _, body := get(t, s.Handler(), "GET", "/status")
	var doc struct {
		Uptime float64                 `json:"uptime_seconds"`
		Counts map[string]datasetCount `json:"counts"`
		Inputs []agent.InputStatus     `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, body)
	}
	if doc.Uptime != 90 {
		t.Errorf("uptime_seconds = %v, want 90", doc.Uptime)
	}
	if _, ok := doc.Counts["authentik.event"]; !ok || len(doc.Counts) != 3 {
		t.Errorf("counts = %v, want the three datasets", doc.Counts)
	}
	if len(doc.Inputs) != 2 || doc.Inputs[0].Input != "events" {
		t.Errorf("inputs = %+v", doc.Inputs)
	}
}

// probe is one step of a readiness scenario: change the agent, move the
// clock, then ask /readyz.
type probe struct {
	advance    time.Duration
	change     func(f *fakeAgent)
	wantCode   int
	wantReason string
}

func TestReadyz(t *testing.T) {
	failEvents := func(since time.Time) func(*fakeAgent) {
		return func(f *fakeAgent) {
			f.inputs[0].FailingSince, f.inputs[0].LastError = since, "GET /api/v3/events/events/: 502 Bad Gateway"
		}
	}
	tests := []struct {
		name   string
		probes []probe
	}{
		{name: "input unreachable then recovers", probes: []probe{
			{wantCode: 200},
			{change: failEvents(t0), advance: time.Minute, wantCode: 200},
			{advance: 61 * time.Second, wantCode: 503,
				wantReason: "input events: authentik unreachable or failing since 2026-03-01T12:00:00Z (2m1s): GET /api/v3/events/events/: 502 Bad Gateway"},
			{change: failEvents(time.Time{}), wantCode: 200},
		}},
		{name: "token rejected", probes: []probe{
			{change: func(f *fakeAgent) {
				f.inputs[1].Stopped = true
				f.inputs[1].StopReason = "authentik rejected the token (HTTP 403): check authentik.token"
			}, wantCode: 503, wantReason: "input users stopped: authentik rejected the token (HTTP 403): check authentik.token"},
		}},
		{name: "delivery failing", probes: []probe{
			{change: func(f *fakeAgent) {
				f.delivery.FailingSince, f.delivery.LastError = t0, "bulk request failed: connection refused"
				f.delivery.InFlight = 50
			}, advance: 2 * time.Minute, wantCode: 200},
			{advance: time.Second, wantCode: 503,
				wantReason: "output unreachable or rejecting writes since 2026-03-01T12:00:00Z (2m1s): bulk request failed: connection refused"},
			{change: func(f *fakeAgent) { f.delivery = agent.DeliveryStatus{LastSuccess: f.now} }, wantCode: 200},
		}},
		{name: "output blocked", probes: []probe{
			{change: func(f *fakeAgent) { f.delivery.InFlight = 7 }, wantCode: 200},
			{advance: 90 * time.Second, wantCode: 200},
			{advance: 31 * time.Second, wantCode: 503,
				wantReason: "output blocked: 7 events in flight since 2026-03-01T12:00:00Z (2m1s) without a successful write (last success: 2026-03-01T11:59:00Z)"},
			{change: func(f *fakeAgent) { f.delivery.LastSuccess = f.now }, wantCode: 200},
		}},
		{name: "cursor cannot be saved", probes: []probe{
			{change: func(f *fakeAgent) {
				f.inputs[0].SaveFailingSince = f.now
				f.inputs[0].SaveError = "saving state events.json failed: no space left on device"
			}, wantCode: 503, wantReason: "input events: the cursor cannot be saved since 2026-03-01T12:00:00Z (0s): saving state events.json failed: no space left on device"},
			{change: func(f *fakeAgent) { f.inputs[0].SaveFailingSince, f.inputs[0].SaveError = time.Time{}, "" }, wantCode: 200},
		}},
		{name: "new batch after a long idle period is not blocked", probes: []probe{
			{advance: time.Hour, change: func(f *fakeAgent) { f.delivery.InFlight = 3 }, wantCode: 200},
			{advance: time.Minute, wantCode: 200},
		}},
		{name: "steady flow with events always in flight is not blocked", probes: []probe{
			{change: func(f *fakeAgent) { f.delivery.InFlight = 3 }, wantCode: 200},
			{advance: 100 * time.Second, change: func(f *fakeAgent) { f.delivery.LastSuccess = f.now.Add(time.Minute) },
				wantCode: 200},
			{advance: 100 * time.Second, wantCode: 200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f, _ := newTestServer(t)
			for i, p := range tt.probes {
				f.set(func(f *fakeAgent) {
					if p.change != nil {
						p.change(f)
					}
					f.now = f.now.Add(p.advance)
				})
				code, _, body := get(t, s.Handler(), "GET", "/readyz")
				if code != p.wantCode {
					t.Fatalf("probe %d: code = %d, want %d; body: %s", i, code, p.wantCode, body)
				}
				var got readiness
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatalf("probe %d: body is not JSON: %v: %s", i, err, body)
				}
				wantStatus := map[int]string{200: "ready", 503: "not ready"}[p.wantCode]
				if got.Status != wantStatus {
					t.Errorf("probe %d: status = %q, want %q", i, got.Status, wantStatus)
				}
				if p.wantReason != "" && (len(got.Reasons) != 1 || got.Reasons[0] != p.wantReason) {
					t.Errorf("probe %d: reasons = %q\nwant [%q]", i, got.Reasons, p.wantReason)
				}
			}
		})
	}
}

func TestMetricsChange(t *testing.T) {
	s, _, m := newTestServer(t)
	scrape := func() string {
		code, _, body := get(t, s.Handler(), "GET", "/metrics")
		if code != 200 {
			t.Fatalf("/metrics code = %d", code)
		}
		return body
	}
	m.OutputIndexed.WithLabelValues("elasticsearch", "authentik.event").Add(2)
	const line = `akship_output_documents_indexed_total{dataset="authentik.event",output="elasticsearch"} `
	if body := scrape(); !strings.Contains(body, line+"2\n") {
		t.Fatalf("first scrape lacks %q", line+"2")
	}
	m.OutputIndexed.WithLabelValues("elasticsearch", "authentik.event").Add(40)
	if body := scrape(); !strings.Contains(body, line+"42\n") {
		t.Fatalf("second scrape lacks %q", line+"42")
	}
}

func TestStartShutdown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	f := newFakeAgent()
	s := New(cfg, f.sources(telemetry.New()), nil)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Fatalf("Addr() = %q, want the bound port", addr)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("/healthz = %d %s", resp.StatusCode, body)
	}
	// A second server on the same port fails in Start, not later.
	cfg.Listen = addr
	if err := New(cfg, Sources{}, nil).Start(t.Context()); err == nil {
		t.Error("Start on a busy port succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the endpoint still answers after Shutdown")
	}
}

func TestStartStopsWithContext(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	s := New(cfg, Sources{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	s.wg.Wait()
	if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
		t.Error("the endpoint still answers after its context ended")
	}
}
