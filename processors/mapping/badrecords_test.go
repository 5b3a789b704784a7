package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"akship/agent"
	"akship/agent/config"
	"akship/internal/datasets"
)

// checkDocument asserts the invariants every document has, whatever the
// record: event.original is the record, only JSON value types, no empty
// values, and error fields exactly when something failed.
func checkDocument(t testing.TB, raw []byte, doc map[string]any) {
	t.Helper()
	if doc == nil {
		t.Fatal("no document")
	}
	event, _ := doc["event"].(map[string]any)
	if event == nil || (len(raw) > 0 && event["original"] != shippedString(raw)) {
		t.Fatalf("event.original is not the record: %v", event)
	}
	if _, ok := doc["@timestamp"].(string); !ok {
		t.Errorf("no @timestamp: %v", doc["@timestamp"])
	}
	if err := jsonTypesOnly("", doc); err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	_, hasErr := doc["error"]
	if hasErr != (event["kind"] == "pipeline_error") {
		t.Errorf("error present = %v but event.kind = %v", hasErr, event["kind"])
	}
}

// shippedString is s as a JSON document carries it: invalid UTF-8 bytes
// replaced by U+FFFD, as encoding/json does.
func shippedString(s []byte) string {
	js, _ := json.Marshal(string(s))
	var out string
	_ = json.Unmarshal(js, &out)
	return out
}

// jsonTypesOnly checks that v holds only the document value types and no
// empty values.
func jsonTypesOnly(path string, v any) error {
	switch x := v.(type) {
	case string:
		if x == "" {
			return fmt.Errorf("%s is an empty string", path)
		}
	case bool, int64, float64:
	case map[string]any:
		if len(x) == 0 {
			return fmt.Errorf("%s is an empty object", path)
		}
		for k, e := range x {
			if err := jsonTypesOnly(path+"."+k, e); err != nil {
				return err
			}
		}
	case []any:
		if len(x) == 0 {
			return fmt.Errorf("%s is an empty list", path)
		}
		for i, e := range x {
			if err := jsonTypesOnly(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s has type %T", path, v)
	}
	return nil
}

func TestBadRecords(t *testing.T) {
	huge := `{"pk":"h","action":"model_updated","context":{"diff":{` +
		strings.Repeat(`"k":{"new_value":"`+strings.Repeat("x", 1000)+`"},`, 500) +
		`"last":1}},"created":"2024-01-01T00:00:00Z"}`
	deep := `{"pk":"d","context":` + strings.Repeat(`{"a":`, 500) + `1` + strings.Repeat(`}`, 500) + `}`
	tests := []struct {
		name      string
		dataset   agent.Dataset
		record    string
		wantError string // part of error.message; empty = no error
	}{
		{"empty object", datasets.Event, `{}`, ""},
		{"empty user object", datasets.User, `{}`, ""},
		{"nulls everywhere", datasets.Event, `{"pk":null,"user":null,"action":null,"context":null,"client_ip":null,"created":null,"expires":null}`, ""},
		{"null user fields", datasets.User, `{"pk":null,"username":null,"email":null,"groups":null,"is_active":null,"last_login":null}`, ""},
		{"wrong types", datasets.Group, `{"pk":{"a":1},"name":[1],"users":{"x":1},"num_pk":true,"is_superuser":"maybe"}`, "is not a whole number"},
		{"user pk object", datasets.User, `{"pk":{"a":1},"groups":[1,{"x":2}],"email":5}`, "cannot convert an object"},
		{"invalid ip", datasets.Event, `{"client_ip":"::g"}`, "not an IP address"},
		{"ip with zone", datasets.Event, `{"client_ip":"fe80::1%eth0"}`, ""},
		{"date with offset", datasets.Event, `{"created":"2024-06-01T12:00:00.123456+05:30"}`, ""},
		{"date without zone", datasets.User, `{"last_login":"2024-06-01T12:00:00"}`, ""},
		{"date as number", datasets.Event, `{"created":20240601}`, "unable to parse date"},
		{"unknown action", datasets.Event, `{"action":"brand_new_action_2026"}`, ""},
		{"action with unicode", datasets.Event, `{"action":"LOGIN_ÉCHEC"}`, ""},
		{"huge context", datasets.Event, huge, ""},
		{"deep nesting", datasets.Event, deep, ""},
		{"big numbers", datasets.Group, `{"num_pk":123456789012345678901234567890,"users":[1e400, 12345678901234567890]}`, "is not a whole number"},
		{"not json", datasets.Event, `{"pk":`, "not valid JSON"},
		{"trailing data", datasets.Event, `{"pk":"a"} {"pk":"b"}`, "followed by more data"},
		{"array", datasets.Group, `[{"pk":"a"}]`, "an array, not a JSON object"},
		{"string", datasets.User, `"user"`, "a string, not a JSON object"},
		{"null", datasets.User, `null`, "null, not a JSON object"},
		{"empty input", datasets.Event, ``, "not valid JSON"},
		{"invalid utf-8", datasets.Event, "{\"pk\":\"\xff\xfe\"}", ""},
	}
	m := newMapper(t, testConfig(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.record)
			doc, _ := m.Map(tt.dataset, raw, goldenCollected)
			checkDocument(t, raw, doc)
			checkEngine(t, m, tt.dataset, raw)
			msg := fmt.Sprint(doc["error"])
			if tt.wantError == "" && doc["error"] != nil {
				t.Errorf("unexpected error: %s", msg)
			}
			if tt.wantError != "" && !strings.Contains(msg, tt.wantError) {
				t.Errorf("error.message = %s, want it to contain %q", msg, tt.wantError)
			}
		})
	}
}

func TestMapNDJSON(t *testing.T) {
	m := newMapper(t, testConfig(t))
	in := strings.Join([]string{
		`{"pk":1,"username":"a"}`,
		``,
		`{"pk":2,"username":`,
		`{"pk":3,"username":"c"}`,
		`[1]`,
	}, "\n")
	var out bytes.Buffer
	n, err := MapNDJSON(m, datasets.User, strings.NewReader(in), &out)
	if n != 4 {
		t.Errorf("mapped %d documents, want 4 (the blank line is skipped)", n)
	}
	if err == nil || !strings.Contains(err.Error(), "line 3:") || !strings.Contains(err.Error(), "line 5:") ||
		strings.Contains(err.Error(), "line 1:") || strings.Contains(err.Error(), "line 4:") {
		t.Errorf("error = %v, want lines 3 and 5 named", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d output lines, want 4", len(lines))
	}
	wantIDs := []any{"1", nil, "3", nil}
	for i, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		var id any
		if u, ok := doc["user"].(map[string]any); ok {
			id = u["id"]
		}
		if id != wantIDs[i] {
			t.Errorf("output line %d: user.id = %v, want %v", i+1, id, wantIDs[i])
		}
	}
	if parts := config.Errors(err); len(parts) != 2 || !strings.HasPrefix(parts[0].Error(), "line 3: ") {
		t.Errorf("flattened errors lose their line numbers: %q", parts)
	}
	if _, err := MapNDJSON(m, "nope", strings.NewReader("{}"), &out); err == nil {
		t.Error("unknown dataset accepted")
	}
}

// TestContextFlowShapes: context.flow is a pk string in some actions and
// the Flow model ({app, model_name, pk, name}) in others; the document
// always has the pk (a string) there, so a keyword mapping takes it. The
// engine agrees with the reference evaluation.
func TestContextFlowShapes(t *testing.T) {
	m := newMapper(t, testConfig(t))
	for _, tt := range []struct {
		flow string
		want any // nil: no context.flow in the document
	}{
		{`"53287faa8a644b6cb124cb602a84282f"`, "53287faa8a644b6cb124cb602a84282f"},
		{`{"app":"authentik_flows","model_name":"flow","pk":"3330b6da7611832d","name":"Flow default-recovery-flow"}`, "3330b6da7611832d"},
		{`{"app":"authentik_flows","model_name":"flow","pk":12,"name":"x"}`, "12"},
		{`{"app":"authentik_flows","name":"no pk"}`, nil},
	} {
		raw := []byte(`{"pk":"e","action":"flow_execution","context":{"flow":` + tt.flow + `}}`)
		doc, _ := m.Map(datasets.Event, raw, goldenCollected)
		checkDocument(t, raw, doc)
		checkEngine(t, m, datasets.Event, raw)
		var got any
		if ae, ok := doc["authentik"].(map[string]any)["event"].(map[string]any); ok {
			if ctx, ok := ae["context"].(map[string]any); ok {
				got = ctx["flow"]
			}
		}
		if got != tt.want {
			t.Errorf("context.flow %s → %v, want %v", tt.flow, got, tt.want)
		}
	}
}
