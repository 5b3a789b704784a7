// Command akship ships authentik's audit trail (events, users, groups) into
// Elasticsearch as Elastic Common Schema documents, with a persistent cursor
// and at-least-once delivery.
//
// Usage:
//
//	akship run -c akship.yml [--once]   collect and ship (daemon, or until caught up)
//	akship demo [--out DIR]             the whole pipeline against a built-in authentik simulator
//	akship simulate [flags]             serve the authentik simulator
//	akship validate -c akship.yml       check a configuration (--connect: and reachability)
//	akship setup -c akship.yml          install Elasticsearch templates and lifecycle policy
//	akship map --dataset event < in     map raw records to ECS documents, one per line
//	akship bench [flags]                measure a full backfill against the simulator
//	akship healthcheck -c akship.yml    exit 0 when the running akship's /healthz answers 200
//	akship version, akship --version    print version and commit
//	akship help COMMAND                 the flags of a command (also: akship COMMAND -h)
//
// The commands live in internal/cli; this file only stamps the version.
package main

import (
	"os"

	"akship/internal/cli"
)

// version and commit are set at build time (packaging/build.sh):
//
//	-ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)"
//
// Without -X, commit comes from the build information Go records for a
// build inside a git checkout (vcs.revision).
var (
	version = "dev"
	commit  = ""
)

func main() {
	os.Exit(cli.Main(version, commit))
}
