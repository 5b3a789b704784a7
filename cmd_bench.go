package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble"
)

// benchSettings are the bench command's flags.
type benchSettings struct {
	events, users, groups int
	newEvents             int
	sink                  string
	dir                   string
	pageSize              int
	keep                  bool
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "[--events N] [--sink URL]", stderr)
	var s benchSettings
	fs.IntVar(&s.events, "events", 200000, "events stored in the simulator")
	fs.IntVar(&s.users, "users", 500, "users in the simulator")
	fs.IntVar(&s.groups, "groups", 50, "groups in the simulator")
	fs.IntVar(&s.newEvents, "new-events", 100, "events inserted before the incremental poll")
	fs.IntVar(&s.pageSize, "page-size", 500, "inputs.events.page_size")
	fs.StringVar(&s.sink, "sink", "", "Elasticsearch bulk URL to ship to (e.g. VictoriaLogs' http://127.0.0.1:9428/insert/elasticsearch); default: the in-process Elasticsearch double")
	fs.StringVar(&s.dir, "dir", "", "working directory (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := runBench(ctx, s, stdout); err != nil {
		fmt.Fprintf(stderr, "akship bench: %v\n", err)
		return 1
	}
	return 0
}

// benchResult is one measured backfill.
type benchResult struct {
	name      string
	events    int
	wall      time.Duration
	cpu       time.Duration
	maxRSS    int64 // bytes
	requests  uint64
	bytesSent int64
}

func runBench(ctx context.Context, s benchSettings, w io.Writer) error {
	dir := s.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "akship-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "akship bench: %d events, %d users, %d groups; sink: %s; %s, %d CPUs\n\n", s.events, s.users,
		s.groups, sinkName(s.sink), runtime.Version(), runtime.NumCPU())
	var results []benchResult
	for _, mode := range []string{"mapped", "null"} {
		r, incremental, err := benchOnce(ctx, s, self, filepath.Join(dir, mode), mode == "null")
		if err != nil {
			return fmt.Errorf("%s pipeline: %w", mode, err)
		}
		results = append(results, r)
		if mode == "mapped" {
			defer fmt.Fprintf(w, "\nincremental poll after %d new events: %d requests to the events endpoint, %s\n",
				s.newEvents, incremental.requests, incremental.wall.Round(time.Millisecond))
		}
	}
	printBench(w, results)
	return nil
}

func sinkName(sink string) string {
	if sink == "" {
		return "in-process Elasticsearch double"
	}
	return sink
}

// benchOnce runs a backfill and then an incremental poll of a fresh
// simulator into the sink with the agent as a child process.
func benchOnce(ctx context.Context, s benchSettings, self, dir string, unmapped bool) (backfill, incremental benchResult, err error) {
	sim, err := simulator.New(simulator.Options{Token: "bench-token", Events: s.events, Users: s.users,
		Groups: s.groups, Seed: 42})
	if err != nil {
		return backfill, incremental, err
	}
	simURL, stopSim, err := serveLocal(sim)
	if err != nil {
		return backfill, incremental, err
	}
	defer stopSim()
	var sent atomic.Int64
	sinkURL, stopSink, err := startSink(s.sink, &sent)
	if err != nil {
		return backfill, incremental, err
	}
	defer stopSink()
	cfgPath, err := writeBenchConfig(dir, simURL, sinkURL, s)
	if err != nil {
		return backfill, incremental, err
	}
	name := "mapped"
	if unmapped {
		name = "null (unmapped)"
	}
	measure := func(label string, n int) (benchResult, error) {
		before := sim.Stats().Requests.Events
		sentBefore := sent.Load()
		r, err := runChild(ctx, self, cfgPath, unmapped)
		r.name, r.events = label, n
		r.requests = sim.Stats().Requests.Events - before
		r.bytesSent = sent.Load() - sentBefore
		return r, err
	}
	if backfill, err = measure(name, s.events); err != nil {
		return backfill, incremental, err
	}
	sim.InsertEvents(s.newEvents)
	incremental, err = measure("incremental", s.newEvents)
	return backfill, incremental, err
}

// startSink serves the Elasticsearch double, or proxies to the given URL,
// counting the request bytes the agent sends.
func startSink(target string, sent *atomic.Int64) (string, func(), error) {
	var h http.Handler = esdouble.New()
	if target != "" {
		u, err := url.Parse(target)
		if err != nil {
			return "", nil, err
		}
		proxy := httputil.NewSingleHostReverseProxy(u)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Host = u.Host
			proxy.ServeHTTP(w, r)
		})
	}
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 0 {
			sent.Add(r.ContentLength)
		}
		h.ServeHTTP(w, r)
	})
	return serveLocal(counting)
}

func writeBenchConfig(dir, simURL, sinkURL string, s benchSettings) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	headers := ""
	if s.sink != "" {
		headers = `    headers:
      VL-Time-Field: "@timestamp"
      VL-Msg-Field: event.original
      VL-Stream-Fields: data_stream.dataset
`
	}
	cfg := fmt.Sprintf(`authentik:
  url: %s
  token: bench-token
inputs:
  events:
    page_size: %d
output:
  elasticsearch:
    hosts: [%s]
%sstate:
  path: %s
logging:
  level: warn
  format: json
`, simURL, s.pageSize, sinkURL, headers, filepath.Join(dir, "state"))
	p := filepath.Join(dir, "akship.yml")
	return p, os.WriteFile(p, []byte(cfg), 0o600)
}

// runChild runs "akship run --once" as a child process and measures it.
func runChild(ctx context.Context, self, cfgPath string, unmapped bool) (benchResult, error) {
	args := []string{"run", "--once", "-c", cfgPath}
	if unmapped {
		args = append(args, "--unmapped")
	}
	cmd := exec.CommandContext(ctx, self, args...)
	var logs limitedBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	start := time.Now()
	err := cmd.Run()
	r := benchResult{wall: time.Since(start)}
	if err != nil {
		return r, fmt.Errorf("agent failed: %w\n%s", err, logs.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.maxRSS = ru.Maxrss * 1024
	}
	return r, nil
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

func printBench(w io.Writer, rs []benchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pipeline\tevents\twall\tevents/s\tagent CPU-s\tevents/CPU-s\tpeak RSS MiB\tauthentik requests\tMiB sent\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.2f\t%.0f\t%.1f\t%d\t%.1f\t\n", r.name, r.events,
			r.wall.Round(time.Millisecond), float64(r.events)/r.wall.Seconds(), r.cpu.Seconds(),
			float64(r.events)/r.cpu.Seconds(), float64(r.maxRSS)/(1<<20), r.requests, float64(r.bytesSent)/(1<<20))
	}
	tw.Flush()
	if len(rs) == 2 && rs[0].cpu > 0 && rs[1].cpu > 0 {
		ratio := (float64(rs[0].events) / rs[0].cpu.Seconds()) / (float64(rs[1].events) / rs[1].cpu.Seconds())
		fmt.Fprintf(w, "\nmapped/null (events per CPU-second): %.2f\n", ratio)
	}
}
