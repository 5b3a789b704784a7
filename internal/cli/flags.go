package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// flagSet is a subcommand's flags, parsed with akship's conventions:
// -h/--help prints the usage (every flag) to stdout and exits 0; a bad flag
// prints the error and the usage to stderr and exits 2; so does a
// positional argument, which no subcommand takes, with a hint at the flag
// that was probably meant.
type flagSet struct {
	*flag.FlagSet
	synopsis       string
	stdout, stderr io.Writer
	// buf collects what the flag package prints while parsing, until it
	// is known whether that is help (stdout) or an error (stderr).
	buf bytes.Buffer
	// configPath is the value of -c/--config, once configFlag registered
	// them.
	configPath *string
}

// action is what a command does once its flags are parsed; it returns the
// process exit code.
type action func(ctx context.Context) int

// withFlags makes the run function of subcommand name (usage line
// "akship name synopsis"): it registers the command's flags with flags,
// parses args with akship's conventions (see flagSet.parse) and, when they
// are good, runs the action flags returned, which writes to the flag set's
// stdout and stderr.
func withFlags(name, synopsis string, flags func(fs *flagSet) action) func(ctx context.Context, args []string,
	stdout, stderr io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		fs := newFlagSet(name, synopsis, stdout, stderr)
		act := flags(fs)
		if code, ok := fs.parse(args); !ok {
			return code
		}
		return act(ctx)
	}
}

// newFlagSet returns the flag set of subcommand name; synopsis is the
// usage line after "akship name".
func newFlagSet(name, synopsis string, stdout, stderr io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), synopsis: synopsis, stdout: stdout,
		stderr: stderr}
	fs.SetOutput(&fs.buf)
	fs.Usage = func() { fs.printUsage(fs.Output()) }
	return fs
}

// printUsage writes the usage line, the command's summary and every flag.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: akship %s %s\n\n", fs.Name(), fs.synopsis)
	if c, ok := commands[fs.Name()]; ok {
		fmt.Fprintf(w, "%s.\n\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
	}
	fmt.Fprintln(w, "Flags (-name and --name are the same):")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// parse parses args. It returns ok when the command should run, else the
// exit code: 0 after -h/--help, 2 after a usage error.
func (fs *flagSet) parse(args []string) (code int, ok bool) {
	fs.buf.Reset()
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = fs.stdout.Write(fs.buf.Bytes())
		return 0, false
	case err != nil:
		_, _ = fs.stderr.Write(fs.buf.Bytes())
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(fs.stderr, "akship %s: unexpected argument %q: the command takes flags only%s\n",
			fs.Name(), fs.Arg(0), fs.hint(fs.Arg(0)))
		fmt.Fprintf(fs.stderr, "Run 'akship %s -h' for its flags.\n", fs.Name())
		return exitUsage, false
	}
	return 0, true
}

// hint guesses what a stray positional argument was meant to be: a
// configuration file for a command with --config, the input of map.
func (fs *flagSet) hint(arg string) string {
	if strings.HasPrefix(arg, "-") {
		return "" // a flag after a positional argument; the argument is named
	}
	if fs.Lookup("config") != nil && looksLikeConfig(arg) {
		return fmt.Sprintf("; did you mean -c %s?", arg)
	}
	if fs.Name() == "map" {
		return fmt.Sprintf("; map reads the records from standard input: did you mean < %s?", arg)
	}
	return ""
}

// looksLikeConfig reports whether arg is probably a configuration file: a
// YAML name or an existing file.
func looksLikeConfig(arg string) bool {
	if strings.HasSuffix(arg, ".yml") || strings.HasSuffix(arg, ".yaml") {
		return true
	}
	st, err := os.Stat(arg)
	return err == nil && st.Mode().IsRegular()
}

// configFlag registers -c and --config for the configuration path, which
// requireConfig and loadConfig read.
func (fs *flagSet) configFlag() *string {
	p := fs.String("config", "", "configuration file (YAML)")
	fs.StringVar(p, "c", "", "configuration file (shorthand for --config)")
	fs.configPath = p
	return p
}

// requireConfig loads the configuration file -c names, which the command
// requires. Without -c it prints "akship NAME: " and missing, and returns
// exitUsage; with an invalid file, see loadConfig. A nil configuration
// means the command stops with the exit code returned.
func (fs *flagSet) requireConfig(missing string, invalid int) (*Config, *yaml.Node, int) {
	if !fs.hasConfig(missing) {
		return nil, nil, exitUsage
	}
	return fs.loadConfig(invalid)
}

// hasConfig reports whether -c names a configuration file; when it does
// not, it prints "akship NAME: " and missing.
func (fs *flagSet) hasConfig(missing string) bool {
	if *fs.configPath == "" {
		fmt.Fprintf(fs.stderr, "akship %s: %s\n", fs.Name(), missing)
		return false
	}
	return true
}

// loadConfig loads the configuration file -c names. When the file is
// invalid it prints "akship NAME: invalid configuration:" and the errors,
// and returns a nil configuration and the exit code invalid.
func (fs *flagSet) loadConfig(invalid int) (*Config, *yaml.Node, int) {
	cfg, root, err := LoadConfig(*fs.configPath)
	if err != nil {
		fmt.Fprintf(fs.stderr, "akship %s: invalid configuration:\n%s", fs.Name(), describeErrors(err))
		return nil, nil, invalid
	}
	return cfg, root, 0
}
