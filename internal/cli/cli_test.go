package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, errOut := run(t, args...)
		if code != 0 || !strings.HasPrefix(out, "akship dev\ncommit ") {
			t.Errorf("akship %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	// A release build stamps the commit with -X main.commit.
	defer func(c string) { commit = c }(commit)
	commit = "0123abcd"
	if _, out, _ := run(t, "--version"); !strings.Contains(out, "commit 0123abcd\n") {
		t.Errorf("--version with a stamped commit: %q", out)
	}
}

// TestHelpOnEveryCommand: -h, --help and "akship help COMMAND" exit 0 and
// print the usage with every flag to stdout.
func TestHelpOnEveryCommand(t *testing.T) {
	for name := range commands {
		if name == "version" {
			continue
		}
		for _, args := range [][]string{{name, "-h"}, {name, "--help"}, {"help", name}} {
			code, out, errOut := run(t, args...)
			if code != 0 || !strings.HasPrefix(out, "Usage: akship "+name+" ") || !strings.Contains(out, "\nFlags") {
				t.Errorf("akship %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
	}
	// demo's usage lists all six of its flags.
	_, out, _ := run(t, "help", "demo")
	for _, f := range []string{"-out", "-events", "-users", "-groups", "-new-events", "-seed"} {
		if !strings.Contains(out, "  "+f+" ") {
			t.Errorf("akship help demo does not list %s:\n%s", f, out)
		}
	}
	if code, _, _ := run(t, "help", "nope"); code != 2 {
		t.Errorf("akship help nope: exit %d, want 2", code)
	}
	if code, _, errOut := run(t, "run", "--no-such-flag"); code != 2 || !strings.Contains(errOut, "Usage: akship run") {
		t.Errorf("a bad flag: exit %d, stderr %q", code, errOut)
	}
}

// TestSimulateAuthentikVersion: --version means akship's version; the
// simulator's emulated authentik version is --authentik-version.
func TestSimulateAuthentikVersion(t *testing.T) {
	_, out, _ := run(t, "simulate", "-h")
	if !strings.Contains(out, "  -authentik-version string") || strings.Contains(out, "  -version ") {
		t.Errorf("simulate -h:\n%s", out)
	}
}

func TestStrayArgumentIsNamed(t *testing.T) {
	code, _, errOut := run(t, "run", "akship.yml")
	want := `akship run: unexpected argument "akship.yml": the command takes flags only; did you mean -c akship.yml?`
	if code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("akship run akship.yml: exit %d, stderr %q; want %q", code, errOut, want)
	}
	code, _, errOut = run(t, "validate", "-c", filepath.Join(moduleRoot, "config.example.yml"), "--connect", "extra")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("validate with a trailing argument: exit %d, stderr %q", code, errOut)
	}
}

// TestShortOrSchemePrefixedTokenRefused: a placeholder token and a token
// file holding a header value are configuration errors naming the key.
func TestShortOrSchemePrefixedTokenRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := write("token", "Bearer "+testToken+"\n")
	tests := []struct{ name, auth, want string }{
		{"placeholder", "  token: example\n", "akship.yml:3:10: authentik.token: the token is 7 characters long, " +
			"shorter than authentik's API tokens (60 characters): is it a placeholder?"},
		{"scheme in the value", "  token: \"Bearer " + testToken + "\"\n",
			`akship.yml:3:10: authentik.token: the token starts with "Bearer ": give the token alone`},
		{"scheme in the file", "  token_file: " + tokenFile + "\n",
			`authentik.token_file: secret file ` + tokenFile + ` starts with "Bearer ": write the secret alone`},
	}
	for _, tt := range tests {
		cfg := write("akship.yml", "authentik:\n  url: http://authentik.example.com\n"+tt.auth+
			"output:\n  file:\n    path: "+filepath.Join(dir, "out")+"\n")
		code, _, errOut := run(t, "validate", "-c", cfg)
		if code != 1 || !strings.Contains(errOut, strings.Replace(tt.want, "akship.yml", cfg, 1)) {
			t.Errorf("%s: exit %d, stderr %q; want %q", tt.name, code, errOut, tt.want)
		}
		if strings.Contains(errOut, testToken) {
			t.Errorf("%s: the error quotes the token: %s", tt.name, errOut)
		}
	}
}

// TestMapReadsAnAPIPage: the response of a list request, saved as it comes,
// is mapped record by record.
func TestMapReadsAnAPIPage(t *testing.T) {
	page := fixture(t, "api", "users-page.json")
	var out, errOut strings.Builder
	if code := runMap([]string{"--dataset", "user"}, bytes.NewReader(page), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(out.String(), `"name":"b"`) {
		t.Errorf("%d documents:\n%s", n, out.String())
	}
}

// runMap runs the map command with the records read from in.
func runMap(args []string, in io.Reader, stdout, stderr io.Writer) int {
	return withFlags("map", mapSynopsis, mapFlags(in))(context.Background(), args, stdout, stderr)
}
