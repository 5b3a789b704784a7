package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"akship/agent/telemetry"
	"akship/inputs/authentik/simulator"
	"akship/internal/loopback"
	"akship/internal/monitor"
)

// syncBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemonRun is an akship daemon running in the test process.
type daemonRun struct {
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
}

func startDaemon(t *testing.T, cfgPath string) *daemonRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() { d.done <- Run(ctx, []string{"run", "-c", cfgPath}, io.Discard, d.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop")
		}
	})
	return d
}

// stop cancels the daemon as SIGTERM does and returns its exit code.
func (d *daemonRun) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		d.done <- code // for the cleanup
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop within 30s of SIGTERM")
		return -1
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	addr, err := loopback.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue reads one sample from Prometheus text.
func metricValue(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, series+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(line, series+" "), &v)
			return v
		}
	}
	return -1
}

func TestDaemonEndpointsAndReadiness(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Token: testToken, Events: 3000, Users: 10, Groups: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator sits behind a switch so the test can take authentik down.
	var down sync.Mutex
	isDown := false
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		down.Lock()
		d := isDown
		down.Unlock()
		if d {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		sim.ServeHTTP(w, r)
	})
	url, stopSrv, err := loopback.Serve(handler)
	if err != nil {
		t.Fatal(err)
	}
	defer stopSrv()
	env := &testEnv{sim: sim, url: url, dir: t.TempDir()}
	listen := freePort(t)
	cfg := env.writeConfig(t, fmt.Sprintf(`http:
  listen: %s
  unreachable_after: 1s
inputs:
  events:
    interval: 1s
`, listen), "  max_retries: 1\n  backoff_initial: 10ms\n  backoff_max: 20ms\n")
	d := startDaemon(t, cfg)
	base := "http://" + listen
	waitFor(t, "the endpoint", 20*time.Second, func() bool { c, _ := get(base + "/healthz"); return c == 200 })
	waitFor(t, "all 3000 events delivered", 60*time.Second, func() bool {
		_, m := get(base + "/metrics")
		return metricValue(m, `akship_output_documents_indexed_total{dataset="event",output="file"}`) == 3000
	})
	if c, body := get(base + "/readyz"); c != 200 {
		t.Fatalf("/readyz = %d %s while healthy", c, body)
	}
	_, status := get(base + "/status")
	var st struct {
		Inputs []struct {
			Input  string          `json:"input"`
			Cursor json.RawMessage `json:"cursor"`
		} `json:"inputs"`
		Counts map[string]struct {
			Read int64 `json:"read"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(status), &st); err != nil || len(st.Inputs) != 3 {
		t.Fatalf("/status = %s (%v)", status, err)
	}
	if got := st.Counts["authentik.event"]; got.Read != 3000 || len(st.Counts) != 3 {
		t.Errorf("/status counts = %+v, want the three datasets with 3000 events read:\n%s", st.Counts, status)
	}

	down.Lock()
	isDown = true
	down.Unlock()
	waitFor(t, "/readyz to turn 503 while authentik is down", 30*time.Second, func() bool {
		c, body := get(base + "/readyz")
		return c == http.StatusServiceUnavailable && strings.Contains(body, "authentik unreachable")
	})
	down.Lock()
	isDown = false
	down.Unlock()
	sim.InsertEvents(5)
	waitFor(t, "/readyz to recover", 60*time.Second, func() bool { c, _ := get(base + "/readyz"); return c == 200 })
	waitFor(t, "the new events", 30*time.Second, func() bool {
		_, m := get(base + "/metrics")
		return metricValue(m, `akship_output_documents_indexed_total{dataset="event",output="file"}`) == 3005
	})
	if code := d.stop(t); code != 0 {
		t.Fatalf("SIGTERM exit code %d, want 0; logs:\n%s", code, d.logs.String())
	}
}

func TestDaemonDrainsOnSIGTERMWithoutLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	env := newTestEnv(t, 20000, 5, 2)
	d := startDaemon(t, env.cfgPath)
	waitFor(t, "some documents", 60*time.Second, func() bool { return len(env.docs(t, "event")) > 0 })
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0; logs:\n%s", code, d.logs.String())
	}
	first := len(env.docs(t, "event"))
	// The next run continues from the committed cursor: together they
	// ship every event exactly once (a replay of unacknowledged pages
	// would show as duplicates in the file output).
	if code, _, stderr := run(t, "run", "--once", "-c", env.cfgPath); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	seen := map[string]int{}
	for _, doc := range env.docs(t, "event") {
		seen[originalPK(t, doc)]++
	}
	for _, pk := range env.sim.EventPKs() {
		if seen[pk] == 0 {
			t.Fatalf("event %s lost across the SIGTERM", pk)
		}
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("first run shipped %d before SIGTERM; duplicates across the restart: %d", first, dups)
	if dups != 0 {
		t.Errorf("%d events shipped twice: a drained shutdown must commit what it delivered", dups)
	}
}

func TestDaemonReloadsOnSIGHUP(t *testing.T) {
	env := newTestEnv(t, 100, 3, 2)
	d := startDaemon(t, env.cfgPath)
	waitFor(t, "the first poll", 30*time.Second, func() bool { return len(env.docs(t, "event")) == 100 })

	good, _ := os.ReadFile(env.cfgPath)
	if err := os.WriteFile(env.cfgPath, []byte(strings.Replace(string(good), "logging:", "inputs:\n  events:\n    interval: 1s\nlogging:", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", 30*time.Second, func() bool { return strings.Contains(d.logs.String(), "configuration reloaded") })
	env.sim.InsertEvents(7)
	waitFor(t, "the reloaded pipeline to poll", 30*time.Second, func() bool { return len(env.docs(t, "event")) == 107 })

	if err := os.WriteFile(env.cfgPath, []byte("authentik: [broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rejection", 30*time.Second, func() bool { return strings.Contains(d.logs.String(), "reload rejected") })
	env.sim.InsertEvents(3)
	waitFor(t, "the running pipeline to keep polling", 30*time.Second, func() bool { return len(env.docs(t, "event")) == 110 })
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func TestReloadWarnsAboutHTTPChanges(t *testing.T) {
	logs := &syncBuffer{}
	d := &daemon{log: slog.New(slog.NewTextHandler(logs, nil)), metrics: telemetry.New()}
	defer d.stopMonitor()
	cfg := monitor.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	if err := d.startMonitor(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := d.startMonitor(context.Background(), cfg); err != nil || strings.Contains(logs.String(), "WARN") {
		t.Fatalf("an unchanged http section: error %v, logs:\n%s", err, logs)
	}
	cfg.UnreachableAfter = time.Minute
	if err := d.startMonitor(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "the http section changed") {
		t.Errorf("a changed http.unreachable_after was not reported; logs:\n%s", logs)
	}
}
