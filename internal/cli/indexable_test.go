package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// sharedFieldsDir is the field definitions of ECS and Elastic's authentik
// package beside the checkout; tests needing it skip loudly without it.
func sharedFieldsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(moduleRoot, "..", "shared", "spec", "fields"))
	if err == nil {
		if _, err = os.Stat(filepath.Join(dir, "authentik-package.json")); err == nil {
			return dir
		}
	}
	t.Skipf("SKIPPED: the field definitions are not at %s (../shared beside the checkout): %v", dir, err)
	return ""
}

// TestEveryDocumentIndexable ships the simulator's full mix (every action
// and context shape, users and groups) and the conformance records into an
// Elasticsearch double that enforces the mappings: once under akship's
// templates (akship setup), once under the mappings Elastic's integration
// installs. Not one document may be rejected.
func TestEveryDocumentIndexable(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	fields := sharedFieldsDir(t)
	for _, mode := range []string{"akship-templates", "integration-mappings"} {
		t.Run(mode, func(t *testing.T) {
			es := esdoubletest.Start(t)
			env := newTestEnv(t, 20000, 300, 40)
			cfg := env.esConfig(t, "    hosts: ["+es.URL+"]")
			if mode == "akship-templates" {
				if code, _, stderr := run(t, "setup", "-c", cfg); code != 0 {
					t.Fatalf("setup exited %d:\n%s", code, stderr)
				}
			} else if err := es.InstallIntegration(fields); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := run(t, "run", "--once", "-c", cfg); code != 0 {
				t.Fatalf("run --once exited %d:\n%s", code, stderr)
			}
			shipConformance(t, es)
			seen := map[string]bool{}
			for _, r := range es.Rejections() {
				key := r.Reason
				if i := strings.Index(key, " in document with id"); i > 0 {
					key = key[strings.Index(key, "]")+2 : i]
				}
				if !seen[key] {
					seen[key] = true
					t.Errorf("%s rejected %s: %d %s: %s", r.Index, r.ID, r.Status, r.Type, r.Reason)
				}
			}
			if n := es.Stats().ItemErrors; n > 0 {
				t.Fatalf("%d documents rejected", n)
			}
			if got := es.Count("logs-authentik.event-default"); got < 20000 {
				t.Errorf("%d events indexed, want at least 20000", got)
			}
		})
	}
}

// shipConformance maps the conformance records with akship map and sends
// the documents to the double with create actions.
func shipConformance(t *testing.T, es *esdoubletest.Server) {
	t.Helper()
	for _, ds := range []string{"event", "user", "group"} {
		in, err := os.ReadFile(filepath.Join(moduleRoot, "..", "shared", "conformance", ds+".log"))
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := runMap([]string{"--dataset", ds}, bytes.NewReader(in), &out, &errOut); code != 0 {
			t.Fatalf("akship map --dataset %s exited %d: %s", ds, code, errOut.String())
		}
		var body bytes.Buffer
		for i, doc := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			fmt.Fprintf(&body, `{"create":{"_index":"logs-authentik.%s-default","_id":"conformance-%d"}}`+"\n%s\n", ds, i, doc)
		}
		res, err := http.Post(es.URL+"/_bulk", "application/x-ndjson", &body)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct{ Errors bool }
		_ = json.NewDecoder(res.Body).Decode(&answer)
		res.Body.Close()
	}
}
