package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"akship/agent"
	"akship/agent/config"
	"akship/agent/telemetry"
	"akship/internal/datasets"
	"akship/internal/monitor"
	"akship/internal/profile"
)

// runFlags registers the run command's flags; its action runs the
// configuration until it is stopped or, with --once, caught up.
func runFlags(fs *flagSet) action {
	withExitCodes(fs.FlagSet)
	path := fs.configFlag()
	once := fs.Bool("once", false, "poll every enabled input until caught up, deliver everything, commit the cursors and exit")
	unmapped := fs.Bool("unmapped", false, "ship records without the ECS mapping (minimal documents; for benchmarks)")
	return func(ctx context.Context) int {
		cfg, root, code := fs.requireConfig("-c FILE is required (see config.example.yml)", exitConfig)
		if cfg == nil {
			return code
		}
		stderr := fs.stderr
		stopProfiles, err := profile.Start()
		if err != nil {
			fmt.Fprintf(stderr, "akship run: %v\n", err)
			return 1
		}
		if *once && isTerminal(stderr) {
			stderr = &screen{w: stderr} // log lines and the progress bar share it
		}
		d := &daemon{path: *path, root: root, once: *once, unmapped: *unmapped, stderr: stderr, metrics: telemetry.New()}
		code = d.run(ctx, cfg)
		if err := stopProfiles(); err != nil {
			fmt.Fprintf(stderr, "akship run: writing profiles failed: %v\n", err)
		}
		return code
	}
}

// daemon runs pipelines: one per configuration, replaced on SIGHUP.
type daemon struct {
	path string
	// root is the parsed file of the configuration to run, which places
	// the errors of building it.
	root     *yaml.Node
	once     bool
	unmapped bool
	stderr   io.Writer
	metrics  *telemetry.Metrics
	log      *slog.Logger
	// current is the running assembly, read by the monitoring endpoint.
	current atomic.Pointer[assembly]
	monitor *monitor.Server
	// http is the section the monitoring endpoint runs with (changing it
	// needs a restart).
	http monitor.Config
	// before adds up the counts of the pipelines a reload replaced, so
	// that /status counts since the process started; retired is the last
	// of them, still current until the next one is assembled.
	countsMu sync.Mutex
	before   agent.Counts
	retired  *assembly
}

// run runs the configuration until ctx ends, every input stops, or run-once
// completes, and returns the exit code (see exitcodes.go). SIGHUP loads the
// file again:
// a valid new configuration replaces the running pipeline after it drained;
// an invalid one is rejected with its errors and the running one kept.
func (d *daemon) run(ctx context.Context, cfg *Config) int {
	hup := make(chan os.Signal, 1)
	if !d.once {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	defer d.stopMonitor()
	for {
		d.log = newLogger(cfg.Logging, d.stderr)
		a, err := assemble(cfg, runOptions{Once: d.once, Unmapped: d.unmapped, Log: d.log, Metrics: d.metrics})
		if err != nil {
			// Name the file and line of the key the error is about.
			d.log.Error("start-up failed", "error", config.Locate(d.path, d.root, err))
			return exitConfig
		}
		d.current.Store(a)
		if err := d.startMonitor(ctx, cfg.HTTP); err != nil {
			d.log.Error("start-up failed", "error", err)
			a.close()
			return 1
		}
		next, code := d.serve(ctx, a, hup)
		if err := a.close(); err != nil {
			d.log.Error("closing failed", "error", err)
		}
		if next == nil {
			return code
		}
		d.countsMu.Lock()
		d.before.AddCounts(&a.pipeline.Counts)
		d.retired = a
		d.countsMu.Unlock()
		cfg = next
		d.log.Info("configuration reloaded", "config", d.path)
	}
}

// serve runs one assembled pipeline. It returns a new configuration when a
// reload asks for one, or nil and the exit code when akship should stop.
func (d *daemon) serve(ctx context.Context, a *assembly, hup <-chan os.Signal) (*Config, int) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	d.log.Info("akship started", "version", version, "once", d.once, "inputs", len(a.pipeline.Sources),
		"output", a.where)
	stopProgress := func() {}
	if d.once {
		stopProgress = startProgress(d.stderr, a, "events")
	}
	go func() { done <- a.pipeline.Run(runCtx) }()
	force := forceStop(ctx)
	var next *Config
	for next == nil {
		select {
		case err := <-done:
			stopProgress()
			summary(d.log, &a.pipeline.Counts, time.Since(start))
			return nil, d.exitCode(ctx, a, err, time.Since(start))
		case <-hup:
			next = d.reload()
		case <-force:
			a.pipeline.Abort()
			force = nil
		}
	}
	d.log.Info("reloading: draining the running pipeline")
	cancel()
	if err := <-done; err != nil {
		d.log.Warn("the pipeline stopped with errors before the reload", "error", err)
	}
	return next, 0
}

// reload loads and checks the configuration file again. It returns nil
// (keep running) when the new configuration is invalid; otherwise d.root
// becomes the new file's.
func (d *daemon) reload() *Config {
	cfg, root, err := LoadConfig(d.path)
	if err == nil {
		err = config.Locate(d.path, root, checkConfig(cfg))
	}
	if err != nil {
		d.log.Error("reload rejected; keeping the running configuration", "config", d.path,
			"errors", err.Error())
		return nil
	}
	d.root = root
	return cfg
}

// startMonitor serves /metrics, /healthz, /readyz and /status when
// http.listen is set. The server outlives reloads; it always reports on the
// running pipeline.
func (d *daemon) startMonitor(ctx context.Context, cfg monitor.Config) error {
	if d.monitor != nil {
		if cfg != d.http {
			d.log.Warn("the http section changed; the monitoring endpoint keeps its settings until a restart",
				"listen", d.http.Listen, "allow_remote", d.http.AllowRemote, "unreachable_after", d.http.UnreachableAfter)
		}
		return nil
	}
	if cfg.Listen == "" {
		return nil
	}
	m := monitor.New(cfg, monitor.Sources{
		Registry: d.metrics.Registry,
		Inputs:   func() []agent.InputStatus { return d.current.Load().statuses() },
		Delivery: func() agent.DeliveryStatus { return d.current.Load().pipeline.DeliveryStatus() },
		Counts:   d.counts,
		Version:  version,
	}, d.log.With("component", "monitor"))
	if err := m.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	d.monitor, d.http = m, cfg // m logs "monitoring endpoint listening"
	return nil
}

// counts returns what went through since the process started: the running
// pipeline's counts plus those of the pipelines reloads replaced.
func (d *daemon) counts() *agent.Counts {
	d.countsMu.Lock()
	defer d.countsMu.Unlock()
	c := &agent.Counts{}
	c.AddCounts(&d.before)
	if a := d.current.Load(); a != d.retired {
		c.AddCounts(&a.pipeline.Counts)
	}
	return c
}

func (d *daemon) stopMonitor() {
	if d.monitor == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.monitor.Shutdown(ctx)
}

// exitCode logs why a pipeline ended, once, and returns the exit code.
func (d *daemon) exitCode(ctx context.Context, a *assembly, err error, took time.Duration) int {
	took = took.Round(time.Millisecond)
	abandoned := int64(0)
	for _, ds := range datasets.All {
		abandoned += a.pipeline.Counts.Abandoned(ds)
	}
	switch {
	case agent.IsMisconfigured(err):
		// One line, however many inputs met the mistake, with the file
		// and line of the key.
		d.log.Error("akship stopped: configuration mistake", "error",
			config.Locate(d.path, d.root, firstMisconfiguration(err)), "exit_code", exitConfig)
		return exitConfig
	case errors.Is(err, agent.ErrGaveUp):
		d.log.Error("akship gave up", "error", err, "exit_code", exitGaveUp)
		return exitGaveUp
	case err != nil:
		d.log.Error("akship stopped with errors", "error", err, "exit_code", exitGaveUp)
		return exitGaveUp
	case ctx.Err() != nil && (d.once || abandoned > 0):
		d.log.Warn("akship interrupted before catching up; nothing acknowledged is lost and the next run resumes",
			"abandoned", abandoned, "took", took, "exit_code", exitInterrupted)
		return exitInterrupted
	}
	d.log.Info("akship stopped", "took", took, "exit_code", exitOK)
	return exitOK
}

// firstMisconfiguration returns the first part of a joined error that is a
// configuration mistake: inputs meeting the same mistake at once report it
// once.
func firstMisconfiguration(err error) error {
	for _, e := range config.Errors(err) {
		if agent.IsMisconfigured(e) {
			return e
		}
	}
	return err
}

// summary logs what a run shipped. Undelivered events (read, then
// abandoned at shutdown) were not acknowledged: the next run reads them
// again.
func summary(log *slog.Logger, c *agent.Counts, took time.Duration) {
	for _, ds := range datasets.All {
		if c.Read(ds) == 0 {
			continue
		}
		log.Info("shipped", "dataset", datasets.Qualified(ds), "read", c.Read(ds), "delivered", c.Delivered(ds),
			"dead_lettered", c.DeadLettered(ds), "undelivered", c.Read(ds)-c.Delivered(ds)-c.DeadLettered(ds),
			"took", took.Round(time.Millisecond))
	}
}
