package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// livePoll is one completed poll of the daemon under steady inserts, as
// the events input reported it in its "events poll done" debug line: the
// pages it asked of authentik and the events it shipped that no earlier
// poll had, counted by the walk itself from its first request to its
// last. Taking both from the same poll matters: a poll that runs long
// (the machine is loaded, or the interval is short) also reads the events
// inserted while it walks, so the events inserted between two instants
// seen from outside are not the ones a poll read.
type livePoll struct {
	newEvents, requests int
}

// keysetBound is the most requests a keyset poll that shipped newEvents
// may make, pages of served events: it asks first for the page holding
// the k-th (newest) known event of the overlap window, at index k-1, and
// reads on to the last new one, at index k-1+newEvents, so it asks for
// ceil((r+1+newEvents)/served) pages, r = (k-1) mod served < served: at
// most ceil(newEvents/served) + 1, and exactly that whenever the new
// events cross one page boundary more than they fill. Late rows in the
// window or rows deleted under the walk's position make it read the window
// again, legitimately more (the live bench inserts neither).
func keysetBound(newEvents, served int) int {
	return (newEvents+served-1)/served + 1
}

// runLive measures what each poll costs under steady traffic: after a
// backfill, the daemon runs at its default interval while RATE events per
// second are inserted, and every completed poll's event requests are set
// against the events that same poll shipped.
func runLive(ctx context.Context, s Settings, w io.Writer) error {
	fmt.Fprintf(w, "steady traffic: %.0f inserts/s for %v per walk, daemon at the default interval (30s), "+
		"inputs.events.page_size %d\n\n", s.Release.Live, s.Release.LiveFor, s.PageSize)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "walk\tpolls\tnew/poll\trequests/poll\tmax\tpolls over ceil(new/served)+1\tKB/poll\tKB/new event\t")
	for _, walk := range []string{authentik.WalkOffset, authentik.WalkKeyset} {
		s.Release.Walk = walk
		polls, servedBytes, served, err := livePolls(ctx, s, filepath.Join(s.Dir, "live-"+walk))
		if err != nil {
			return fmt.Errorf("%s walk: %w", walk, err)
		}
		var sum livePoll
		most, over := 0, 0
		for _, p := range polls {
			sum.newEvents += p.newEvents
			sum.requests += p.requests
			most = max(most, p.requests)
			if p.requests > keysetBound(p.newEvents, served) {
				over++
			}
		}
		n := float64(max(len(polls), 1))
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.1f\t%d\t%d\t%.0f\t%.2f\t\n", walk, len(polls), float64(sum.newEvents)/n,
			float64(sum.requests)/n, most, over, float64(servedBytes)/n/1024,
			float64(servedBytes)/1024/math.Max(float64(sum.newEvents), 1))
	}
	return tw.Flush()
}

// livePolls runs one walk's steady-traffic measurement and returns its
// polls (after the first, which catches up after the backfill), the bytes
// authentik served from the end of the first poll to the end of the last,
// and the page size authentik served.
func livePolls(ctx context.Context, s Settings, dir string) ([]livePoll, int64, int, error) {
	e, err := newBenchEnv(s, s.Events, dir, false)
	if err != nil {
		return nil, 0, 0, err
	}
	defer e.close()
	if _, err := e.measure(ctx, "backfill", "", s.Events); err != nil {
		return nil, 0, 0, err
	}
	listen, err := loopback.FreeAddr()
	if err != nil {
		return nil, 0, 0, err
	}
	if err := daemonConfig(e.cfgPath, listen); err != nil {
		return nil, 0, 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(runCtx, s.Agent, "run", "-c", e.cfgPath)
	logs := &pollLog{done: make(chan livePoll, 4096)}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	defer func() { stop(); _ = cmd.Wait() }()
	go insertSteadily(runCtx, e.sim, s.Release.Live)

	next := func() (livePoll, error) {
		select {
		case p := <-logs.done:
			return p, nil
		case <-runCtx.Done():
			return livePoll{}, runCtx.Err()
		case <-time.After(5 * time.Minute):
			return livePoll{}, fmt.Errorf("no events poll completed within 5 minutes\n%s", logs.String())
		}
	}
	if _, err := next(); err != nil {
		return nil, 0, 0, err
	}
	bytes0 := e.served.Load()
	var polls []livePoll
	deadline := time.Now().Add(s.Release.LiveFor)
	for time.Now().Before(deadline) {
		p, err := next()
		if err != nil {
			return nil, 0, 0, err
		}
		polls = append(polls, p)
	}
	return polls, e.served.Load() - bytes0, servedSize(s.PageSize, s.Release.Version), nil
}

// daemonConfig turns the bench configuration at path into the daemon's:
// the metrics endpoint on listen, and debug logging, for the events
// input's line per completed poll.
func daemonConfig(path, listen string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg := strings.Replace(string(b), "  level: warn\n", "  level: debug\n", 1)
	return os.WriteFile(path, []byte(cfg+fmt.Sprintf("http:\n  listen: %s\n", listen)), 0o600)
}

// pollLog is the daemon's standard error (JSON log lines): it sends the
// cost of every completed events poll on done and keeps the last lines
// for error reports.
type pollLog struct {
	mu      sync.Mutex // Write runs in the command's copying goroutine
	last    limitedBuffer
	partial []byte
	done    chan livePoll
}

// String returns the last lines written.
func (l *pollLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last.String()
}

func (l *pollLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.last.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		var line struct {
			Message   string `json:"message"`
			Input     string `json:"input"`
			Requests  *int   `json:"requests"`
			NewEvents *int   `json:"new_events"`
		}
		if json.Unmarshal(l.partial[:i], &line) == nil && line.Message == authentik.PollDoneMessage &&
			line.Input == "events" && line.Requests != nil && line.NewEvents != nil {
			select {
			case l.done <- livePoll{newEvents: *line.NewEvents, requests: *line.Requests}:
			default: // nobody reads any more
			}
		}
		l.partial = l.partial[i+1:]
	}
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

// intervalLine is the inputs.events.interval line of the bench
// configuration, empty for the default.
func intervalLine(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return "    interval: " + d.String() + "\n"
}
