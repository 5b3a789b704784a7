package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/internal/loopback"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

var updateBulk = flag.Bool("update-bulk", false, "rewrite testdata/bulk/*.ndjson from this run")

// TestBulkBodiesMatchFixture ships a small, fixed authentik (seeded
// simulator, frozen clock) into the Elasticsearch double with akship run
// --once and compares every bulk action and document it sent with
// testdata/bulk/seed7.ndjson: what reaches Elasticsearch does not change
// unnoticed. Items are compared in _id order as parsed JSON (batching and
// key order are the output's business); the times of collection are left
// out: event.ingested, and the @timestamp of user and group snapshots. -update-bulk rewrites the fixture.
func TestBulkBodiesMatchFixture(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sim, err := simulator.New(simulator.Options{Token: testToken, Events: 40, Users: 4, Groups: 2, Seed: 7,
		Version: "2026.8",
		Now:     func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := loopback.Serve(sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	env := &testEnv{sim: sim, url: url, dir: t.TempDir()}
	es := esdoubletest.Start(t)
	es.Record(1000)
	cfg := env.esConfig(t, "    hosts: ["+es.URL+"]")
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	var items []string
	for _, r := range es.Requests() {
		if strings.HasSuffix(r.Path, "/_bulk") {
			items = append(items, bulkItems(t, r.Body)...)
		}
	}
	slices.Sort(items)
	got := strings.Join(items, "\n") + "\n"
	path := fixturePath("bulk", "seed7.ndjson")
	if *updateBulk {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := string(fixture(t, "bulk", "seed7.ndjson"))
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("bulk item %d differs from %s (%d items sent, %d expected):\n got: %s\nwant: %s",
					i, path, len(gl)-1, len(wl)-1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d bulk items sent, %s expects %d", len(gl)-1, path, len(wl)-1)
	}
}

// bulkItems returns the action and document pairs of a bulk body, each as
// one line: the action and the document re-encoded with sorted keys,
// without the times of collection.
func bulkItems(t *testing.T, body []byte) []string {
	t.Helper()
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil // the output's probe of the bulk endpoint: an empty request
	}
	lines := bytes.Split(body, []byte("\n"))
	if len(lines)%2 != 0 {
		t.Fatalf("a bulk body of %d lines: not action and document pairs", len(lines))
	}
	var out []string
	for i := 0; i < len(lines); i += 2 {
		var action, doc map[string]any
		if err := json.Unmarshal(lines[i], &action); err != nil {
			t.Fatalf("bulk action %q: %v", lines[i], err)
		}
		if err := json.Unmarshal(lines[i+1], &doc); err != nil {
			t.Fatalf("bulk document %q: %v", lines[i+1], err)
		}
		ev, _ := doc["event"].(map[string]any)
		delete(ev, "ingested")
		if ev["kind"] == "asset" {
			delete(doc, "@timestamp") // a user or group snapshot is stamped when it was taken
		}
		a, _ := json.Marshal(action)
		d, _ := json.Marshal(doc)
		out = append(out, string(a)+" "+string(d))
	}
	return out
}
