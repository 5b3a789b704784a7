package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"akship/internal/datasets"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

func TestSetupInstallsTemplates(t *testing.T) {
	srv := esdoubletest.Start(t)
	cfg := testConfig(srv.URL)
	cfg.ILM.Retention = "90d"
	var out bytes.Buffer
	for run := 0; run < 2; run++ { // the second run proves idempotence
		if err := Setup(context.Background(), cfg, SetupOptions{Out: &out}); err != nil {
			t.Fatalf("run %d: Setup: %v", run, err)
		}
	}
	tpl := srv.Templates()
	if len(tpl.ILM) != 1 || len(tpl.Component) != 5 || len(tpl.Index) != 3 {
		t.Fatalf("installed %d policies, %d component and %d index templates; want 1, 5, 3",
			len(tpl.ILM), len(tpl.Component), len(tpl.Index))
	}
	policy := decodeJSON(t, tpl.ILM[PolicyName])
	if got := at(policy, "phases.delete.min_age"); got != "90d" {
		t.Errorf("delete phase min_age = %v, want 90d", got)
	}
	if got := at(policy, "phases.hot.actions.rollover.max_primary_shard_size"); got != "50gb" {
		t.Errorf("rollover size = %v", got)
	}

	mappings := func(name string) map[string]any {
		return at(decodeJSON(t, tpl.Component[name]), "template.mappings.properties").(map[string]any)
	}
	types := []struct{ template, field, want string }{
		{"akship-authentik.event@mappings", "authentik.event.client_ip", "ip"},
		{"akship-authentik.event@mappings", "authentik.event.created", "date"},
		{"akship-authentik.event@mappings", "authentik.event.expires", "date"},
		{"akship-authentik.event@mappings", "authentik.event.context.diff", "flattened"},
		{"akship-authentik.event@mappings", "authentik.event.context.created", "boolean"},
		{"akship-authentik.event@mappings", "authentik.event.context.result.passing", "boolean"},
		{"akship-authentik.event@mappings", "authentik.event.user.is_anonymous", "boolean"},
		{"akship-authentik.event@mappings", "authentik.event.action", "keyword"},
		{"akship-authentik.user@mappings", "authentik.user.last_login", "date"},
		{"akship-authentik.user@mappings", "authentik.user.is_active", "boolean"},
		{"akship-authentik.user@mappings", "authentik.user.is_superuser", "boolean"},
		{"akship-authentik.group@mappings", "authentik.group.num_pk", "long"},
		{"akship-authentik.group@mappings", "authentik.group.is_superuser", "boolean"},
		{"akship-authentik@ecs", "data_stream.dataset", "constant_keyword"},
		{"akship-authentik@ecs", "data_stream.namespace", "constant_keyword"},
		{"akship-authentik@ecs", "source.ip", "ip"},
		{"akship-authentik@ecs", "event.original", "keyword"},
		{"akship-authentik@ecs", "source.geo.location", "geo_point"},
		{"akship-authentik@ecs", "@timestamp", "date"},
	}
	for _, tt := range types {
		if got := fieldType(mappings(tt.template), tt.field); got != tt.want {
			t.Errorf("%s: %s is %q, want %q", tt.template, tt.field, got, tt.want)
		}
	}

	index := decodeJSON(t, tpl.Index["akship-logs-authentik.user"])
	if at(index, "priority") != float64(250) || at(index, "data_stream") == nil {
		t.Errorf("index template: priority %v, data_stream %v", at(index, "priority"), at(index, "data_stream"))
	}
	if got := at(index, "index_patterns").([]any)[0]; got != "logs-authentik.user-*" {
		t.Errorf("index pattern = %v", got)
	}
	if !strings.Contains(out.String(), "PUT /_index_template/akship-logs-authentik.group: acknowledged") {
		t.Errorf("progress output:\n%s", out.String())
	}

	// Writes now land in data streams created from the templates.
	o, _, _ := startOutput(t, cfg)
	if err := o.Write(context.Background(), testEvents(datasets.Group, "g", 2)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("logs-authentik.group-default"); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
}

func TestSetupDryRunSendsNothing(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.APIKeyFile = "/nonexistent" // a dry run needs no credentials
	var out bytes.Buffer
	if err := Setup(context.Background(), cfg, SetupOptions{DryRun: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("dry run sent %d requests", n)
	}
	for _, want := range []string{"PUT /_ilm/policy/akship-authentik\n{", `"min_age": "365d"`,
		"PUT /_component_template/akship-authentik.event@mappings", `"type": "flattened"`,
		"PUT /_index_template/akship-logs-authentik.event"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q", want)
		}
	}
}

func TestSetupWithoutILM(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ILM.Enabled = false
	reqs, err := SetupRequests(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, "/_ilm") || bytes.Contains(r.Body, []byte(`"lifecycle":{"name"`)) {
			t.Errorf("ILM disabled but %s refers to a policy: %s", r.Path, r.Body)
		}
		if strings.HasPrefix(r.Path, "/_index_template/") && !bytes.Contains(r.Body, []byte(`"data_retention":"365d"`)) {
			t.Errorf("%s lacks the data stream lifecycle: %s", r.Path, r.Body)
		}
	}
}

func decodeJSON(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return m
}

// at follows a dotted path of object keys.
func at(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

// fieldType finds a dotted field in a mapping's properties.
func fieldType(props map[string]any, field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		f, _ := props[p].(map[string]any)
		if f == nil {
			return ""
		}
		if i == len(parts)-1 {
			typ, _ := f["type"].(string)
			return typ
		}
		props, _ = f["properties"].(map[string]any)
	}
	return ""
}
