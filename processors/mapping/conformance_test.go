package mapping

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/datasets"
)

// sharedDir returns <repo root>/../shared, skipping the test loudly when
// the shared reference folder is not beside the checkout.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := sharedDirOrEmpty()
	if dir == "" {
		t.Skip("SKIPPED: shared reference data not found at <repo root>/../shared (it sits beside the checkout)")
	}
	return dir
}

// sharedDirOrEmpty is sharedDir for tests that use the shared data when
// it is there and run without it otherwise.
func sharedDirOrEmpty() string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	if _, err := os.Stat(filepath.Join(dir, "conformance")); err != nil {
		return ""
	}
	return dir
}

// TestConformance maps every record of ../shared/conformance with the
// settings the reference documents were made with and checks each document
// under the comparison rule of ../shared/README.md.
func TestConformance(t *testing.T) {
	shared := sharedDir(t)
	cfg := DefaultConfig()
	cfg.GeoIP.CityDatabase = filepath.Join(shared, "geoip", "GeoLite2-City-Test.mmdb")
	for _, d := range datasets.All {
		cfg.For(d).Tags = []string{"preserve_duplicate_custom_fields"}
	}
	m, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	total, matched := 0, 0
	for _, d := range datasets.All {
		records := readLines(t, filepath.Join(shared, "conformance", string(d)+".log"))
		var expected []map[string]any
		readJSON(t, filepath.Join(shared, "conformance", string(d)+".expected.json"), &expected)
		if len(records) != len(expected) {
			t.Fatalf("%s: %d records but %d expected documents", d, len(records), len(expected))
		}
		for i, raw := range records {
			total++
			t.Run(fmt.Sprintf("%s/%d", d, i+1), func(t *testing.T) {
				doc, err := m.Map(d, raw, time.Date(2024, 8, 14, 10, 0, 0, 0, time.UTC))
				if err != nil {
					t.Fatalf("Map: %v", err)
				}
				checkEngine(t, m, d, raw)
				problems := compareConformance(d, expected[i], normalise(t, doc))
				for _, p := range problems {
					t.Error(p)
				}
				if len(problems) == 0 {
					matched++
				}
			})
		}
	}
	t.Logf("conformance: %d of %d documents match", matched, total)
}

// allowedExtra reports whether akship may carry a field the reference
// document lacks.
func allowedExtra(d agent.Dataset, key string) bool {
	for _, p := range []string{"data_stream.", "agent.", "source.as."} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	switch key {
	case "event.dataset", "event.module", "event.ingested", "input.type":
		return true
	case "@timestamp":
		return d != datasets.Event
	}
	return false
}

// compareConformance applies the comparison rule: every expected field
// present with an equal value (arrays in order), extras only where allowed,
// and akship may name an agent the reference calls Other.
func compareConformance(d agent.Dataset, want, got map[string]any) []string {
	w, g := flatten("", want, map[string]any{}), flatten("", got, map[string]any{})
	skip := map[string]bool{}
	if w["user_agent.name"] == "Other" && g["user_agent.name"] != "Other" {
		for k := range g {
			if k == "user_agent.name" || k == "user_agent.version" || strings.HasPrefix(k, "user_agent.os.") {
				skip[k] = true
			}
		}
	}
	var problems []string
	for _, k := range slices.Sorted(mapsKeys(w)) {
		if skip[k] {
			continue
		}
		gv, ok := g[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s = %v", k, w[k]))
		case !reflect.DeepEqual(gv, w[k]):
			problems = append(problems, fmt.Sprintf("%s = %v, want %v", k, gv, w[k]))
		}
	}
	for _, k := range slices.Sorted(mapsKeys(g)) {
		if _, ok := w[k]; !ok && !skip[k] && !allowedExtra(d, k) {
			problems = append(problems, fmt.Sprintf("unexpected %s = %v", k, g[k]))
		}
	}
	return problems
}

// flatten maps dotted keys to leaf values; lists are leaves.
func flatten(prefix string, m map[string]any, out map[string]any) map[string]any {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
	return out
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// normalise round-trips a document through JSON, as it travels to
// Elasticsearch, so numbers compare as the expected file's do.
func normalise(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
