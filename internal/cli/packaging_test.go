package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeInstanceExample: the README's configuration for one of several
// authentik instances is valid and labels the documents.
func TestReadmeInstanceExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "# akship-eu.yml\n")
	if i < 0 {
		t.Fatal("README.md has no akship-eu.yml example")
	}
	example := text[i : i+strings.Index(text[i:], "```")]
	p := filepath.Join(t.TempDir(), "akship-eu.yml")
	if err := os.WriteFile(p, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTHENTIK_EU_TOKEN", testToken)
	t.Setenv("ES_API_KEY", "an-api-key")
	if code, out, errOut := run(t, "validate", "-c", p); code != 0 {
		t.Fatalf("validate: exit %d: %s%s", code, out, errOut)
	}
	var out, errOut strings.Builder
	rec := fixture(t, "api", "event-login.json")
	if code := runMap([]string{"--dataset", "event", "-c", p}, bytes.NewReader(rec), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), `"labels":{"authentik_instance":"eu"}`) {
		t.Errorf("map with the example: exit %d, %s %s", code, out.String(), errOut.String())
	}
}
