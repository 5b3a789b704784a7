package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
	"akship/internal/jsonenc"
)

// interpreted returns a copy of m that maps every dataset with its CEL
// program, without the Go twins.
func interpreted(m *Mapper) *Mapper {
	return variant(m, func(dm *datasetMapper) { dm.fast, dm.direct = nil, false })
}

// treeTwin returns a copy of m whose event twin builds the document as
// maps (mapEventFast, as with an extended program) instead of writing its
// JSON.
func treeTwin(m *Mapper) *Mapper {
	return variant(m, func(dm *datasetMapper) { dm.direct = false })
}

func variant(m *Mapper, change func(*datasetMapper)) *Mapper {
	c := *m
	c.datasets = maps.Clone(m.datasets)
	for d, dm := range c.datasets {
		plain := *dm
		change(&plain)
		c.datasets[d] = &plain
	}
	return &c
}

// checkFastPath maps raw with the Go twins and with the CEL program and
// requires the same document: the twin that builds maps gives an equal
// document, and the twin that writes JSON gives exactly the bytes the
// Elasticsearch output's encoder gives for the CEL document, which also
// decode to equal values (or, for a record it leaves to the map path, an
// equal document).
func checkFastPath(t testing.TB, m *Mapper, d agent.Dataset, raw []byte) {
	t.Helper()
	dm := m.datasets[d]
	if dm.fast == nil {
		return
	}
	slow, slowErr := interpreted(m).Map(d, raw, goldenCollected)
	tree, treeErr := treeTwin(m).Map(d, raw, goldenCollected)
	if fmt.Sprint(treeErr) != fmt.Sprint(slowErr) || !reflect.DeepEqual(tree, slow) {
		fj, _ := json.MarshalIndent(tree, "", " ")
		sj, _ := json.MarshalIndent(slow, "", " ")
		t.Fatalf("fast path and %s differ for %q (-cel +fast):\n%s\nerrors: %v / %v",
			dm.program.name, raw, cmp.Diff(string(sj), string(fj)), slowErr, treeErr)
	}
	if !dm.direct {
		return
	}
	invalid := twinInvalid.Load()
	doc, js, err := m.mapDocument(context.Background(), d, raw, goldenCollected)
	if twinInvalid.Load() != invalid {
		t.Fatalf("the JSON twin wrote invalid JSON for %q", raw)
	}
	if fmt.Sprint(err) != fmt.Sprint(slowErr) {
		t.Fatalf("JSON twin error %v, CEL %v, for %q", err, slowErr, raw)
	}
	if js == nil {
		if !reflect.DeepEqual(doc, slow) {
			t.Fatalf("JSON twin's map path and %s differ for %q:\n%s", dm.program.name, raw, cmp.Diff(slow, doc))
		}
		return
	}
	want, err := (&jsonenc.Encoder{}).Append(nil, slow)
	if err != nil {
		t.Fatalf("the CEL document does not encode: %v", err)
	}
	got, gotErr := parseJSON(js)
	shipped, wantErr := parseJSON(want)
	if gotErr != nil || wantErr != nil || !reflect.DeepEqual(got, shipped) || !bytes.Equal(js, want) {
		t.Fatalf("JSON twin and %s differ for %q (-cel +twin):\n%s\ndecoded (-cel +twin):\n%s\nerrors: %v / %v",
			dm.program.name, raw, cmp.Diff(string(want), string(js)), cmp.Diff(shipped, got), wantErr, gotErr)
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
