package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/internal/loopback"
	"akship/internal/profile"
)

// benchEnv is one simulator and one sink, with the agent configuration
// pointing at them. The agent runs as a child process, so that its CPU
// time and memory are measured apart from the simulator's and the sink's.
type benchEnv struct {
	s      Settings
	sim    *simulator.Simulator
	simURL string
	sent   *atomic.Int64
	// served counts the bytes of the events endpoint's answers: what
	// authentik serialised and sent.
	served   *atomic.Int64
	cfgPath  string
	unmapped bool
	stop     []func()
}

func newBenchEnv(s Settings, events int, dir string, unmapped bool) (*benchEnv, error) {
	e := &benchEnv{s: s, unmapped: unmapped, sent: new(atomic.Int64), served: new(atomic.Int64)}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	var err error
	if e.sim, err = simulator.New(simulator.Options{Token: simulator.DefaultToken, Events: events, Users: s.Users,
		Groups: s.Groups, Seed: 42, Version: s.Release.Version, License: s.Release.License}); err != nil {
		return nil, err
	}
	simURL, stopSim, err := loopback.Serve(countServed(e.sim, e.served))
	if err != nil {
		return nil, err
	}
	e.simURL = simURL
	e.stop = append(e.stop, stopSim)
	sinkURL, stopSink, err := startSink(s, filepath.Join(dir, "sink"), e.sent)
	if err != nil {
		return nil, err
	}
	e.stop = append(e.stop, stopSink)
	if e.cfgPath, err = WriteConfig(dir, simURL, sinkURL, s, unmapped); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

func (e *benchEnv) close() {
	for i := len(e.stop) - 1; i >= 0; i-- {
		e.stop[i]()
	}
}

// measure runs "akship run --once" and counts the requests it made to the
// events endpoint and the bytes it sent to the sink. n is the number of
// events the run is expected to ship (for the rates); profName names the
// profiles of the run when --profile is given.
func (e *benchEnv) measure(ctx context.Context, label, profName string, n int) (benchResult, error) {
	before := e.sim.Stats().Requests.Events
	sentBefore, servedBefore := e.sent.Load(), e.served.Load()
	r, err := runAgent(ctx, e.s.Agent, e.cfgPath, e.unmapped, profileEnv(e.s.ProfileDir, profName))
	r.name, r.events = label, n
	r.requests = e.sim.Stats().Requests.Events - before
	r.bytesSent = e.sent.Load() - sentBefore
	r.bytesRead = e.served.Load() - servedBefore
	return r, err
}

// benchOnce runs a backfill and then an incremental poll of a fresh
// simulator into a fresh sink.
func benchOnce(ctx context.Context, s Settings, events int, dir string, unmapped bool) (backfill, incremental benchResult, err error) {
	e, err := newBenchEnv(s, events, dir, unmapped)
	if err != nil {
		return backfill, incremental, err
	}
	defer e.close()
	label, profName := "mapped", "mapped"
	if unmapped {
		label, profName = "null (unmapped)", "null"
	}
	if backfill, err = e.measure(ctx, label, profName, events); err != nil {
		return backfill, incremental, err
	}
	e.sim.InsertEvents(s.NewEvents)
	incremental, err = e.measure(ctx, "incremental", profName+"-incremental", s.NewEvents)
	return backfill, incremental, err
}

// countServed counts the body bytes h sends for the events endpoint.
func countServed(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events/events/") {
			w = &countingWriter{ResponseWriter: w, n: n}
		}
		h.ServeHTTP(w, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// WriteConfig writes the agent's configuration for a bench into dir
// (akship.yml, whose path it returns): authentik at simURL, the sink at
// sinkURL as the Elasticsearch host, and, unless unmapped, the mapping with
// the GeoIP databases and the event program of s.
func WriteConfig(dir, simURL, sinkURL string, s Settings, unmapped bool) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	headers := ""
	if s.Sink != "" || s.VictoriaLogs {
		headers = `    allow_non_elastic: true
    headers:
      VL-Time-Field: "@timestamp"
      VL-Msg-Field: event.original
      VL-Stream-Fields: data_stream.dataset
`
	}
	processors := ""
	if !unmapped {
		processors = fmt.Sprintf("processors:\n  geoip:\n    city_database: %s\n    asn_database: %s\n",
			s.GeoIPCity, s.GeoIPASN)
		if s.Program != "" || s.Extend != "" {
			processors += fmt.Sprintf("  event:\n    program_file: %q\n    extend_file: %q\n", s.Program, s.Extend)
		}
	}
	cfg := fmt.Sprintf(`authentik:
  url: %s
  token: %s
inputs:
  events:
    page_size: %d
    walk: %s
%s%soutput:
  elasticsearch:
    hosts: [%s]
%sstate:
  path: %s
logging:
  level: warn
  format: json
`, simURL, simulator.DefaultToken, s.PageSize, s.Release.Walk, intervalLine(s.Release.Interval), processors, sinkURL, headers, filepath.Join(dir, "state"))
	p := filepath.Join(dir, "akship.yml")
	return p, os.WriteFile(p, []byte(cfg), 0o600)
}

// runAgent runs "akship run --once" as a child process and measures its
// CPU time (user + system, from rusage) and its peak resident set.
//
// The peak is the child's own VmHWM, sampled from /proc while it runs.
// rusage's maxrss would not do: Linux carries the parent's high-water mark
// over into a child across fork and exec, so it would report the bench
// process (simulator and sink) instead of the agent.
func runAgent(ctx context.Context, agentBin, cfgPath string, unmapped bool, env []string) (benchResult, error) {
	args := []string{"run", "--once", "-c", cfgPath}
	if unmapped {
		args = append(args, "--unmapped")
	}
	cmd := exec.CommandContext(ctx, agentBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var logs limitedBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return benchResult{}, err
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	r := benchResult{wall: time.Since(start), maxRSS: peak()}
	if err != nil {
		return r, fmt.Errorf("agent failed: %w\n%s", err, logs.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// watchPeakRSS samples /proc/<pid>/status every 10ms. VmHWM is the
// process's own high-water mark, so only growth in the last interval
// before exit can be missed; the returned function stops the sampling and
// returns the largest value seen.
func watchPeakRSS(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := readVmHWM(path); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// readVmHWM returns the VmHWM line of a /proc status file in bytes, or 0.
func readVmHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// profileEnv asks the agent for profiles named after the run.
func profileEnv(dir, name string) []string {
	if dir == "" {
		return nil
	}
	return []string{profile.EnvCPU + "=" + filepath.Join(dir, name+".cpu.pprof"),
		profile.EnvMem + "=" + filepath.Join(dir, name+".mem.pprof")}
}

// limitedBuffer keeps the last 64 KiB written (the agent's logs).
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = l.b[len(l.b)-64<<10:]
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
