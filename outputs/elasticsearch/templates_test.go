package elasticsearch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplatesDeclareThePackageFields requires every leaf field Elastic's
// authentik package declares for a dataset to be declared, with the same
// type, by akship's component templates: nothing the integration types is
// left to dynamic mapping.
func TestTemplatesDeclareThePackageFields(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "spec", "fields", "authentik-package.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("SKIPPED: the package's field definitions are not at %s: %v", path, err)
	}
	var pkg map[string]json.RawMessage
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{"event", "user", "group"} {
		declared := map[string]string{}
		for _, file := range []string{"ecs_mappings.json", ds + "_mappings.json", "index_template.json"} {
			raw, err := templateFS.ReadFile("templates/" + file)
			if err != nil {
				t.Fatal(err)
			}
			var tpl struct {
				Template struct {
					Mappings struct {
						Properties map[string]any `json:"properties"`
					} `json:"mappings"`
				} `json:"template"`
			}
			if err := json.Unmarshal(raw, &tpl); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			leaves("", tpl.Template.Mappings.Properties, declared)
		}
		var fields map[string]struct{ Type string }
		if err := json.Unmarshal(pkg[ds], &fields); err != nil {
			t.Fatal(err)
		}
		for name, f := range fields {
			if f.Type == "group" || name == "input.type" || name == "log.offset" || name == "event.module" {
				continue // agent metadata akship does not write
			}
			if got, ok := declared[name]; !ok {
				t.Errorf("%s: %s (%s) is not declared", ds, name, f.Type)
			} else if got != f.Type {
				t.Errorf("%s: %s is %s, the package says %s", ds, name, got, f.Type)
			}
		}
	}
}

// leaves collects the dotted paths and types of the leaf fields.
func leaves(prefix string, props map[string]any, out map[string]string) {
	for name, v := range props {
		def, _ := v.(map[string]any)
		if sub, ok := def["properties"].(map[string]any); ok {
			leaves(prefix+name+".", sub, out)
			continue
		}
		typ, _ := def["type"].(string)
		out[strings.TrimPrefix(prefix+name, ".")] = typ
	}
}
