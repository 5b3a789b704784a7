package esdouble

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, method, url, body string, gz bool) (*http.Response, string) {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(body))
		_ = w.Close()
		r = &b
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, string(data)
}

func TestInfoAndProductHeader(t *testing.T) {
	s := start(t)
	for _, path := range []string{"/", "/nope/_search"} {
		res, _ := do(t, "GET", s.URL+path, "", false)
		if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("GET %s: no X-Elastic-Product header", path)
		}
	}
	_, body := do(t, "GET", s.URL+"/", "", false)
	if !strings.Contains(body, `"number":"`+Version+`"`) {
		t.Errorf("info = %s", body)
	}
}

func TestBulkResponses(t *testing.T) {
	s := start(t)
	body := `{"create":{"_index":"logs-a.b-default","_id":"1"}}
{"@timestamp":"2026-01-01T00:00:00Z","m":1}
{"create":{"_index":"logs-a.b-default","_id":"1"}}
{"@timestamp":"2026-01-01T00:00:00Z","m":2}
{"create":{"_index":"logs-a.b-default"}}
{"@timestamp":"2026-01-01T00:00:00Z","m":3}
{"index":{"_index":"logs-a.b-default","_id":"2"}}
{"@timestamp":"2026-01-01T00:00:00Z"}
{"create":{"_index":"logs-a.b-default","_id":"3"}}
{"no_timestamp":true}
{"create":{"_index":"Bad","_id":"4"}}
{"@timestamp":"2026-01-01T00:00:00Z"}
{"index":{"_id":"5"}}
{"x":{"@timestamp":1}}
`
	res, out := do(t, "POST", s.URL+"/plain/_bulk", body, true)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, out)
	}
	var resp struct {
		Took   *int `json:"took"`
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Status int    `json:"status"`
			Result string `json:"result"`
			Error  *struct{ Type, Reason string }
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || resp.Took == nil {
		t.Fatalf("response %s: %v", out, err)
	}
	want := []struct {
		action    string
		status    int
		errorType string
	}{
		{"create", 201, ""},
		{"create", 409, "version_conflict_engine_exception"},
		{"create", 201, ""},
		{"index", 400, "illegal_argument_exception"},
		{"create", 400, "document_parsing_exception"},
		{"create", 400, "invalid_index_name_exception"},
		{"index", 201, ""},
	}
	if !resp.Errors || len(resp.Items) != len(want) {
		t.Fatalf("errors=%v items=%d: %s", resp.Errors, len(resp.Items), out)
	}
	for i, w := range want {
		it, ok := resp.Items[i][w.action]
		if !ok || it.Status != w.status || (w.errorType != "" && (it.Error == nil || it.Error.Type != w.errorType)) {
			t.Errorf("item %d = %+v, want %s %d %s", i, resp.Items[i], w.action, w.status, w.errorType)
		}
	}
	if it := resp.Items[0]["create"]; !strings.HasPrefix(it.Index, ".ds-logs-a.b-default-") || it.Result != "created" {
		t.Errorf("data stream item = %+v, want a backing index and result created", it)
	}
	if id := resp.Items[2]["create"].ID; len(id) != 20 {
		t.Errorf("generated id %q, want 20 characters", id)
	}
	if s.Count("logs-a.b-default") != 2 || s.Count("plain") != 1 {
		t.Errorf("counts %d, %d", s.Count("logs-a.b-default"), s.Count("plain"))
	}
	st := s.Stats()
	if st.Created != 3 || st.Duplicates != 1 || st.ItemErrors != 3 {
		t.Errorf("stats = %+v", st)
	}
	_, count := do(t, "GET", s.URL+"/logs-a.b-default/_count", "", false)
	if !strings.Contains(count, `"count":2`) {
		t.Errorf("_count = %s", count)
	}
}

func TestBulkRequestErrors(t *testing.T) {
	s := start(t)
	tests := []struct {
		name, body string
		want       int
	}{
		{"missing final newline", `{"create":{"_index":"a"}}` + "\n{}", 400},
		{"unknown action", `{"upsert":{"_index":"a"}}` + "\n{}\n", 400},
		{"not json", "nope\n", 400},
	}
	for _, tt := range tests {
		res, out := do(t, "POST", s.URL+"/_bulk", tt.body, false)
		if res.StatusCode != tt.want || !strings.Contains(out, `"status":400`) {
			t.Errorf("%s: %d %s", tt.name, res.StatusCode, out)
		}
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	run := func() Stats {
		s := start(t)
		s.SetFaults(Faults{Seed: 42, ItemRejectRate: 0.2, RequestErrorRate: 0.3})
		for i := 0; i < 20; i++ {
			var b strings.Builder
			for j := 0; j < 10; j++ {
				b.WriteString(`{"create":{"_index":"logs-x.y-z"}}` + "\n" + `{"@timestamp":"2026-01-01T00:00:00Z"}` + "\n")
			}
			do(t, "POST", s.URL+"/_bulk", b.String(), false)
		}
		return s.Stats()
	}
	a, b := run(), run()
	if a != b || a.Rejected == 0 || a.RequestErrors == 0 {
		t.Errorf("runs differ or injected nothing: %+v vs %+v", a, b)
	}
}

func TestLimitsDownAndLatency(t *testing.T) {
	s := start(t)
	s.SetFaults(Faults{MaxContentLength: 10, Latency: 20 * time.Millisecond})
	start := time.Now()
	res, _ := do(t, "POST", s.URL+"/_bulk", `{"create":{"_index":"a"}}`+"\n{}\n", false)
	if res.StatusCode != http.StatusRequestEntityTooLarge || time.Since(start) < 20*time.Millisecond {
		t.Errorf("status %d after %v, want 413 after the latency", res.StatusCode, time.Since(start))
	}
	s.SetDown(true)
	if _, err := http.Get(s.URL + "/"); err == nil {
		t.Error("GET while down succeeded")
	}
	s.SetDown(false)
	if res, _ := do(t, "GET", s.URL+"/", "", false); res.StatusCode != 200 {
		t.Errorf("GET after SetDown(false) = %d", res.StatusCode)
	}
}

func TestTemplatesStoredAndRetrievable(t *testing.T) {
	s := start(t)
	steps := []struct{ method, path, body string }{
		{"PUT", "/_ilm/policy/p", `{"policy":{"phases":{"delete":{"min_age":"30d","actions":{"delete":{}}}}}}`},
		{"PUT", "/_index_template/missing", `{"index_patterns":["x-*"],"composed_of":["nope"]}`},
		{"PUT", "/_component_template/c", `{"template":{"mappings":{"properties":{"ip":{"type":"ip"}}}}}`},
		{"PUT", "/_index_template/t", `{"index_patterns":["x-*"],"composed_of":["c"],"data_stream":{},"priority":200}`},
	}
	wantStatus := []int{200, 400, 200, 200}
	for i, st := range steps {
		if res, out := do(t, st.method, s.URL+st.path, st.body, false); res.StatusCode != wantStatus[i] {
			t.Errorf("%s %s = %d %s", st.method, st.path, res.StatusCode, out)
		}
	}
	checks := map[string]string{
		"/_ilm/policy/p":         `"p":{"modified_date"`,
		"/_component_template/c": `"component_templates":[{"component_template":{"template"`,
		"/_index_template/t":     `"composed_of":["c"]`,
	}
	for path, want := range checks {
		if _, out := do(t, "GET", s.URL+path, "", false); !strings.Contains(out, want) {
			t.Errorf("GET %s = %s, want %s", path, out, want)
		}
	}
	if res, _ := do(t, "GET", s.URL+"/_index_template/none", "", false); res.StatusCode != 404 {
		t.Errorf("GET a missing template = %d", res.StatusCode)
	}
	// The template makes x-1 a data stream: index actions are refused.
	_, out := do(t, "POST", s.URL+"/_bulk", `{"index":{"_index":"x-1"}}`+"\n"+`{"@timestamp":1}`+"\n", false)
	if !strings.Contains(out, "only write ops with an op_type of create") {
		t.Errorf("index into a templated data stream: %s", out)
	}
	if tpl := s.Templates(); len(tpl.Index) != 1 || len(tpl.Component) != 1 || len(tpl.ILM) != 1 {
		t.Errorf("Templates() = %+v", tpl)
	}
}
