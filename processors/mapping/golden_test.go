package mapping

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
)

var update = flag.Bool("update", false, "rewrite the golden documents in testdata/golden")

// goldenCollected is the collection time of every golden document.
var goldenCollected = time.Date(2024, 10, 5, 12, 0, 0, 0, time.UTC)

// TestGolden maps each testdata/golden/<dataset>-<case>.record (one raw
// record, as the API would return it, or something broken) with the
// default configuration and the demo GeoIP databases, and compares the
// document with <dataset>-<case>.want.json. Run with -update to rewrite
// the wants after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	m := newMapper(t, testConfig(t))
	records, err := filepath.Glob(filepath.Join("testdata", "golden", "*.record"))
	if err != nil || len(records) == 0 {
		t.Fatalf("no golden records: %v", err)
	}
	for _, path := range records {
		name := strings.TrimSuffix(filepath.Base(path), ".record")
		t.Run(name, func(t *testing.T) {
			d := agent.Dataset(strings.SplitN(name, "-", 2)[0])
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc, mapErr := m.Map(d, raw, goldenCollected)
			if doc == nil {
				t.Fatalf("no document: %v", mapErr)
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatalf("the document is not JSON: %v", err)
			}
			got = append(got, '\n')
			wantPath := filepath.Join("testdata", "golden", name+".want.json")
			if *update {
				if err := os.WriteFile(wantPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", wantPath, diff)
			}
			if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Valid(raw) && mapErr != nil {
				t.Errorf("Map of a JSON object returned an error: %v", mapErr)
			}
		})
	}
}
