package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"akship/agent/config"
	"akship/agent/telemetry"
	"akship/inputs/authentik"
	"akship/outputs/elasticsearch"
)

// validateFlags registers the validate command's flags; its action checks
// the configuration file and, with --connect, what it points at.
func validateFlags(fs *flagSet) action {
	path := fs.configFlag()
	connect := fs.Bool("connect", false, "also check that authentik accepts the token and the output answers")
	return func(ctx context.Context) int {
		if !fs.hasConfig("-c FILE is required") {
			return exitUsage
		}
		cfg, root, err := LoadConfig(*path)
		if err == nil {
			// Errors of opening the files the configuration points at name
			// their key; add where the file sets it, as for decoding errors.
			err = config.Locate(*path, root, checkConfig(cfg))
		}
		if err != nil {
			fmt.Fprintf(fs.stderr, "%s is invalid:\n%s", *path, describeErrors(err))
			return 1
		}
		fmt.Fprintf(fs.stdout, "%s is valid\n", *path)
		if !*connect {
			return 0
		}
		return checkConnections(ctx, cfg, fs.stdout)
	}
}

// checkConnections runs validate --connect's checks, printing one line
// each to stdout, and returns the exit code: 1 when one failed.
func checkConnections(ctx context.Context, cfg *Config, stdout io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	code := 0
	for _, check := range []struct {
		name string
		run  func(context.Context, *Config) error
	}{{"authentik", checkAuthentik}, {"output", func(ctx context.Context, cfg *Config) error {
		return checkOutput(ctx, cfg, stdout)
	}}, {"state", checkState}} {
		if err := check.run(ctx, cfg); err != nil {
			fmt.Fprintf(stdout, "%-10s FAILED: %v\n", check.name, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%-10s ok\n", check.name)
	}
	return code
}

// checkAuthentik lists one record of each enabled collection, which proves
// the URL, the TLS setup, the token and its permissions.
func checkAuthentik(ctx context.Context, cfg *Config) error {
	c := cfg.Authentik
	c.MaxRetries = 1
	client, err := authentik.NewClient(c, authentik.ClientOptions{UserAgent: "akship/" + version})
	if err != nil {
		return err
	}
	for _, c := range []struct {
		path    string
		enabled bool
	}{
		{"events/events/", cfg.Inputs.Events.Enabled},
		{"core/users/", cfg.Inputs.Users.Enabled},
		{"core/groups/", cfg.Inputs.Groups.Enabled},
	} {
		if !c.enabled {
			continue
		}
		if _, err := client.List(ctx, "validate", c.path, url.Values{"page_size": {"1"}}); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput contacts the output: Elasticsearch must answer as
// Elasticsearch and accept the credentials; a file output's directory must
// be creatable (it is not created). Warnings (such as VictoriaLogs'
// retention) are printed to stdout.
func checkOutput(ctx context.Context, cfg *Config, stdout io.Writer) error {
	if f := cfg.Output.File; f != nil {
		return checkDir("output.file.path", f.Path)
	}
	out, _, _, err := buildOutput(cfg, runOptions{Log: slog.New(slog.DiscardHandler), Metrics: telemetry.New()}, nil)
	if err != nil {
		return err
	}
	defer out.Close(ctx)
	if es, ok := out.(*elasticsearch.Output); ok {
		err := es.Check(ctx)
		for _, w := range es.Warnings() {
			fmt.Fprintf(stdout, "%-10s warning: %s\n", "output", w)
		}
		return err
	}
	if c, ok := out.(interface{ Check(context.Context) error }); ok {
		return c.Check(ctx)
	}
	return fmt.Errorf("output: %T cannot be checked", out)
}

// checkState checks that run could create and write the state directory
// and the dead-letter file's directory (and the tracer's, when it is on),
// creating none of them.
func checkState(_ context.Context, cfg *Config) error {
	dirs := [][2]string{{"state.path", cfg.State.Path},
		{"pipeline.dead_letter_path", filepath.Dir(cfg.Pipeline.DeadLetterPath)}}
	if cfg.Tracer.Enabled {
		dirs = append(dirs, [2]string{"tracer.path", filepath.Dir(cfg.Tracer.Path)})
	}
	var msgs []string
	checked := map[string]bool{}
	for _, d := range dirs {
		if dir := filepath.Clean(d[1]); !checked[dir] {
			checked[dir] = true
			if err := checkDir(d[0], dir); err != nil {
				msgs = append(msgs, err.Error())
			}
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}
