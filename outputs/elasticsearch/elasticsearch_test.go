package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"akship/agent"
	"akship/internal/datasets"
	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

func TestWriteBulkBody(t *testing.T) {
	srv := esdoubletest.Start(t)
	srv.Record(10)
	cfg := testConfig(srv.URL)
	cfg.Namespace = "prod"
	o, _, _ := startOutput(t, cfg)

	events := []*agent.Event{testEvent(datasets.Event, "e-1"), testEvent(datasets.User, "u-1"),
		testEvent(datasets.Group, "")}
	minimal := &agent.Event{Dataset: datasets.Event, ID: "e-2", Raw: []byte(`{"pk":"e-2"}`)}
	events = append(events, minimal)
	sent := string(events[0].Document)
	if err := o.Write(context.Background(), events); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var reqs []esdouble.Request
	for _, r := range srv.Requests() {
		if string(r.Body) != "\n" { // not ProbeBulk's
			reqs = append(reqs, r)
		}
	}
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Method != "POST" || req.Path != "/_bulk" {
		t.Errorf("request = %s %s, want POST /_bulk", req.Method, req.Path)
	}
	if got := req.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
	}
	if got := req.Header.Get("Content-Type"); got != "application/x-ndjson" {
		t.Errorf("Content-Type = %q, want application/x-ndjson", got)
	}
	lines := strings.Split(strings.TrimSuffix(string(req.Body), "\n"), "\n")
	wantActions := []string{
		`{"create":{"_index":"logs-authentik.event-prod","_id":"e-1"}}`,
		`{"create":{"_index":"logs-authentik.user-prod","_id":"u-1"}}`,
		`{"create":{"_index":"logs-authentik.group-prod"}}`,
		`{"create":{"_index":"logs-authentik.event-prod","_id":"e-2"}}`,
	}
	if len(lines) != 2*len(wantActions) {
		t.Fatalf("body has %d lines, want %d:\n%s", len(lines), 2*len(wantActions), req.Body)
	}
	for i, want := range wantActions {
		if lines[2*i] != want {
			t.Errorf("action line %d = %s, want %s", i, lines[2*i], want)
		}
		checkSource(t, lines[2*i+1], events[i].Dataset, "prod")
	}
	// The events handed to Write are not modified.
	if string(events[0].Document) != sent {
		t.Error("Write changed the event's document")
	}
	if n := srv.Count("logs-authentik.group-prod"); n != 1 {
		t.Errorf("group documents = %d, want 1 (with a generated _id)", n)
	}
}

// checkSource asserts the data_stream and event.dataset fields of a source.
func checkSource(t *testing.T, line string, ds agent.Dataset, ns string) {
	t.Helper()
	var doc struct {
		Timestamp  string            `json:"@timestamp"`
		DataStream map[string]string `json:"data_stream"`
		Event      map[string]any    `json:"event"`
	}
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("source is not JSON: %v\n%s", err, line)
	}
	want := map[string]string{"type": "logs", "dataset": "authentik." + string(ds), "namespace": ns}
	for k, v := range want {
		if doc.DataStream[k] != v {
			t.Errorf("data_stream.%s = %q, want %q", k, doc.DataStream[k], v)
		}
	}
	if doc.Event["dataset"] != "authentik."+string(ds) {
		t.Errorf("event.dataset = %v, want authentik.%s", doc.Event["dataset"], ds)
	}
	if doc.Timestamp == "" || doc.Event["original"] == nil {
		t.Errorf("@timestamp or event.original missing: %s", line)
	}
}

func TestWriteDuplicatesAreDelivered(t *testing.T) {
	srv := esdoubletest.Start(t)
	o, m, _ := startOutput(t, testConfig(srv.URL))
	events := testEvents(datasets.User, "u", 5)
	for round := 0; round < 2; round++ {
		if err := o.Write(context.Background(), events); err != nil {
			t.Fatalf("round %d: Write: %v", round, err)
		}
	}
	if n := srv.Count("logs-authentik.user-default"); n != 5 {
		t.Errorf("stored %d documents, want 5", n)
	}
	if got := counterValue(t, m.OutputIndexed, "elasticsearch", "user"); got != 5 {
		t.Errorf("indexed metric = %v, want 5", got)
	}
	if got := counterValue(t, m.OutputDuplicates, "elasticsearch", "user"); got != 5 {
		t.Errorf("duplicates metric = %v, want 5", got)
	}
}

func TestWriteItemFailures(t *testing.T) {
	tests := []struct {
		name          string
		faults        esdouble.Faults
		wantPermanent int // events reported permanent
		wantStored    int
	}{
		{
			name:       "429 items are retried alone until all are stored",
			faults:     esdouble.Faults{Seed: 1, ItemRejectRate: 0.3},
			wantStored: 400,
		},
		{
			name:       "5% item 429s and 3% request 500/503s: nothing lost, nothing duplicated",
			faults:     esdouble.Faults{Seed: 1, ItemRejectRate: 0.05, RequestErrorRate: 0.03},
			wantStored: 400,
		},
		{
			name: "mapping errors are permanent for the offending documents only",
			faults: esdouble.Faults{Mapping: &esdouble.MappingRule{
				Field: "user.id", JSONType: "string", MappedAs: "long"}},
			wantPermanent: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdoubletest.Start(t)
			srv.SetFaults(tt.faults)
			events := testEvents(datasets.Event, "e", 400)
			cfg := testConfig(srv.URL)
			cfg.BulkMaxDocs = 8 // several requests, so request faults hit some
			o, _, _ := startOutput(t, cfg)
			permanent := retryUntilDone(t, o, events)
			if permanent != tt.wantPermanent {
				t.Errorf("permanent failures = %d, want %d", permanent, tt.wantPermanent)
			}
			if n := srv.Count("*"); n != tt.wantStored {
				t.Errorf("stored %d, want %d", n, tt.wantStored)
			}
			st := srv.Stats()
			if st.Duplicates != 0 {
				t.Errorf("%d duplicates: a stored document was sent again", st.Duplicates)
			}
			if (tt.faults.RequestErrorRate > 0 && st.RequestErrors == 0) || (tt.faults.ItemRejectRate > 0 && st.Rejected == 0) {
				t.Errorf("the faults were not injected: %+v", st)
			}
		})
	}
}

// retryUntilDone plays the pipeline: it resends retryable failures and
// counts permanent ones, checking their messages.
func retryUntilDone(t *testing.T, o *Output, events []*agent.Event) int {
	t.Helper()
	permanent := 0
	for attempt := 0; len(events) > 0; attempt++ {
		if attempt > 50 {
			t.Fatalf("still %d events failing after 50 attempts", len(events))
		}
		err := o.Write(context.Background(), events)
		if err == nil {
			return permanent
		}
		var pe *agent.PartialError
		if !errors.As(err, &pe) {
			if agent.IsPermanent(err) {
				t.Fatalf("Write: %v (want nil, *PartialError or a retryable error)", err)
			}
			continue // the whole call is retried
		}
		var again []*agent.Event
		for i, ferr := range pe.Failed {
			if agent.IsPermanent(ferr) {
				permanent++
				if !strings.Contains(ferr.Error(), "400") || !strings.Contains(ferr.Error(), "mapper_parsing_exception") {
					t.Errorf("permanent error lacks status and type: %v", ferr)
				}
				continue
			}
			again = append(again, events[i])
		}
		events = again
	}
	return permanent
}

func TestWriteSplitsOn413(t *testing.T) {
	srv := esdoubletest.Start(t)
	srv.SetFaults(esdouble.Faults{MaxContentLength: 2500})
	o, _, _ := startOutput(t, testConfig(srv.URL))
	events := testEvents(datasets.Event, "e", 10)
	huge := testEvent(datasets.Event, "huge")
	setField(huge, "message", strings.Repeat("x", 4000))
	events = append(events[:5], append([]*agent.Event{huge}, events[5:]...)...)

	permanent, _, _ := retryWrites(t, o, events, 10)
	if len(permanent) != 1 || permanent[huge] == nil {
		t.Fatalf("permanent failures = %v, want the huge document only", permanent)
	}
	if ferr := permanent[huge]; !strings.Contains(ferr.Error(), "413") {
		t.Errorf("failure of the huge document = %v, want permanent 413", ferr)
	}
	if n := srv.Count("logs-authentik.event-default"); n != 10 {
		t.Errorf("stored %d, want 10", n)
	}
	if srv.Stats().TooLarge == 0 {
		t.Error("the double never answered 413")
	}
}

func TestWriteChunksByDocsAndBytes(t *testing.T) {
	tests := []struct {
		name         string
		maxDocs      int
		maxBytes     int
		wantRequests int
	}{
		{"by documents", 3, 5 << 20, 4},
		{"by bytes", 1000, 64 << 10, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdoubletest.Start(t)
			cfg := testConfig(srv.URL)
			cfg.BulkMaxDocs, cfg.BulkMaxBytes = tt.maxDocs, tt.maxBytes
			o, _, _ := startOutput(t, cfg)
			events := testEvents(datasets.Event, "e", 10)
			if tt.name == "by bytes" {
				for _, e := range events {
					setField(e, "message", strings.Repeat("y", 10<<10))
				}
			}
			if err := o.Write(context.Background(), events); err != nil {
				t.Fatal(err)
			}
			if got := srv.Stats().BulkRequests; got != tt.wantRequests {
				t.Errorf("bulk requests = %d, want %d", got, tt.wantRequests)
			}
			if n := srv.Count("*"); n != 10 {
				t.Errorf("stored %d, want 10", n)
			}
		})
	}
}

func TestWriteWhileDown(t *testing.T) {
	srv := esdoubletest.Start(t)
	o, _, _ := startOutput(t, testConfig(srv.URL))
	events := testEvents(datasets.Event, "e", 3)
	srv.SetDown(true)
	err := o.Write(context.Background(), events)
	var pe *agent.PartialError
	if err == nil || agent.IsPermanent(err) || errors.As(err, &pe) {
		t.Fatalf("Write while down = %v, want a retryable error for the whole call", err)
	}
	srv.SetDown(false)
	if err := o.Write(context.Background(), events); err != nil {
		t.Fatalf("Write after recovery: %v", err)
	}
	if n := srv.Count("*"); n != 3 {
		t.Errorf("stored %d, want 3", n)
	}
}

func TestEncodedDocumentIsCompactJSON(t *testing.T) {
	e := testEvent(datasets.Event, "e-1")
	r := newRoute(datasets.Event, "default")
	b, err := (&encoder{}).appendEvent(appendAction(nil, e, r), e, r)
	if err != nil {
		t.Fatal(err)
	}
	_, src, _ := bytes.Cut(b, []byte("\n"))
	var compact bytes.Buffer
	if err := json.Compact(&compact, src); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !bytes.Equal(compact.Bytes(), src) {
		t.Errorf("document is not compact:\n%s", src)
	}
}
