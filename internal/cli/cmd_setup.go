package cli

import (
	"context"
	"fmt"
	"io"

	"akship/outputs/elasticsearch"
)

func cmdSetup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("setup", "-c FILE [--dry-run]", stdout, stderr)
	path := configFlag(fs)
	dry := fs.Bool("dry-run", false, "print the requests (method, path, body) instead of sending them")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(stderr, "akship setup: -c FILE is required")
		return exitUsage
	}
	cfg, _, err := LoadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "akship setup: invalid configuration:\n%s", describeErrors(err))
		return 1
	}
	if cfg.Output.Elasticsearch == nil {
		fmt.Fprintln(stderr, "akship setup: output.elasticsearch is not configured; setup installs the "+
			"Elasticsearch index templates and lifecycle policy")
		return 1
	}
	if err := elasticsearch.Setup(ctx, *cfg.Output.Elasticsearch, elasticsearch.SetupOptions{DryRun: *dry,
		Out: stdout}); err != nil {
		fmt.Fprintf(stderr, "akship setup: %v\n", err)
		return 1
	}
	if !*dry {
		fmt.Fprintln(stdout, "index templates, component templates and lifecycle policy installed")
	}
	return 0
}
