package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"akship/agent"
	"akship/agent/state"
	"akship/agent/telemetry"
	"akship/inputs/authentik"
	"akship/internal/backoff"
	"akship/internal/datasets"
	"akship/internal/tracer"
	"akship/outputs/elasticsearch"
	"akship/outputs/file"
	"akship/processors/mapping"
)

// runOptions are the run-time choices that are not configuration.
type runOptions struct {
	// Once stops after every input caught up (run --once).
	Once    bool
	Log     *slog.Logger
	Metrics *telemetry.Metrics
	// Unmapped ships the records without the ECS mapping (the benchmark's
	// null pipeline).
	Unmapped bool
}

// assembly is a pipeline built from a configuration, with what must be
// closed after it ran.
type assembly struct {
	pipeline *agent.Pipeline
	store    *state.Store
	dlq      *agent.DeadLetterFile
	tracer   *tracer.Tracer
	mapper   *mapping.Mapper
	inputs   []agent.StatusReporter
	// where describes the output for people ("files in ./out").
	where string
}

// assemble builds the pipeline a configuration describes.
func assemble(cfg *Config, opts runOptions) (*assembly, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = telemetry.New()
	}
	store, err := state.Open(cfg.State.Path)
	if err != nil {
		return nil, fmt.Errorf("state.path: %w", err)
	}
	a := &assembly{store: store}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if cfg.Tracer.Enabled {
		if a.tracer, err = tracer.New(cfg.Tracer, "akship"); err != nil {
			return nil, fmt.Errorf("tracer: %w", err)
		}
		opts.Log.Warn("request tracer on: HTTP requests and responses are written (credentials redacted)",
			"path", a.tracer.Path())
	}
	client, err := authentik.NewClient(cfg.Authentik, authentik.ClientOptions{
		Log: opts.Log.With("component", "inputs.authentik"), Metrics: opts.Metrics, UserAgent: "akship/" + version,
		WrapTransport: a.tracer.Wrap})
	if err != nil {
		return nil, err
	}
	if err := checkToken(cfg.Authentik, client.Token()); err != nil {
		return nil, err
	}
	a.registerSecrets(cfg, client)
	if a.mapper, err = mapping.New(cfg.Processors, opts.Log.With("component", "processors.mapping")); err != nil {
		return nil, err
	}
	if a.dlq, err = agent.OpenDeadLetterFile(cfg.Pipeline.DeadLetterPath); err != nil {
		return nil, fmt.Errorf("pipeline.dead_letter_path: %w", err)
	}
	out, name, where, err := buildOutput(cfg, opts, a.tracer)
	if err != nil {
		return nil, err
	}
	a.where = where
	a.pipeline = &agent.Pipeline{
		Output: out, OutputName: name, DeadLetter: a.dlq, Metrics: opts.Metrics,
		Log: opts.Log.With("component", "pipeline"), Workers: cfg.Pipeline.Workers,
		Retry:           backoff.Policy{Initial: cfg.Pipeline.RetryInitial, Max: cfg.Pipeline.RetryMax},
		ShutdownTimeout: cfg.Pipeline.ShutdownTimeout,
	}
	if opts.Once {
		// A daemon waits for its output; run --once ends.
		a.pipeline.GiveUpAfter = cfg.Pipeline.GiveUpAfter
	}
	iopts := authentik.InputOptions{Once: opts.Once, Store: store, Metrics: opts.Metrics,
		Log: opts.Log.With("component", "inputs.authentik"), MaxInFlight: cfg.Pipeline.MaxInFlightPages}
	add := func(name string, d agent.Dataset, in agent.Input, r agent.StatusReporter) {
		procs := []agent.Processor{a.mapper.Processor(d)}
		if opts.Unmapped {
			procs = nil
		}
		a.pipeline.Sources = append(a.pipeline.Sources, agent.Source{Name: name, Input: in, Processors: procs})
		a.inputs = append(a.inputs, r)
	}
	if c := cfg.Inputs.Events; c.Enabled {
		in := authentik.NewEvents(c, client, iopts)
		add("events", datasets.Event, in, in)
	}
	if c := cfg.Inputs.Users; c.Enabled {
		in := authentik.NewUsers(c, client, iopts)
		add("users", datasets.User, in, in)
	}
	if c := cfg.Inputs.Groups; c.Enabled {
		in := authentik.NewGroups(c, client, iopts)
		add("groups", datasets.Group, in, in)
	}
	ok = true
	return a, nil
}

// buildOutput creates the configured output.
func buildOutput(cfg *Config, opts runOptions, tr *tracer.Tracer) (out agent.Output, name, where string, err error) {
	switch {
	case cfg.Output.File != nil:
		return file.New(*cfg.Output.File, opts.Log.With("component", "outputs.file"), opts.Metrics),
			"file", "files under " + cfg.Output.File.Path, nil
	case cfg.Output.Elasticsearch != nil:
		es, err := elasticsearch.New(*cfg.Output.Elasticsearch, opts.Log, opts.Metrics,
			elasticsearch.WithTransportWrapper(tr.Wrap))
		if err != nil {
			return nil, "", "", err
		}
		return es, "elasticsearch", "Elasticsearch " + strings.Join(cfg.Output.Elasticsearch.Addresses(), ", "), nil
	}
	return nil, "", "", errors.New("output: no output configured")
}

// registerSecrets tells the tracer every credential, so that no trace line
// can carry one even when a server echoes it.
func (a *assembly) registerSecrets(cfg *Config, client *authentik.Client) {
	if a.tracer == nil {
		return
	}
	a.tracer.AddSecret(client.Token())
	if es := cfg.Output.Elasticsearch; es != nil {
		for _, s := range []string{es.APIKey.Value(), es.Password.Value(), es.BearerToken.Value()} {
			a.tracer.AddSecret(s) // ignores ""
		}
	}
}

// statuses collects the inputs' self-descriptions.
func (a *assembly) statuses() []agent.InputStatus {
	out := make([]agent.InputStatus, len(a.inputs))
	for i, in := range a.inputs {
		out[i] = in.Status()
	}
	return out
}

// close releases the state directory, the dead-letter file and the tracer.
func (a *assembly) close() error {
	var errs []error
	if a.tracer != nil {
		errs = append(errs, a.tracer.Close())
	}
	if a.mapper != nil {
		errs = append(errs, a.mapper.Close())
	}
	if a.dlq != nil {
		errs = append(errs, a.dlq.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// checkConfig builds what a configuration describes without starting it,
// to catch what validation cannot (unreadable files, programs that do not
// compile) before a reload replaces a running pipeline.
func checkConfig(cfg *Config) error {
	client, err := authentik.NewClient(cfg.Authentik, authentik.ClientOptions{})
	if err != nil {
		return err
	}
	// A refused token is reported with the other sections' problems.
	tokenErr := checkToken(cfg.Authentik, client.Token())
	m, err := mapping.New(cfg.Processors, slog.New(slog.DiscardHandler))
	if err != nil {
		return errors.Join(tokenErr, err)
	}
	m.Close()
	_, _, _, err = buildOutput(cfg, runOptions{Log: slog.New(slog.DiscardHandler), Metrics: telemetry.New()}, nil)
	return errors.Join(tokenErr, err)
}
