package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := mapEnv(map[string]string{"A": "alpha", "B": "beta", "EMPTY": "", "DOLLAR": "$x"})
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: "${A}", want: "alpha"},
		{in: "pre-${A}-post", want: "pre-alpha-post"},
		{in: "${A}${B}", want: "alphabeta"},
		{in: "${A:-default}", want: "alpha"},
		{in: "${UNSET:-default}", want: "default"},
		{in: "${EMPTY:-default}", want: "default"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "${EMPTY}", wantErr: "environment variable EMPTY is set but empty (give it a value, or write ${EMPTY:-}"},
		{in: "${EMPTY:-}", want: ""},
		{in: "${DOLLAR}", want: "$x"}, // a value is not expanded again
		{in: "$$", want: "$"},
		{in: "$${A}", want: "${A}"},
		{in: "a$$b$$$$", want: "a$b$$"},
		{in: "$A", want: "$A"},
		{in: "cost: 5$", want: "cost: 5$"},
		{in: "$", want: "$"},
		{in: "${UNSET}", wantErr: "environment variable UNSET is not set (use ${UNSET:-default} for a fallback)"},
		{in: "x ${A} ${UNSET2}", wantErr: "environment variable UNSET2 is not set"},
		{in: "${}", wantErr: "empty variable name"},
		{in: "${:-x}", wantErr: "empty variable name"},
		{in: "${A", wantErr: "unterminated ${"},
		{in: "${A:-${B}}", wantErr: "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Expand(tt.in, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Expand(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if got, err := Expand("${A:-d}", nil); err != nil || got != "d" {
		t.Errorf("Expand with no environment = %q, %v", got, err)
	}
}

// TestExpandErrorsDoNotQuoteTheValue: the value may be a secret (a token
// with a stray "${"), and errors end up in logs.
func TestExpandErrorsDoNotQuoteTheValue(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	for _, in := range []string{secret + "${", secret + "${}", secret + "${UNSET}", "${:-" + secret + "}"} {
		_, err := Expand(in, nil)
		if err == nil {
			t.Errorf("Expand(%q) succeeded", in)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q reveals the value", err)
		}
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		want       Secret
		wantErr    string
	}{
		{name: "trailing newline", path: write("a", "tok3n\n"), want: "tok3n"},
		{name: "surrounding space", path: write("b", "  tok3n \r\n"), want: "tok3n"},
		{name: "empty", path: write("c", ""), wantErr: "is empty"},
		{name: "only whitespace", path: write("d", "\n\n"), wantErr: "is empty"},
		{name: "missing", path: filepath.Join(dir, "nope"), wantErr: "does not exist"},
		{name: "a directory", path: dir, wantErr: "reading secret file failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadSecretFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.path) {
					t.Fatalf("ReadSecretFile = %v; want an error naming the file and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Value() != tt.want.Value() {
				t.Errorf("ReadSecretFile = %q, %v; want %q", got.Value(), err, tt.want.Value())
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "akship.yml")
	os.WriteFile(path, []byte("output:\n  file: [\n"), 0o600)
	if _, err := ParseFile(path); err == nil || !strings.HasPrefix(err.Error(), path+": invalid YAML: line") {
		t.Errorf("ParseFile = %v, want an error starting with the file name", err)
	}
	if _, err := ParseFile(path + ".missing"); err == nil || !strings.Contains(err.Error(), path+".missing") {
		t.Errorf("ParseFile(missing) = %v, want an error naming the file", err)
	}
}
