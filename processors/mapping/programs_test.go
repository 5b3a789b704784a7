package mapping

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
	"akship/internal/datasets"
)

func TestReplaceProgram(t *testing.T) {
	cfg := testConfig(t)
	cfg.User.Program = `{"user": {"name": record.username.upperAscii()}, "labels": {"tags": size(tags)}}`
	file := filepath.Join(t.TempDir(), "group.cel")
	if err := os.WriteFile(file, []byte(`{"group": {"id": string(record.num_pk)}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Group.ProgramFile = file
	m := newMapper(t, cfg)

	doc, err := m.Map(datasets.User, []byte(`{"username":"ana"}`), goldenCollected)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"user":       map[string]any{"name": "ANA"},
		"labels":     map[string]any{"tags": int64(2)},
		"event":      map[string]any{"original": `{"username":"ana"}`, "dataset": "authentik.user"},
		"tags":       []any{"forwarded", "authentik-user"},
		"@timestamp": "2024-10-05T12:00:00.000Z",
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("inline program (-want +got):\n%s", diff)
	}
	doc, _ = m.Map(datasets.Group, []byte(`{"num_pk":5}`), goldenCollected)
	if got := doc["group"]; !cmp.Equal(got, map[string]any{"id": "5"}) {
		t.Errorf("program_file: group = %v", got)
	}
	doc, _ = m.Map(datasets.Event, loginEvent, goldenCollected)
	if got := doc["event"].(map[string]any)["action"]; got != "login" {
		t.Errorf("the event dataset lost its default program: event.action = %v", got)
	}
}

func TestExtendProgram(t *testing.T) {
	cfg := testConfig(t)
	cfg.Event.Extend = `{
	  "labels": {"country": doc.?source.?geo.?country_iso_code.orValue("unknown")},
	  "event": {"severity": record.action == "login_failed" ? 3 : 1},
	  "user": {"roles": ["staff"]},
	}`
	m := newMapper(t, cfg)
	doc, err := m.Map(datasets.Event, loginEvent, goldenCollected)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc["labels"]; !cmp.Equal(got, map[string]any{"country": "SE"}) {
		t.Errorf("labels = %v", got)
	}
	event := doc["event"].(map[string]any)
	if event["severity"] != int64(1) || event["action"] != "login" || event["kind"] != "event" {
		t.Errorf("event not merged deeply: %v", event)
	}
	user := doc["user"].(map[string]any)
	if user["name"] != "jane.doe" || !cmp.Equal(user["roles"], []any{"staff"}) {
		t.Errorf("user not merged deeply: %v", user)
	}
}

func TestExtendFailureKeepsMapping(t *testing.T) {
	cfg := testConfig(t)
	cfg.Event.Extend = `{"n": record.missing.field}`
	m := newMapper(t, cfg)
	doc, err := m.Map(datasets.Event, loginEvent, goldenCollected)
	if err == nil || !strings.Contains(err.Error(), "processors.event.extend") {
		t.Errorf("error = %v, want one naming processors.event.extend", err)
	}
	event := doc["event"].(map[string]any)
	if event["action"] != "login" || event["kind"] != "pipeline_error" {
		t.Errorf("the mapped document was lost: %v", event)
	}
	if msg, _ := doc["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "no such key: missing") {
		t.Errorf("error.message = %q", msg)
	}
}

func TestCompileErrorsNameProgramLineAndColumn(t *testing.T) {
	file := filepath.Join(t.TempDir(), "broken.cel")
	if err := os.WriteFile(file, []byte("{\n  \"a\": record.x +\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(*Config)
		want  []string
	}{
		{"undeclared name", func(c *Config) { c.Event.Program = "{\n  \"a\": recrd.pk\n}" },
			[]string{"processors.event.program:2:8", "undeclared reference to 'recrd'"}},
		{"syntax error in a file", func(c *Config) { c.User.ProgramFile = file },
			[]string{file + ":3:1", "compiling " + file}},
		{"wrong result type", func(c *Config) { c.Group.Program = `"just a string"` },
			[]string{"processors.group.program", "must return a map", "string"}},
		{"unknown function in extend", func(c *Config) { c.Group.Extend = `{"x": nope(doc)}` },
			[]string{"processors.group.extend:1:11", "undeclared reference to 'nope'"}},
		{"doc only in extend", func(c *Config) { c.Event.Program = `doc` },
			[]string{"processors.event.program:1:1", "undeclared reference to 'doc'"}},
		{"missing file", func(c *Config) { c.Event.ExtendFile = "/nonexistent/x.cel" },
			[]string{"processors.event.extend_file", "/nonexistent/x.cel"}},
		{"broken database", func(c *Config) { c.GeoIP.CityDatabase = "/nonexistent/City.mmdb" },
			[]string{"processors.geoip.city_database", "/nonexistent/City.mmdb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.setup(&cfg)
			m, err := New(cfg, nil)
			if err == nil {
				_ = m.Close()
				t.Fatal("New succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDefaultProgramsAreReadable(t *testing.T) {
	for _, d := range datasets.All {
		src, err := DefaultProgram(d)
		if err != nil || !strings.Contains(src, "cel.bind") || !strings.HasPrefix(src, "// Default mapping") {
			t.Errorf("DefaultProgram(%s) = %.40q, %v", d, src, err)
		}
	}
	if _, err := DefaultProgram("nope"); err == nil {
		t.Error("DefaultProgram(nope) succeeded")
	}
}

func TestProcessor(t *testing.T) {
	m := newMapper(t, testConfig(t))
	p := m.Processor(datasets.Event)
	e := &agent.Event{Dataset: datasets.Event, Raw: loginEvent, Collected: goldenCollected}
	if err := p.Process(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(e.Document) {
		t.Errorf("the engine did not write the document's JSON: %q", e.Document)
	}
	if doc := e.DecodeDocument(); doc["user"].(map[string]any)["name"] != "jane.doe" {
		t.Errorf("document = %v", doc)
	}

	bad := &agent.Event{Dataset: datasets.Event, Raw: []byte(`{"pk":`), Collected: goldenCollected}
	if err := p.Process(context.Background(), bad); err != nil {
		t.Fatalf("a bad record must not be an error: %v", err)
	}
	badDoc := bad.DecodeDocument()
	event := badDoc["event"].(map[string]any)
	if event["kind"] != "pipeline_error" || event["original"] != `{"pk":` {
		t.Errorf("bad record document = %v", badDoc)
	}
	if tags := badDoc["tags"].([]any); tags[len(tags)-1] != "preserve_original_event" {
		t.Errorf("tags = %v", tags)
	}

	other := &agent.Event{Dataset: datasets.User, Raw: []byte(`{}`)}
	if err := p.Process(context.Background(), other); err == nil {
		t.Error("the event mapping accepted a user record")
	}
}

func TestMapUnknownDataset(t *testing.T) {
	m := newMapper(t, testConfig(t))
	if doc, err := m.Map("nope", []byte(`{}`), time.Now()); err == nil || doc != nil {
		t.Errorf("Map(nope) = %v, %v", doc, err)
	}
}
