package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"akship/processors/mapping/geoip"
)

// benchSettings are the bench command's flags.
type benchSettings struct {
	events, users, groups int
	newEvents             int
	pageSize              int
	// sink is an Elasticsearch bulk URL to ship to; empty means the
	// in-process double, unless victoriaLogs is set.
	sink string
	// victoriaLogs starts a VictoriaLogs server per measured pipeline.
	victoriaLogs bool
	// scale runs the scale-of-work table over scaleSizes instead of the
	// mapped/null comparison.
	scale      bool
	scaleSizes []int
	// agent is the akship binary measured (default: this one), so that two
	// builds can be compared with the same harness.
	agent string
	// profileDir, when set, receives CPU and heap profiles of each agent
	// run (<pipeline>.cpu.pprof, <pipeline>.mem.pprof[.peak]).
	profileDir string
	dir        string
	// geoipCity and geoipASN are the databases of the mapped pipeline
	// (written by prepare).
	geoipCity, geoipASN string
	// release: the emulated authentik and how the events are walked (see
	// bench_live.go, which also holds the steady-traffic mode).
	release benchRelease
	// program and extend are the mapped pipeline's event program and
	// extension files (processors.event.program_file / extend_file);
	// empty for the defaults.
	program, extend string
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "[--events N] [--victorialogs | --sink URL] [--scale] [flags]", stdout, stderr)
	var s benchSettings
	var sizes string
	fs.IntVar(&s.events, "events", 200000, "events stored in the simulator")
	fs.IntVar(&s.users, "users", 500, "users in the simulator")
	fs.IntVar(&s.groups, "groups", 50, "groups in the simulator")
	fs.IntVar(&s.newEvents, "new-events", 100, "events inserted before the incremental poll")
	fs.IntVar(&s.pageSize, "page-size", 500, "inputs.events.page_size")
	fs.StringVar(&s.sink, "sink", "", "Elasticsearch bulk URL to ship to (e.g. VictoriaLogs' "+
		"http://127.0.0.1:9428/insert/elasticsearch); default: the in-process Elasticsearch double")
	fs.BoolVar(&s.victoriaLogs, "victorialogs", false, "ship to a VictoriaLogs server the bench starts "+
		"(binary from $AKSHIP_VICTORIALOGS or $(go env GOPATH)/bin/victoria-logs)")
	fs.BoolVar(&s.scale, "scale", false, "measure how the cost grows with the stored events (see --scale-sizes)")
	fs.StringVar(&sizes, "scale-sizes", "10000,100000,1000000", "stored events of the --scale runs, comma-separated")
	fs.StringVar(&s.agent, "agent", "", "akship binary to measure (default: this one; for comparing builds)")
	fs.StringVar(&s.profileDir, "profile", "", "write CPU and heap profiles of the agent runs into this directory")
	fs.StringVar(&s.dir, "dir", "", "working directory (default: a temporary one, removed afterwards)")
	s.release.registerFlags(fs.FlagSet)
	fs.StringVar(&s.program, "program", "", "CEL file replacing the event program of the mapped pipeline (processors.event.program_file)")
	fs.StringVar(&s.extend, "extend", "", "CEL file extending the event program of the mapped pipeline (processors.event.extend_file)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	var err error
	if s.scaleSizes, err = parseSizes(sizes); err != nil || s.victoriaLogs && s.sink != "" {
		fmt.Fprintln(stderr, "akship bench: --scale-sizes must list positive numbers; --sink and --victorialogs exclude each other")
		return exitUsage
	}
	for _, p := range []*string{&s.program, &s.extend} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err == nil {
			_, err = os.Stat(*p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "akship bench: --program / --extend: %v\n", err)
			return exitUsage
		}
	}
	if err := runBench(ctx, s, stdout); err != nil {
		fmt.Fprintf(stderr, "akship bench: %v\n", err)
		return 1
	}
	return 0
}

func parseSizes(v string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchResult is one measured agent run.
type benchResult struct {
	name      string
	events    int
	wall      time.Duration
	cpu       time.Duration
	maxRSS    int64 // bytes: the agent's own peak resident set
	requests  uint64
	bytesRead int64 // answers of authentik's events endpoint
	bytesSent int64
}

func (r benchResult) perCPUSecond() float64 { return float64(r.events) / r.cpu.Seconds() }

func runBench(ctx context.Context, s benchSettings, w io.Writer) error {
	cleanup, err := s.prepare()
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(w, "akship bench: %s; %d users, %d groups; page size %d; %s; sink: %s\n%s\n\n",
		s.what(), s.users, s.groups, s.pageSize, s.release, s.sinkName(), machine())
	if s.scale {
		return runScale(ctx, s, w)
	}
	if s.release.live > 0 {
		return runLive(ctx, s, w)
	}
	var results []benchResult
	var incremental benchResult
	for _, mode := range []string{"mapped", "null"} {
		r, inc, err := benchOnce(ctx, s, s.events, filepath.Join(s.dir, mode), mode == "null")
		if err != nil {
			return fmt.Errorf("%s pipeline: %w", mode, err)
		}
		results = append(results, r)
		if mode == "mapped" {
			incremental = inc
		}
	}
	printBench(w, results)
	fmt.Fprintf(w, "\nincremental poll after %d new events: %d requests to the events endpoint, %s\n",
		s.newEvents, incremental.requests, incremental.wall.Round(time.Millisecond))
	return nil
}

// prepare fills in the working directory, the agent binary and the GeoIP
// databases. The returned function removes what prepare created.
func (s *benchSettings) prepare() (func(), error) {
	cleanup := func() {}
	if s.dir == "" {
		tmp, err := os.MkdirTemp("", "akship-bench-")
		if err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		s.dir = tmp
	}
	if s.agent == "" {
		self, err := os.Executable()
		if err != nil {
			cleanup()
			return nil, err
		}
		s.agent = self
	}
	var err error
	// The mapping runs in full: GeoIP databases covering the simulator's
	// address ranges, as in the demo.
	if s.geoipCity, s.geoipASN, err = geoip.WriteDemoDatabases(filepath.Join(s.dir, "geoip")); err != nil {
		cleanup()
		return nil, err
	}
	if s.profileDir != "" {
		if err := os.MkdirAll(s.profileDir, 0o750); err != nil {
			cleanup()
			return nil, err
		}
	}
	return cleanup, nil
}

func (s *benchSettings) what() string {
	if s.scale {
		parts := make([]string, len(s.scaleSizes))
		for i, n := range s.scaleSizes {
			parts[i] = strconv.Itoa(n)
		}
		return "scale of work over " + strings.Join(parts, ", ") + " stored events"
	}
	what := strconv.Itoa(s.events) + " events"
	if s.program != "" {
		what += "; event program " + s.program
	}
	if s.extend != "" {
		what += "; event extension " + s.extend
	}
	return what
}

func (s *benchSettings) sinkName() string {
	switch {
	case s.victoriaLogs:
		return "VictoriaLogs (started by the bench)"
	case s.sink != "":
		return s.sink
	}
	return "in-process Elasticsearch double"
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("machine: %d CPUs (%s), %s %s/%s", runtime.NumCPU(), cpu, runtime.Version(),
		runtime.GOOS, runtime.GOARCH)
}

func printBench(w io.Writer, rs []benchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pipeline\tevents\twall\tevents/s\tagent CPU-s\tevents/CPU-s\tpeak RSS MiB\tauthentik requests\tMiB sent\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.2f\t%.0f\t%.1f\t%d\t%.1f\t\n", r.name, r.events,
			r.wall.Round(time.Millisecond), float64(r.events)/r.wall.Seconds(), r.cpu.Seconds(),
			r.perCPUSecond(), float64(r.maxRSS)/(1<<20), r.requests, float64(r.bytesSent)/(1<<20))
	}
	tw.Flush()
	if len(rs) == 2 && rs[0].cpu > 0 && rs[1].cpu > 0 {
		fmt.Fprintf(w, "\nmapped/null (events per CPU-second): %.2f\n", rs[0].perCPUSecond()/rs[1].perCPUSecond())
	}
}
