// Package cli is the akship command: its subcommands (run, demo, simulate,
// validate, setup, map, bench, healthcheck, version), their flag
// conventions and exit codes, and the assembly of a pipeline from the
// configuration file (config.go, build.go). The main package at the
// module root only calls Main.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
)

// version and commit are those Main is given: the main package's, which
// packaging/build.sh stamps with -X. Without a stamp, commit comes from the
// build information Go records for a build inside a git checkout
// (vcs.revision).
var (
	version = "dev"
	commit  = ""
)

// command is one subcommand: run parses its flags from args (withFlags
// makes it from the command's flag registration) and returns the process
// exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands. It is filled in init to let commands
// refer to it (help).
var commands map[string]command

func init() {
	commands = map[string]command{
		"run": {"collect from authentik and ship (daemon, or --once until caught up)",
			withFlags("run", "-c FILE [--once] [flags]", runFlags)},
		"demo": {"run the full pipeline against a built-in authentik simulator",
			withFlags("demo", "[flags]", demoFlags)},
		"simulate": {"serve the authentik API simulator",
			withFlags("simulate", "[--listen ADDR] [flags]", simulateFlags)},
		"validate": {"check a configuration file (--connect also checks reachability)",
			withFlags("validate", "-c FILE [--connect]", validateFlags)},
		"version": {"print version, commit and Go version", cmdVersion},
		"setup": {"install the Elasticsearch index templates and lifecycle policy",
			withFlags("setup", "-c FILE [--dry-run]", setupFlags)},
		"map": {"map raw authentik records or API pages (stdin) to ECS documents (stdout)",
			withFlags("map", mapSynopsis, mapFlags(os.Stdin))},
		"bench": {"measure a full backfill (mapped and unmapped) against the simulator",
			withFlags("bench", "[--events N] [--victorialogs | --sink URL] [--scale] [flags]", benchFlags)},
		"healthcheck": {"ask a running akship's /healthz (the container image's health check)",
			withFlags("healthcheck", "(-c FILE | --url URL) [--timeout D]", healthcheckFlags)},
	}
}

// Main runs the command line of the process (os.Args) as akship version v
// (empty: "dev") at commit c, with SIGINT/SIGTERM stopping it, and returns
// the exit code.
func Main(v, c string) int {
	if v != "" {
		version = v
	}
	commit = c
	ctx, stop := notifyContext(context.Background())
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run dispatches to a subcommand and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "-version", "--version", "-V":
		return cmdVersion(ctx, nil, stdout, stderr)
	case "help":
		return help(ctx, args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "akship: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

// help prints the usage of the command named in args (all flags), or the
// list of commands.
func help(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok || args[0] == "version" {
		if ok {
			fmt.Fprintf(stdout, "Usage: akship version (or akship --version)\n\n%s.\n", commands["version"].summary)
			return 0
		}
		fmt.Fprintf(stderr, "akship help: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(ctx, []string{"-h"}, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "akship ships authentik's audit trail to Elasticsearch as ECS documents.")
	fmt.Fprintln(w, "\nUsage: akship <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'akship help <command>' (or 'akship <command> -h') for the flags of a command,")
	fmt.Fprintln(w, "'akship --version' for the version.")
}

func cmdVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "akship %s\ncommit %s\n%s %s/%s\n", version, buildCommit(), runtime.Version(),
		runtime.GOOS, runtime.GOARCH)
	return 0
}

// buildCommit is the commit stamped with -X main.commit, else the one Go
// recorded (with " (modified)" for uncommitted changes), else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	rev, modified := "unknown", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	return rev + modified
}
