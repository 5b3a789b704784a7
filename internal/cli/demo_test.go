package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's first command on a small simulator.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := run(t, "demo", "--out", out, "--events", "800", "--users", "30", "--groups", "4",
		"--new-events", "25")
	if code != 0 {
		t.Fatalf("demo exited %d:\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"authentik.event     800 documents shipped",
		"authentik.user       30 documents shipped",
		"authentik.event      25 documents shipped",
		"1 request to /api/v3/events/events/",
		`"action": "login"`,
		`"geo": {`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	docs, err := os.ReadFile(filepath.Join(out, "documents", "authentik.event.ndjson"))
	if err != nil || strings.Count(string(docs), "\n") != 825 {
		t.Fatalf("event file: %d lines, %v; want 825", strings.Count(string(docs), "\n"), err)
	}
	// A second demo may reuse its own directory, never someone else's.
	if code, _, stderr := run(t, "demo", "--out", out, "--events", "10", "--users", "1", "--groups", "1"); code != 0 {
		t.Fatalf("a second demo into its own directory exited %d: %s", code, stderr)
	}
	mine := t.TempDir()
	if err := os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "demo", "--out", mine); code == 0 || !strings.Contains(stderr, "not made by the demo") {
		t.Fatalf("the demo took over a directory it did not make (exit %d): %s", code, stderr)
	}
}
