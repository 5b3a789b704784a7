package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"akship/agent/config"
	"akship/agent/telemetry"
	"akship/inputs/authentik"
)

func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "-c FILE [--connect]", stdout, stderr)
	path := configFlag(fs)
	connect := fs.Bool("connect", false, "also check that authentik accepts the token and the output answers")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(stderr, "akship validate: -c FILE is required")
		return 2
	}
	cfg, root, err := loadConfig(*path)
	if err == nil {
		// Errors of opening the files the configuration points at name
		// their key; add where the file sets it, as for decoding errors.
		err = config.Locate(*path, root, checkConfig(cfg))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s is invalid:\n%s", *path, describeErrors(err))
		return 1
	}
	fmt.Fprintf(stdout, "%s is valid\n", *path)
	if !*connect {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	code := 0
	for _, check := range []struct {
		name string
		run  func(context.Context, *Config) error
	}{{"authentik", checkAuthentik}, {"output", checkOutput}} {
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
// be creatable.
func checkOutput(ctx context.Context, cfg *Config) error {
	out, _, _, err := buildOutput(cfg, runOptions{Log: slog.New(slog.DiscardHandler), Metrics: telemetry.New()}, nil)
	if err != nil {
		return err
	}
	if c, ok := out.(interface{ Check(context.Context) error }); ok {
		return c.Check(ctx)
	}
	if err := out.Start(ctx); err != nil {
		return err
	}
	return out.Close(ctx)
}
