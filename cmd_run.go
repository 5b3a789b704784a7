package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"akship/agent"
)

// newFlagSet returns a flag set that prints its own usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: akship %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// configFlag registers -c and --config for the configuration path.
func configFlag(fs *flag.FlagSet) *string {
	p := fs.String("config", "", "configuration file (YAML)")
	fs.StringVar(p, "c", "", "configuration file (shorthand for --config)")
	return p
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "-c FILE [--once]", stderr)
	path := configFlag(fs)
	once := fs.Bool("once", false, "poll every enabled input until caught up, deliver everything, commit the cursors and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "akship run: -c FILE is required (see config.example.yml)")
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "akship run: invalid configuration:\n%s", describeErrors(err))
		return 1
	}
	log := newLogger(cfg.Logging, stderr)
	a, err := assemble(cfg, runOptions{Once: *once, Log: log})
	if err != nil {
		log.Error("start-up failed", "error", err)
		return 1
	}
	defer a.close()
	start := time.Now()
	log.Info("akship started", "version", version, "once", *once, "inputs", len(a.pipeline.Sources), "output", a.where)
	err = a.pipeline.Run(ctx)
	summary(log, &a.pipeline.Counts, time.Since(start))
	if err != nil {
		log.Error("akship stopped with errors", "error", err)
		return 1
	}
	return 0
}

// summary logs what a run shipped.
func summary(log interface {
	Info(string, ...any)
}, c *agent.Counts, took time.Duration) {
	for _, d := range agent.Datasets {
		if c.Read(d) == 0 {
			continue
		}
		log.Info("shipped", "dataset", d.DataStreamDataset(), "read", c.Read(d), "delivered", c.Delivered(d),
			"dead_lettered", c.DeadLettered(d), "took", took.Round(time.Millisecond))
	}
}
