package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
)

// cliRun is the CLI running in the test process with a context the test
// cancels (the first SIGTERM) and a force-stop (the second).
type cliRun struct {
	cancel context.CancelFunc
	force  func()
	done   chan int
	logs   *syncBuffer
}

func startCLI(t *testing.T, args ...string) *cliRun {
	t.Helper()
	ctx, force := withForceStop(context.Background())
	ctx, cancel := context.WithCancel(ctx)
	r := &cliRun{cancel: cancel, force: force, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() { r.done <- Run(ctx, args, r.logs, r.logs) }()
	t.Cleanup(func() {
		cancel()
		force()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("akship did not stop")
		}
	})
	return r
}

// wait returns the exit code, failing the test after timeout.
func (r *cliRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for the cleanup
		return code
	case <-time.After(timeout):
		t.Fatalf("akship did not exit within %v; logs:\n%s", timeout, r.logs)
		return -1
	}
}

// slowEnv serves a simulator that answers each request after delay, so a
// backfill lasts long enough to interrupt.
func slowEnv(t *testing.T, events int, delay time.Duration) *testEnv {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Token: testToken, Events: events, Users: 3, Groups: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return serveTestEnv(t, sim, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		sim.ServeHTTP(w, r)
	}))
}

// writeESConfig writes a configuration whose output is Elasticsearch at
// hosts, with extra pipeline keys.
func (e *testEnv) writeESConfig(t *testing.T, authentikURL, hosts, pipeline string) string {
	t.Helper()
	cfg := fmt.Sprintf(`authentik:
  url: %s
  token: %s
output:
  elasticsearch:
    hosts: [%s]
state:
  path: %s
pipeline:
  retry_initial: 10ms
  retry_max: 50ms
%slogging:
  format: json
`, authentikURL, testToken, hosts, filepath.Join(e.dir, "state"), pipeline)
	p := filepath.Join(e.dir, "es.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunOnceInterruptedExitsInterruptedAndResumes(t *testing.T) {
	env := slowEnv(t, 3000, 30*time.Millisecond)
	cfg := env.writeConfig(t, "inputs:\n  events:\n    page_size: 100\n", "")
	r := startCLI(t, "run", "--once", "-c", cfg)
	waitFor(t, "some documents", 30*time.Second, func() bool { return len(env.docs(t, "event")) > 0 })
	r.cancel()
	if code := r.wait(t, 30*time.Second); code != exitInterrupted {
		t.Fatalf("run --once interrupted mid-backfill exited %d, want %d; logs:\n%s", code, exitInterrupted, r.logs)
	}
	if n := len(env.docs(t, "event")); n >= 3000 {
		t.Fatalf("the backfill was not interrupted (%d documents): the test proves nothing", n)
	}
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != exitOK {
		t.Fatalf("the rerun exited %d:\n%s", code, stderr)
	}
	seen := map[string]bool{}
	for _, d := range env.docs(t, "event") {
		seen[originalPK(t, d)] = true
	}
	if len(seen) != 3000 {
		t.Errorf("%d distinct events after the rerun, want 3000", len(seen))
	}
}

func TestOutputDownExitCodes(t *testing.T) {
	env := newTestEnv(t, 500, 2, 1)
	down := "http://" + freePort(t) // nothing listens there
	// failing starts akship with the output down and waits until a
	// delivery failed.
	failing := func(t *testing.T, pipeline string, args ...string) *cliRun {
		r := startCLI(t, append(args, "-c", env.writeESConfig(t, env.url, down, pipeline))...)
		waitFor(t, "a failed delivery", 30*time.Second, func() bool { return strings.Contains(r.logs.String(), "delivery failed") })
		return r
	}

	t.Run("SIGTERM abandons undelivered events: interrupted", func(t *testing.T) {
		r := failing(t, "  shutdown_timeout: 500ms\n", "run", "--once")
		r.cancel()
		if code := r.wait(t, 20*time.Second); code != exitInterrupted {
			t.Fatalf("exit code %d, want %d; logs:\n%s", code, exitInterrupted, r.logs)
		}
		if !strings.Contains(r.logs.String(), "abandoning undelivered events") {
			t.Errorf("no abandonment logged:\n%s", r.logs)
		}
	})
	t.Run("run --once gives up after pipeline.give_up_after", func(t *testing.T) {
		cfg := env.writeESConfig(t, env.url, down, "  give_up_after: 1s\n")
		r := startCLI(t, "run", "--once", "-c", cfg)
		if code := r.wait(t, 30*time.Second); code != exitGaveUp {
			t.Fatalf("exit code %d, want %d; logs:\n%s", code, exitGaveUp, r.logs)
		}
		if !strings.Contains(r.logs.String(), "pipeline.give_up_after") {
			t.Errorf("the give-up does not name pipeline.give_up_after:\n%s", r.logs)
		}
	})
	t.Run("a second signal stops at once", func(t *testing.T) {
		r := failing(t, "  shutdown_timeout: 5m\n", "run")
		r.cancel()
		waitFor(t, "the drain", 10*time.Second, func() bool { return strings.Contains(r.logs.String(), "draining") })
		r.force()
		if code := r.wait(t, 10*time.Second); code != exitInterrupted {
			t.Fatalf("exit code %d, want %d; logs:\n%s", code, exitInterrupted, r.logs)
		}
	})
	// Nothing was acknowledged: a run against a working output ships all.
	if code, _, stderr := run(t, "run", "--once", "-c", env.cfgPath); code != exitOK {
		t.Fatalf("run --once with the file output exited %d:\n%s", code, stderr)
	}
}

// errorLines returns the log lines of level error.
func errorLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"log.level":"error"`) {
			out = append(out, l)
		}
	}
	return out
}

func TestConfigurationMistakesStopAtOnce(t *testing.T) {
	env := newTestEnv(t, 100, 2, 1)
	plain := strings.TrimPrefix(env.url, "http://")
	tests := []struct {
		name, authentik, hosts string
		want                   []string
	}{
		{"https authentik.url against plain HTTP", "https://" + plain, "http://" + freePort(t),
			[]string{"es.yml:2:8: authentik.url: ", "plain HTTP", "write http://"}},
		{"https output against plain HTTP", env.url, "https://" + plain,
			[]string{"es.yml:6:12: output.elasticsearch.hosts: ", "plain HTTP", "write http://"}},
		{"authentik.url with a path that is not authentik's", env.url + "/sso", "http://" + freePort(t),
			[]string{"es.yml:2:8: authentik.url: ", "404", "without /api/v3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := env.writeESConfig(t, tt.authentik, tt.hosts, "")
			start := time.Now()
			r := startCLI(t, "run", "-c", cfg) // a daemon: it must not retry forever either
			if code := r.wait(t, 20*time.Second); code != exitConfig {
				t.Fatalf("exit code %d, want %d; logs:\n%s", code, exitConfig, r.logs)
			}
			errs := errorLines(r.logs.String())
			if len(errs) != 1 {
				t.Fatalf("%d error lines, want one message:\n%s", len(errs), r.logs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0], strings.Replace(w, "es.yml", cfg, 1)) {
					t.Errorf("the message lacks %q:\n%s", w, errs[0])
				}
			}
			if n := strings.Count(r.logs.String(), "\n"); n > 5 {
				t.Errorf("%d log lines for one mistake:\n%s", n, r.logs)
			}
			t.Logf("stopped after %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

func TestValidateConnectChecksStateAndCreatesNothing(t *testing.T) {
	env := newTestEnv(t, 10, 1, 1)
	dir := t.TempDir()
	write := func(statePath string) string {
		p := filepath.Join(dir, "v.yml")
		cfg := fmt.Sprintf("authentik:\n  url: %s\n  token: %s\noutput:\n  file:\n    path: %s\nstate:\n  path: %s\n",
			env.url, testToken, filepath.Join(dir, "out", "documents"), statePath)
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write(filepath.Join(dir, "lib", "state"))
	code, out, errOut := run(t, "validate", "--connect", "-c", cfg)
	if code != 0 || !strings.Contains(out, "state      ok") {
		t.Fatalf("validate --connect = %d:\n%s%s", code, out, errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("validate --connect created %v next to the configuration", names)
	}

	// A state.path below a regular file: run fails, so validate must too.
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = write(filepath.Join(file, "state"))
	code, out, _ = run(t, "validate", "--connect", "-c", cfg)
	if code == 0 || !strings.Contains(out, "state      FAILED: state.path: ") || !strings.Contains(out, "not a directory") {
		t.Errorf("validate --connect with an unusable state.path = %d:\n%s", code, out)
	}
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != exitConfig || !strings.Contains(stderr, "state.path") {
		t.Errorf("run with an unusable state.path = %d, want %d:\n%s", code, exitConfig, stderr)
	}
}

func TestIdleDaemonStatusAndMetrics(t *testing.T) {
	env := newTestEnv(t, 1200, 3, 2)
	listen := freePort(t)
	cfg := env.writeConfig(t, fmt.Sprintf("http:\n  listen: %s\ninputs:\n  events:\n    interval: 1s\n    page_size: 100\n", listen), "")
	d := startDaemon(t, cfg)
	base := "http://" + listen
	metric := func(series string) float64 { _, m := get(base + "/metrics"); return metricValue(m, series) }
	waitFor(t, "all events delivered", 60*time.Second, func() bool {
		return metric(`akship_output_documents_indexed_total{dataset="event",output="file"}`) == 1200
	})
	// Idle polls re-read the overlap below the cursor.
	waitFor(t, "two idle polls", 30*time.Second, func() bool {
		return metric(`akship_input_poll_duration_seconds_count{input="events"}`) >= 3
	})
	type inputStatus struct {
		Input   string   `json:"input"`
		Lag     *float64 `json:"lag_seconds"`
		Handled *int     `json:"handled"`
		Total   *int     `json:"total"`
	}
	var st struct {
		Inputs []inputStatus                 `json:"inputs"`
		Counts map[string]struct{ Read int } `json:"counts"`
	}
	_, body := get(base + "/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Inputs {
		if in.Handled != nil || in.Total != nil {
			t.Errorf("idle input %s shows a walk in progress (handled/total):\n%s", in.Input, body)
		}
		if in.Input == "events" && (in.Lag == nil || *in.Lag != 0) {
			t.Errorf("caught-up events input: lag_seconds %v, want 0:\n%s", in.Lag, body)
		}
	}
	if v := metric(`akship_input_cursor_lag_seconds{input="events"}`); v != 0 {
		t.Errorf("akship_input_cursor_lag_seconds = %v while caught up, want 0", v)
	}
	if v := metric(`akship_input_last_success_timestamp_seconds{input="events"}`); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("akship_input_last_success_timestamp_seconds = %v, want a recent time", v)
	}
	for _, in := range []string{"events", "users"} {
		if v := metric(`akship_input_walk_progress_ratio{input="` + in + `"}`); v != 1 {
			t.Errorf("akship_input_walk_progress_ratio{input=%q} = %v when caught up, want 1", in, v)
		}
	}
	if n, got := metric(`akship_input_records_total{input="events"}`), metric(`akship_input_records_received_total{input="events"}`); n != 1200 || got <= n {
		t.Errorf("records_total = %v (want 1200: it reconciles with the documents), received_total = %v (want more: re-reads)", n, got)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", 30*time.Second, func() bool { return strings.Contains(d.logs.String(), "configuration reloaded") })
	_, body = get(base + "/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if got := st.Counts["authentik.event"].Read; got != 1200 {
		t.Errorf("/status counts after SIGHUP: %d events read, want 1200 (counts since the start):\n%s", got, body)
	}
	if code := d.stop(t); code != exitOK {
		t.Fatalf("SIGTERM of an idle daemon exited %d, want 0", code)
	}
}

func TestRunHelpListsExitCodes(t *testing.T) {
	_, out, errOut := run(t, "run", "-h")
	help := out + errOut
	for _, want := range []string{"Exit codes:", "\n  0 ", "\n  1 ", "\n  3 ", "\n  78 ", "give_up_after"} {
		if !strings.Contains(help, want) {
			t.Errorf("run -h lacks %q:\n%s", want, help)
		}
	}
}
