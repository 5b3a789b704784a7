package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The messages of an operator's usual first mistakes say what is wrong in
// plain words and where.

func TestEmptyVariableNamesTheVariableAndTheKey(t *testing.T) {
	_, err := decode("authentik:\n  url: x\n  token: ${EMPTY}\n")
	want := "test.yaml:3:10: authentik.token: environment variable EMPTY is set but empty"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

func TestTabIndentationIsExplained(t *testing.T) {
	for _, text := range []string{
		"authentik:\n\turl: x\n",
		"authentik:\n  url: x\n\ttoken: y\n", // the parser blames line 2
		"authentik:\n  tags:\n  \t- a\n",
	} {
		_, err := Parse("akship.yml", []byte(text))
		line := strings.Count(text[:strings.IndexByte(text, '\t')], "\n") + 1
		want := "akship.yml:" + string(rune('0'+line)) + ": invalid YAML: the line is indented with a tab; " +
			"YAML does not allow tabs for indentation, use spaces"
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", text, err, want)
		}
	}
	// A tab inside a quoted value is not indentation.
	if _, err := Parse("akship.yml", []byte("a: \"x\ty\"\n")); err != nil {
		t.Errorf("a tab in a quoted value: %v", err)
	}
}

func TestSecretFileWithAnAuthorizationScheme(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"Bearer abc123\n", "bearer abc123", "ApiKey abc=="} {
		p := filepath.Join(dir, "token")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadSecretFile(p)
		if err == nil || !strings.Contains(err.Error(), "write the secret alone, akship adds the authorization scheme itself") {
			t.Errorf("%q: got %v, want the scheme explained", content, err)
		}
		if err != nil && strings.Contains(err.Error(), "abc") {
			t.Errorf("%q: the error quotes the secret: %v", content, err)
		}
	}
}
