package reliability_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBadConfigurations gives `akship validate` and `akship run` empty,
// malformed and wrongly typed configurations and ones pointing at files
// that cannot be read or hold the wrong thing. Both must exit non-zero
// with a message naming the configuration file, the line and the key —
// and for a file it points at, that file — without panicking or starting.
func TestBadConfigurations(t *testing.T) {
	skipShort(t)
	t.Parallel() // not timing-sensitive: overlaps with the other quick tests
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.txt")
	if err := os.WriteFile(junk, []byte("this is neither PEM, nor CEL (( nor a MaxMind database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "does-not-exist")
	state := filepath.Join(dir, "state")
	// base is a valid configuration; the cases add to it.
	base := func(extra string) string {
		return fmt.Sprintf("authentik:\n  url: http://127.0.0.1:1\n%s\noutput:\n  elasticsearch:\n"+
			"    hosts: [\"http://127.0.0.1:2\"]\nstate:\n  path: %s\n", extra, state)
	}
	tok := "  token: " + testToken
	tests := []struct {
		name, yaml string
		// want are regular expressions the output must match; FILE is the
		// configuration file's path.
		want []string
	}{
		{"empty", "", []string{`FILE: the configuration is empty`}},
		{"only a comment", "# nothing\n", []string{`FILE: the configuration must be a mapping`}},
		{"malformed", "authentik: [url\n", []string{`FILE: invalid YAML: line 1`}},
		{"tab indentation", "authentik:\n  url: x\n\ttoken: abc\n", []string{`FILE:3: invalid YAML: the line is indented with a tab; YAML does not allow tabs for indentation, use spaces`}},
		{"not a mapping", "- a\n- b\n", []string{`FILE: the configuration must be a mapping`}},
		{"wrong type", base(tok + "\ninputs:\n  events:\n    page_size: many"),
			[]string{`FILE:6:16: inputs.events.page_size: "many" is not a whole number`}},
		{"wrong section type", base(tok + "\npipeline: 5"), []string{`FILE:4:11: pipeline: .*mapping`}},
		{"unknown key", base(tok + "\n  tokne: x"), []string{`FILE:4:3: authentik.tokne: unknown key`}},
		{"token_file missing", base("  token_file: " + missing),
			[]string{`FILE:3:15: authentik.token_file: .*` + regexp.QuoteMeta(missing)}},
		{"token_file is a directory", base("  token_file: " + dir),
			[]string{`FILE:3:15: authentik.token_file: .*is a directory`}},
		{"authentik ca_file missing", base(tok + "\n  tls:\n    ca_file: " + missing),
			[]string{`FILE:5:14: authentik.tls.ca_file: .*` + regexp.QuoteMeta(missing)}},
		{"authentik ca_file not PEM", base(tok + "\n  tls:\n    ca_file: " + junk),
			[]string{`FILE:5:14: authentik.tls.ca_file: .*` + regexp.QuoteMeta(junk) + ` holds no PEM`}},
		{"program_file missing", base(tok + "\nprocessors:\n  event:\n    program_file: " + missing),
			[]string{`FILE:6:19: processors.event.program_file: .*` + regexp.QuoteMeta(missing)}},
		{"program_file not CEL", base(tok + "\nprocessors:\n  event:\n    program_file: " + junk),
			[]string{regexp.QuoteMeta(junk) + `:1:\d+: Syntax error`}},
		{"geoip database missing", base(tok + "\nprocessors:\n  geoip:\n    city_database: " + missing),
			[]string{`FILE:6:20: processors.geoip.city_database: .*` + regexp.QuoteMeta(missing)}},
		{"geoip database not MaxMind", base(tok + "\nprocessors:\n  geoip:\n    asn_database: " + junk),
			[]string{`FILE:6:19: processors.geoip.asn_database: .*invalid MaxMind DB`}},
	}
	cfgPath := filepath.Join(dir, "akship.yml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(cfgPath, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{{"validate", "-c", cfgPath}, {"run", "--once", "-c", cfgPath}} {
				code, stderr := runAkship(t, time.Minute, nil, cmd...)
				if code == 0 || code < 0 {
					t.Errorf("akship %s exited %d, want a non-zero exit:\n%s", cmd[0], code, stderr)
				}
				if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
					t.Errorf("akship %s panicked:\n%s", cmd[0], stderr)
				}
				for _, w := range tt.want {
					re := regexp.MustCompile(strings.ReplaceAll(w, "FILE", regexp.QuoteMeta(cfgPath)))
					if !re.MatchString(stderr) {
						t.Errorf("akship %s: the message does not match %q:\n%s", cmd[0], re, stderr)
					}
				}
			}
		})
	}
	// The ES output's TLS files: the key named in full.
	t.Run("elasticsearch ca_file missing", func(t *testing.T) {
		y := strings.Replace(base(tok), `hosts: ["http://127.0.0.1:2"]`,
			"hosts: [\"https://127.0.0.1:2\"]\n    tls:\n      ca_file: "+missing, 1)
		if err := os.WriteFile(cfgPath, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"validate", "run"} {
			code, stderr := runAkship(t, time.Minute, nil, cmd, "-c", cfgPath)
			re := regexp.MustCompile(regexp.QuoteMeta(cfgPath) + `:8:16: output.elasticsearch.tls.ca_file: .*` +
				regexp.QuoteMeta(missing))
			if code <= 0 || !re.MatchString(stderr) {
				t.Errorf("akship %s exited %d; the message does not match %q:\n%s", cmd, code, re, stderr)
			}
		}
	})
}
