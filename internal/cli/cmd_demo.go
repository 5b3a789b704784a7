package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/internal/datasets"
	"akship/internal/loopback"
	"akship/outputs/file"
	"akship/processors/mapping/geoip"
)

// demoMarker marks a directory the demo created, so a later demo may clear
// it without ever touching a directory the user owns.
const demoMarker = ".akship-demo"

// demoSettings are the demo's flags.
type demoSettings struct {
	out                   string
	events, users, groups int
	newEvents             int
	seed                  int64
}

// demoFlags registers the demo command's flags; its action runs the
// pipeline twice against a simulator (see runDemo).
func demoFlags(fs *flagSet) action {
	var s demoSettings
	fs.StringVar(&s.out, "out", "akship-demo", "directory for the documents, cursors and dead-letter file")
	fs.IntVar(&s.events, "events", 5000, "events stored in the simulator")
	fs.IntVar(&s.users, "users", 300, "users in the simulator")
	fs.IntVar(&s.groups, "groups", 25, "groups in the simulator")
	fs.IntVar(&s.newEvents, "new-events", 100, "events inserted before the second, incremental run")
	fs.Int64Var(&s.seed, "seed", 1, "simulator seed (same seed, same data)")
	return func(ctx context.Context) int {
		if err := runDemo(ctx, s, fs.stdout, fs.stderr); err != nil {
			fmt.Fprintf(fs.stderr, "akship demo: %v\n", err)
			return 1
		}
		return 0
	}
}

func runDemo(ctx context.Context, s demoSettings, stdout, stderr io.Writer) error {
	if err := prepareDemoDir(s.out); err != nil {
		return err
	}
	token := simulator.DefaultToken
	sim, err := simulator.New(simulator.Options{Token: token, Events: s.events, Users: s.users, Groups: s.groups,
		Seed: s.seed})
	if err != nil {
		return err
	}
	url, stopSim, err := loopback.Serve(sim)
	if err != nil {
		return err
	}
	defer stopSim()
	cfg := demoConfig(url, token, s.out)
	// GeoIP databases of our own for the simulator's address ranges, so
	// the demo enriches source.geo and source.as without external files.
	if cfg.Processors.GeoIP.CityDatabase, cfg.Processors.GeoIP.ASNDatabase, err =
		geoip.WriteDemoDatabases(filepath.Join(s.out, "geoip")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "akship demo: an authentik simulator with %d events, %d users and %d groups is serving %s\n\n",
		s.events, s.users, s.groups, url)

	fmt.Fprintln(stdout, "1. First run: backfill everything (run --once)")
	before := sim.Stats().Requests.Events
	a, took, err := demoRun(ctx, cfg, stderr, "backfill")
	if err != nil {
		return err
	}
	printCounts(stdout, a, took, sim.Stats().Requests.Events-before)

	fmt.Fprintf(stdout, "\n2. authentik records %d new events; second run: incremental poll from the cursor\n", s.newEvents)
	sim.InsertEvents(s.newEvents)
	before = sim.Stats().Requests.Events
	incremental := *cfg
	incremental.Inputs.Users.Enabled, incremental.Inputs.Groups.Enabled = false, false
	a, took, err = demoRun(ctx, &incremental, stderr, "incremental")
	if err != nil {
		return err
	}
	printCounts(stdout, a, took, sim.Stats().Requests.Events-before)
	return printDemoOutput(stdout, cfg.Output.File)
}

// prepareDemoDir empties a directory the demo made before, and refuses to
// touch one it did not make.
func prepareDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s exists and was not made by the demo; choose another --out", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by akship demo\n"), 0o600)
}

// demoConfig is the embedded default configuration of the demo.
func demoConfig(url, token, out string) *Config {
	cfg := defaultConfig()
	cfg.Authentik.URL = url
	cfg.Authentik.Token = secretOf(token)
	fc := file.DefaultConfig()
	fc.Path = filepath.Join(out, "documents")
	cfg.Output.File = &fc
	cfg.State.Path = filepath.Join(out, "state")
	cfg.Pipeline.DeadLetterPath = filepath.Join(out, "dead-letter.ndjson")
	cfg.Logging.Level = "warn"
	return &cfg
}

// demoRun runs the pipeline once with a progress bar.
func demoRun(ctx context.Context, cfg *Config, stderr io.Writer, label string) (*assembly, time.Duration, error) {
	log := newLogger(cfg.Logging, stderr)
	a, err := assemble(cfg, runOptions{Once: true, Log: log})
	if err != nil {
		return nil, 0, err
	}
	defer a.close()
	stop := startProgress(stderr, a, label)
	start := time.Now()
	err = a.pipeline.Run(ctx)
	stop()
	return a, time.Since(start), err
}

func printCounts(w io.Writer, a *assembly, took time.Duration, eventRequests uint64) {
	c := &a.pipeline.Counts
	for _, d := range datasets.All {
		if c.Read(d) > 0 {
			fmt.Fprintf(w, "   %-16s %6d documents shipped\n", datasets.Qualified(d), c.Delivered(d))
		}
	}
	plural := "s"
	if eventRequests == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "   %d request%s to /api/v3/events/events/, %s\n", eventRequests, plural, took.Round(time.Millisecond))
}

// printDemoOutput shows where the documents are and one of them.
func printDemoOutput(w io.Writer, fc *file.Config) error {
	out := file.New(*fc, nil, nil)
	fmt.Fprintln(w, "\nDocuments (NDJSON, one per line):")
	for _, d := range datasets.All {
		fmt.Fprintf(w, "   %s\n", out.FilePath(d))
	}
	doc, err := exampleLogin(out.FilePath(datasets.Event))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nA login event as it is indexed:\n   ")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("   ", "  ")
	return enc.Encode(doc)
}

// exampleLogin returns the first login document with a location, or the
// first document when there is none.
func exampleLogin(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var first map[string]any
	for sc.Scan() {
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if first == nil {
			first = doc
		}
		ev, _ := doc["event"].(map[string]any)
		src, _ := doc["source"].(map[string]any)
		if ev["action"] == "login" && src["geo"] != nil {
			return doc, nil
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return first, sc.Err()
}
