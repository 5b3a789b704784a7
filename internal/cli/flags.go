package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
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

// configFlag registers -c and --config for the configuration path.
func configFlag(fs *flagSet) *string {
	p := fs.String("config", "", "configuration file (YAML)")
	fs.StringVar(p, "c", "", "configuration file (shorthand for --config)")
	return p
}
