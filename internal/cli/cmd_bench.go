package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"akship/internal/bench"
)

// benchFlags registers the bench command's flags; its action checks them
// and runs the harness, package bench.
func benchFlags(fs *flagSet) action {
	var s bench.Settings
	var sizes string
	fs.IntVar(&s.Events, "events", 200000, "events stored in the simulator")
	fs.IntVar(&s.Users, "users", 500, "users in the simulator")
	fs.IntVar(&s.Groups, "groups", 50, "groups in the simulator")
	fs.IntVar(&s.NewEvents, "new-events", 100, "events inserted before the incremental poll")
	fs.IntVar(&s.PageSize, "page-size", 500, "inputs.events.page_size")
	fs.StringVar(&s.Sink, "sink", "", "Elasticsearch bulk URL to ship to (e.g. VictoriaLogs' "+
		"http://127.0.0.1:9428/insert/elasticsearch); default: the in-process Elasticsearch double")
	fs.BoolVar(&s.VictoriaLogs, "victorialogs", false, "ship to a VictoriaLogs server the bench starts "+
		"(binary from $AKSHIP_VICTORIALOGS or $(go env GOPATH)/bin/victoria-logs)")
	fs.BoolVar(&s.Scale, "scale", false, "measure how the cost grows with the stored events (see --scale-sizes)")
	fs.StringVar(&sizes, "scale-sizes", "10000,100000,1000000", "stored events of the --scale runs, comma-separated")
	fs.StringVar(&s.Agent, "agent", "", "akship binary to measure (default: this one; for comparing builds)")
	fs.StringVar(&s.ProfileDir, "profile", "", "write CPU and heap profiles of the agent runs into this directory")
	fs.StringVar(&s.Dir, "dir", "", "working directory (default: a temporary one, removed afterwards)")
	s.Release.RegisterFlags(fs.FlagSet)
	fs.StringVar(&s.Program, "program", "", "CEL file replacing the event program of the mapped pipeline (processors.event.program_file)")
	fs.StringVar(&s.Extend, "extend", "", "CEL file extending the event program of the mapped pipeline (processors.event.extend_file)")
	return func(ctx context.Context) int {
		if err := completeBenchSettings(&s, sizes); err != nil {
			fmt.Fprintf(fs.stderr, "akship bench: %v\n", err)
			return exitUsage
		}
		if err := bench.Run(ctx, s, fs.stdout); err != nil {
			fmt.Fprintf(fs.stderr, "akship bench: %v\n", err)
			return 1
		}
		return 0
	}
}

// completeBenchSettings completes s with the stored event counts of the
// --scale runs (sizes) and the absolute paths of --program and --extend,
// checking them.
func completeBenchSettings(s *bench.Settings, sizes string) error {
	var err error
	if s.ScaleSizes, err = bench.ParseSizes(sizes); err != nil || s.VictoriaLogs && s.Sink != "" {
		return errors.New("--scale-sizes must list positive numbers; --sink and --victorialogs exclude each other")
	}
	for _, p := range []*string{&s.Program, &s.Extend} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err == nil {
			_, err = os.Stat(*p)
		}
		if err != nil {
			return fmt.Errorf("--program / --extend: %w", err)
		}
	}
	return nil
}
