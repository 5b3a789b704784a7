package mapping

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
)

// interpreted returns a copy of m that maps every dataset with its CEL
// program, without the Go fast paths.
func interpreted(m *Mapper) *Mapper {
	c := *m
	c.datasets = maps.Clone(m.datasets)
	for d, dm := range c.datasets {
		plain := *dm
		plain.fast = nil
		c.datasets[d] = &plain
	}
	return &c
}

// checkFastPath maps raw with the fast path and with the CEL program and
// requires the same document.
func checkFastPath(t testing.TB, m *Mapper, d agent.Dataset, raw []byte) {
	t.Helper()
	if m.datasets[d].fast == nil {
		return
	}
	fast, fastErr := m.Map(d, raw, goldenCollected)
	slow, slowErr := interpreted(m).Map(d, raw, goldenCollected)
	if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) || !reflect.DeepEqual(fast, slow) {
		fj, _ := json.MarshalIndent(fast, "", " ")
		sj, _ := json.MarshalIndent(slow, "", " ")
		t.Fatalf("fast path and %s differ for %q (-cel +fast):\n%s\nerrors: %v / %v",
			m.datasets[d].program.name, raw, cmp.Diff(string(sj), string(fj)), slowErr, fastErr)
	}
}

func TestFastPathMatchesProgram(t *testing.T) {
	for _, preserve := range []bool{false, true} {
		cfg := testConfig(t)
		if preserve {
			cfg.Event.Tags = []string{"preserve_duplicate_custom_fields"}
		}
		m := newMapper(t, cfg)
		var records [][]byte
		for action := range eventCategories {
			records = append(records, []byte(`{"action":"`+action+`","client_ip":"81.2.69.9"}`))
		}
		files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.record"))
		for _, f := range files {
			records = append(records, readLines(t, f)...)
		}
		records = append(records, loginEvent)
		if shared := sharedDirOrEmpty(); shared != "" {
			records = append(records, readLines(t, filepath.Join(shared, "conformance", "event.log"))...)
		}
		for i, raw := range records {
			t.Run(fmt.Sprintf("preserve=%v/%d", preserve, i), func(t *testing.T) {
				checkFastPath(t, m, agent.DatasetEvent, raw)
			})
		}
	}
}

func TestFastPathOnlyForTheDefaultProgram(t *testing.T) {
	cfg := testConfig(t)
	cfg.Event.Program = `{"x": 1}`
	m := newMapper(t, cfg)
	if m.datasets[agent.DatasetEvent].fast != nil {
		t.Error("a replaced event program still uses the fast path")
	}
	doc, _ := m.Map(agent.DatasetEvent, loginEvent, goldenCollected)
	if doc["x"] != int64(1) {
		t.Errorf("the replaced program did not run: %v", doc)
	}
}
