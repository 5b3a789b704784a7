package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"akship/inputs/authentik"
	"akship/inputs/authentik/simulator"
	"akship/internal/loopback"
)

// Release is the emulated authentik and the events walk of a bench, and
// the steady-traffic mode (--live).
type Release struct {
	// Version and License are the emulated authentik release and licence;
	// Walk is inputs.events.walk.
	Version, License, Walk string
	// Live is the insert rate (events/s) of the steady-traffic mode; 0
	// runs the usual backfill bench. LiveFor is how long each walk runs.
	Live    float64
	LiveFor time.Duration
	// Interval overrides inputs.events.interval (tests; 0: the default).
	Interval time.Duration
}

// RegisterFlags registers the release and steady-traffic flags on fs.
func (r *Release) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&r.Version, "authentik-version", simulator.DefaultVersion,
		"emulated authentik release: "+strings.Join(simulator.Versions, ", "))
	fs.StringVar(&r.License, "license", simulator.LicenseNone, "emulated authentik licence: none or enterprise")
	fs.StringVar(&r.Walk, "walk", authentik.WalkAuto, "inputs.events.walk: auto, offset or keyset")
	fs.Float64Var(&r.Live, "live", 0, "steady-traffic mode: run the daemon at its default interval while "+
		"the simulator inserts this many events per second, for both walks")
	fs.DurationVar(&r.LiveFor, "live-for", 3*time.Minute, "how long each walk of --live runs")
}

func (r Release) String() string {
	return fmt.Sprintf("authentik %s (licence %s), walk %s", r.Version, r.License, r.Walk)
}

// livePoll is one completed poll of the daemon under steady inserts.
type livePoll struct {
	newEvents, requests int
	bytes               int64
}

// runLive measures what each poll costs under steady traffic: after a
// backfill, the daemon runs at its default interval while RATE events per
// second are inserted, and every completed poll's event requests and
// response bytes are set against the events inserted since the one before.
func runLive(ctx context.Context, s Settings, w io.Writer) error {
	fmt.Fprintf(w, "steady traffic: %.0f inserts/s for %v per walk, daemon at the default interval (30s), "+
		"inputs.events.page_size %d\n\n", s.Release.Live, s.Release.LiveFor, s.PageSize)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "walk\tpolls\tnew/poll\trequests/poll\tmax\tceil(new/served)+1\tKB/poll\tKB/new event\t")
	for _, walk := range []string{authentik.WalkOffset, authentik.WalkKeyset} {
		s.Release.Walk = walk
		polls, served, err := livePolls(ctx, s, filepath.Join(s.Dir, "live-"+walk))
		if err != nil {
			return fmt.Errorf("%s walk: %w", walk, err)
		}
		var sum livePoll
		most, bound := 0, 0
		for _, p := range polls {
			sum.newEvents += p.newEvents
			sum.requests += p.requests
			sum.bytes += p.bytes
			most = max(most, p.requests)
			bound = max(bound, int(math.Ceil(float64(p.newEvents)/float64(served)))+1)
		}
		n := float64(max(len(polls), 1))
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.1f\t%d\t%d\t%.0f\t%.2f\t\n", walk, len(polls), float64(sum.newEvents)/n,
			float64(sum.requests)/n, most, bound, float64(sum.bytes)/n/1024,
			float64(sum.bytes)/1024/math.Max(float64(sum.newEvents), 1))
	}
	return tw.Flush()
}

// livePolls runs one walk's steady-traffic measurement and returns its
// polls and the page size authentik served.
func livePolls(ctx context.Context, s Settings, dir string) ([]livePoll, int, error) {
	e, err := newBenchEnv(s, s.Events, dir, false)
	if err != nil {
		return nil, 0, err
	}
	defer e.close()
	if _, err := e.measure(ctx, "backfill", "", s.Events); err != nil {
		return nil, 0, err
	}
	listen, err := loopback.FreeAddr()
	if err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(e.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, 0, err
	}
	_, err = fmt.Fprintf(f, "http:\n  listen: %s\n", listen)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(runCtx, s.Agent, "run", "-c", e.cfgPath)
	var logs limitedBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	defer func() { stop(); _ = cmd.Wait() }()
	go insertSteadily(runCtx, e.sim, s.Release.Live)

	var polls []livePoll
	last, err := waitPoll(runCtx, listen, -1)
	if err != nil {
		return nil, 0, fmt.Errorf("%w\n%s", err, logs.String())
	}
	mark := func() (int, int, int64) {
		st := e.sim.Stats()
		return int(st.Inserted), int(st.Requests.Events), e.served.Load()
	}
	ins0, req0, bytes0 := mark()
	deadline := time.Now().Add(s.Release.LiveFor)
	for time.Now().Before(deadline) {
		if last, err = waitPoll(runCtx, listen, last); err != nil {
			return nil, 0, fmt.Errorf("%w\n%s", err, logs.String())
		}
		ins, req, b := mark()
		polls = append(polls, livePoll{newEvents: ins - ins0, requests: req - req0, bytes: b - bytes0})
		ins0, req0, bytes0 = ins, req, b
	}
	return polls, servedSize(s.PageSize, s.Release.Version), nil
}

// servedSize is the page size the emulated release serves for page_size.
func servedSize(pageSize int, version string) int {
	if version >= "2026.2" {
		return min(pageSize, 100)
	}
	return pageSize
}

// insertSteadily inserts rate events per second, in tenths of a second,
// until ctx ends.
func insertSteadily(ctx context.Context, sim *simulator.Simulator, rate float64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	owed := 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			owed += rate / 10
			n := int(owed)
			owed -= float64(n)
			sim.InsertEvents(n)
		}
	}
}

// waitPoll waits until the daemon's count of completed events polls
// exceeds last (any count when last < 0) and returns it.
func waitPoll(ctx context.Context, listen string, last int) (int, error) {
	timeout := time.After(5 * time.Minute)
	for {
		if n, ok := pollsDone(listen); ok && n > last && (last >= 0 || n > 0) {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-timeout:
			return 0, fmt.Errorf("no events poll completed within 5 minutes")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pollsDone reads akship_input_poll_duration_seconds_count for events.
func pollsDone(listen string) (int, bool) {
	body, err := httpGet("http://" + listen + "/metrics")
	if err != nil {
		return 0, false
	}
	const key = `akship_input_poll_duration_seconds_count{input="events"} `
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			return n, err == nil
		}
	}
	return 0, true
}

// httpGet returns the body of a GET.
func httpGet(u string) (string, error) {
	resp, err := http.Get(u) //nolint:gosec // a local bench address
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// intervalLine is the inputs.events.interval line of the bench
// configuration, empty for the default.
func intervalLine(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return "    interval: " + d.String() + "\n"
}
