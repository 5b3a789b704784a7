package cli

import (
	"context"
	"fmt"

	"akship/outputs/elasticsearch"
)

// setupFlags registers the setup command's flags; its action installs the
// Elasticsearch index templates and lifecycle policy.
func setupFlags(fs *flagSet) action {
	fs.configFlag()
	dry := fs.Bool("dry-run", false, "print the requests (method, path, body) instead of sending them")
	return func(ctx context.Context) int {
		cfg, _, code := fs.requireConfig("-c FILE is required", 1)
		if cfg == nil {
			return code
		}
		if cfg.Output.Elasticsearch == nil {
			fmt.Fprintln(fs.stderr, "akship setup: output.elasticsearch is not configured; setup installs the "+
				"Elasticsearch index templates and lifecycle policy")
			return 1
		}
		if err := elasticsearch.Setup(ctx, *cfg.Output.Elasticsearch, elasticsearch.SetupOptions{DryRun: *dry,
			Out: fs.stdout}); err != nil {
			fmt.Fprintf(fs.stderr, "akship setup: %v\n", err)
			return 1
		}
		if !*dry {
			fmt.Fprintln(fs.stdout, "index templates, component templates and lifecycle policy installed")
		}
		return 0
	}
}
