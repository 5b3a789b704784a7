package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"akship/internal/victorialogs/victorialogstest"
	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// esConfig writes a configuration shipping the environment's simulator to
// an Elasticsearch-speaking server.
func (e *testEnv) esConfig(t *testing.T, esBlock string) string {
	t.Helper()
	cfg := fmt.Sprintf(`authentik:
  url: %s
  token: ${AKSHIP_TEST_TOKEN}
  backoff_initial: 10ms
  backoff_max: 50ms
output:
  elasticsearch:
%s
state:
  path: %s
pipeline:
  retry_initial: 10ms
  retry_max: 100ms
logging:
  format: json
`, e.url, esBlock, filepath.Join(e.dir, "state"))
	p := filepath.Join(e.dir, "akship-es.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AKSHIP_TEST_TOKEN", testToken)
	return p
}

func TestRunOnceIntoElasticsearch(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	es := esdoubletest.Start(t)
	env := newTestEnv(t, 5000, 40, 6)
	cfg := env.esConfig(t, "    hosts: ["+es.URL+"]")
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	want := map[string]int{"logs-authentik.event-default": 5000, "logs-authentik.user-default": 40,
		"logs-authentik.group-default": 6}
	for ds, n := range want {
		docs := es.Double.Docs(ds)
		if len(docs) != n {
			t.Errorf("%s has %d documents, want %d", ds, len(docs), n)
		}
		for _, d := range docs {
			if d.ID == "" {
				t.Fatalf("a document of %s has no _id", ds)
			}
		}
	}
	pks := map[string]bool{}
	for _, d := range es.Double.Docs("logs-authentik.event-default") {
		pks[d.ID] = true
	}
	for _, pk := range env.sim.EventPKs() {
		if !pks[pk] {
			t.Fatalf("event %s is not indexed under its pk", pk)
		}
	}

	// Without the cursors everything is read again, and Elasticsearch
	// absorbs every replay as a 409: no new document.
	if err := os.RemoveAll(filepath.Join(env.dir, "state")); err != nil {
		t.Fatal(err)
	}
	before := es.Double.Stats()
	code, _, stderr := run(t, "run", "--once", "-c", cfg)
	if code != 0 {
		t.Fatalf("replay exited %d:\n%s", code, stderr)
	}
	after := es.Double.Stats()
	if after.Created != before.Created {
		t.Errorf("the replay created %d new documents, want 0", after.Created-before.Created)
	}
	if d := after.Duplicates - before.Duplicates; d != 5046 {
		t.Errorf("the replay was answered %d conflicts, want 5046", d)
	}
	if !strings.Contains(stderr, `"dataset":"authentik.event","read":5000,"delivered":5000`) {
		t.Errorf("the replay's summary does not count the duplicates as delivered:\n%s", lastLines(stderr, 5))
	}
}

func TestRunOnceIntoElasticsearchWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	es := esdoubletest.Start(t)
	es.Double.SetFaults(esdouble.Faults{Seed: 11, ItemRejectRate: 0.05, RequestErrorRate: 0.03})
	env := newTestEnv(t, 5000, 40, 6)
	cfg := env.esConfig(t, "    hosts: ["+es.URL+"]\n    bulk_max_docs: 50")
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	st := es.Double.Stats()
	if st.Rejected == 0 || st.RequestErrors == 0 {
		t.Fatalf("no faults were injected: %+v", st)
	}
	got := es.Double.Count("logs-authentik.event-default")
	if got != 5000 || st.Created != 5046 {
		t.Fatalf("with faults: %d events and %d documents in all, want 5000 and 5046 (stats %+v)", got, st.Created, st)
	}
	if _, err := os.Stat(filepath.Join(env.dir, "state", "dead-letter.ndjson")); err == nil {
		t.Error("retryable faults must not dead-letter anything")
	}
	t.Logf("faults absorbed: %d items 429, %d requests 500/503, %d replays answered 409",
		st.Rejected, st.RequestErrors, st.Duplicates)
}

func TestRunOnceIntoVictoriaLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	vl := victorialogstest.Start(t)
	env := newTestEnv(t, 3000, 40, 6)
	cfg := env.esConfig(t, `    hosts: [`+vl.ElasticsearchURL()+`]
    headers:
      VL-Time-Field: "@timestamp"
      VL-Msg-Field: event.original
      VL-Stream-Fields: data_stream.dataset`)
	if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := vl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for ds, want := range map[string]int{"event": 3000, "user": 40, "group": 6} {
		got, err := vl.Count(ctx, `data_stream.dataset:"authentik.`+ds+`"`)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("VictoriaLogs holds %d %s documents, want %d", got, ds, want)
		}
	}
}

func TestSetupDryRunAndInstall(t *testing.T) {
	es := esdoubletest.Start(t)
	env := newTestEnv(t, 1, 1, 1)
	cfg := env.esConfig(t, "    hosts: ["+es.URL+"]")
	code, out, stderr := run(t, "setup", "--dry-run", "-c", cfg)
	if code != 0 || !strings.Contains(out, "_index_template/") {
		t.Fatalf("setup --dry-run exited %d: %s %s", code, out, stderr)
	}
	if n := es.Double.Stats().Requests; n != 0 {
		t.Fatalf("--dry-run sent %d requests", n)
	}
	if code, out, stderr := run(t, "setup", "-c", cfg); code != 0 {
		t.Fatalf("setup exited %d: %s %s", code, out, stderr)
	}
	tpl := es.Double.Templates()
	var mapping struct {
		Template struct {
			Mappings json.RawMessage `json:"mappings"`
		} `json:"template"`
	}
	found := false
	for name, body := range tpl.Component {
		_ = json.Unmarshal(body, &mapping)
		if strings.Contains(name, "event") && strings.Contains(string(mapping.Template.Mappings), `"flattened"`) {
			found = true
		}
	}
	if len(tpl.Index) != 3 || !found {
		t.Errorf("setup installed %d index templates; event mapping with flattened diff found: %v", len(tpl.Index), found)
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
