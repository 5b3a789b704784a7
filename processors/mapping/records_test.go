package mapping

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"akship/internal/datasets"
)

// mapUsers runs MapNDJSON over in and returns the user.id of every
// document and the error.
func mapUsers(t *testing.T, in string) ([]any, error) {
	t.Helper()
	m := newMapper(t, testConfig(t))
	var out bytes.Buffer
	n, err := MapNDJSON(m, datasets.User, strings.NewReader(in), &out)
	var ids []any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("output %q: %v", l, err)
		}
		u, _ := doc["user"].(map[string]any)
		ids = append(ids, u["id"])
	}
	if n != len(ids) {
		t.Errorf("MapNDJSON says %d documents, wrote %d", n, len(ids))
	}
	return ids, err
}

func indent(t *testing.T, v string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(v), "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMapRecognisesPagesAndPrettyRecords: an API response saved with curl
// (one line), the same through jq (pretty-printed), and pretty-printed
// records are mapped record by record, like NDJSON.
func TestMapRecognisesPagesAndPrettyRecords(t *testing.T) {
	page := `{"pagination":{"next":0,"previous":0,"count":2,"current":1,"total_pages":1,"start_index":1,"end_index":2},` +
		`"results":[{"pk":1,"username":"a"},{"pk":2,"username":"b"}]}`
	tests := []struct {
		name, in string
		want     []any
	}{
		{"a page on one line", page + "\n", []any{"1", "2"}},
		{"pages as NDJSON", page + "\n" + page + "\n", []any{"1", "2", "1", "2"}},
		{"a pretty-printed page", indent(t, page), []any{"1", "2"}},
		{"a pretty-printed record", indent(t, `{"pk":7,"username":"g"}`), []any{"7"}},
		{"pretty-printed records", "\n" + indent(t, `{"pk":7,"username":"g"}`) + "\n" + indent(t, `{"pk":8,"username":"h"}`),
			[]any{"7", "8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := mapUsers(t, tt.in)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("user.ids %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Errorf("user.ids %v, want %v", ids, tt.want)
				}
			}
		})
	}
}

// TestMapSaysWhatItExpects: a multi-line value that is not JSON stops the
// run with the line of the problem and the shapes map reads.
func TestMapSaysWhatItExpects(t *testing.T) {
	_, err := mapUsers(t, "{\n  \"pk\": 1,\n  \"username\": a\n}\n")
	if err == nil || !strings.HasPrefix(err.Error(), "line 3: invalid JSON") || !strings.Contains(err.Error(), expectedInput) {
		t.Errorf("error = %v", err)
	}
	// A record of a page that is not an object names its place.
	_, err = mapUsers(t, `{"pagination":{},"results":[{"pk":1,"username":"a"},5]}`+"\n")
	if err == nil || !strings.HasPrefix(err.Error(), "line 1, results[1]: ") {
		t.Errorf("error = %v", err)
	}
}
