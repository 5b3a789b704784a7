// Package bench is the harness of akship bench: it runs the akship binary
// (akship run --once, or the daemon) as a child process against an authentik
// simulator and a sink (the Elasticsearch double, VictoriaLogs, or any bulk
// URL) and measures its wall and CPU time, peak memory, and the requests
// and bytes it cost authentik and the sink. The mapped/null comparison, the
// scale-of-work table (scale.go) and the steady-traffic mode (live.go) are
// its three measurements.
package bench

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

// Settings are what akship bench measures and how (its flags).
type Settings struct {
	// Events, Users and Groups are stored in the simulator; NewEvents are
	// inserted before the incremental poll.
	Events, Users, Groups int
	NewEvents             int
	// PageSize is inputs.events.page_size.
	PageSize int
	// Sink is an Elasticsearch bulk URL to ship to; empty means the
	// in-process double, unless VictoriaLogs is set.
	Sink string
	// VictoriaLogs starts a VictoriaLogs server per measured pipeline.
	VictoriaLogs bool
	// Scale runs the scale-of-work table over ScaleSizes instead of the
	// mapped/null comparison.
	Scale      bool
	ScaleSizes []int
	// Agent is the akship binary measured (default: this one), so that two
	// builds can be compared with the same harness.
	Agent string
	// ProfileDir, when set, receives CPU and heap profiles of each agent
	// run (<pipeline>.cpu.pprof, <pipeline>.mem.pprof[.peak]).
	ProfileDir string
	// Dir is the working directory (default: a temporary one, removed
	// afterwards).
	Dir string
	// GeoIPCity and GeoIPASN are the databases of the mapped pipeline
	// (written by Run).
	GeoIPCity, GeoIPASN string
	// Release: the emulated authentik and how the events are walked (see
	// live.go, which also holds the steady-traffic mode).
	Release Release
	// Program and Extend are the mapped pipeline's event program and
	// extension files (processors.event.program_file / extend_file);
	// empty for the defaults.
	Program, Extend string
}

// ParseSizes parses the comma-separated positive numbers of --scale-sizes.
func ParseSizes(v string) ([]int, error) {
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

// Run measures what s asks for and writes the table to w.
func Run(ctx context.Context, s Settings, w io.Writer) error {
	cleanup, err := s.prepare()
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(w, "akship bench: %s; %d users, %d groups; page size %d; %s; sink: %s\n%s\n\n",
		s.what(), s.Users, s.Groups, s.PageSize, s.Release, s.sinkName(), machine())
	if s.Scale {
		return runScale(ctx, s, w)
	}
	if s.Release.Live > 0 {
		return runLive(ctx, s, w)
	}
	var results []benchResult
	var incremental benchResult
	for _, mode := range []string{"mapped", "null"} {
		r, inc, err := benchOnce(ctx, s, s.Events, filepath.Join(s.Dir, mode), mode == "null")
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
		s.NewEvents, incremental.requests, incremental.wall.Round(time.Millisecond))
	return nil
}

// prepare fills in the working directory, the agent binary and the GeoIP
// databases. The returned function removes what prepare created.
func (s *Settings) prepare() (func(), error) {
	cleanup := func() {}
	if s.Dir == "" {
		tmp, err := os.MkdirTemp("", "akship-bench-")
		if err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		s.Dir = tmp
	}
	if s.Agent == "" {
		self, err := os.Executable()
		if err != nil {
			cleanup()
			return nil, err
		}
		s.Agent = self
	}
	var err error
	// The mapping runs in full: GeoIP databases covering the simulator's
	// address ranges, as in the demo.
	if s.GeoIPCity, s.GeoIPASN, err = geoip.WriteDemoDatabases(filepath.Join(s.Dir, "geoip")); err != nil {
		cleanup()
		return nil, err
	}
	if s.ProfileDir != "" {
		if err := os.MkdirAll(s.ProfileDir, 0o750); err != nil {
			cleanup()
			return nil, err
		}
	}
	return cleanup, nil
}

func (s *Settings) what() string {
	if s.Scale {
		parts := make([]string, len(s.ScaleSizes))
		for i, n := range s.ScaleSizes {
			parts[i] = strconv.Itoa(n)
		}
		return "scale of work over " + strings.Join(parts, ", ") + " stored events"
	}
	what := strconv.Itoa(s.Events) + " events"
	if s.Program != "" {
		what += "; event program " + s.Program
	}
	if s.Extend != "" {
		what += "; event extension " + s.Extend
	}
	return what
}

func (s *Settings) sinkName() string {
	switch {
	case s.VictoriaLogs:
		return "VictoriaLogs (started by the bench)"
	case s.Sink != "":
		return s.Sink
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
