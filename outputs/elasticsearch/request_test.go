package elasticsearch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/datasets"
	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// statusServer answers GET / like Elasticsearch and every bulk request
// with a fixed status, headers and body.
func statusServer(t *testing.T, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte(`{"version":{"number":"8.19.7"}}`))
			return
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWriteRequestLevelErrors(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         map[string]string
		body           string
		wantPermanent  bool
		wantRetryAfter time.Duration
		wantMsg        string
	}{
		{name: "503 with Retry-After seconds", status: 503, header: map[string]string{"Retry-After": "7"},
			body:           `{"error":{"type":"cluster_block_exception","reason":"no master"},"status":503}`,
			wantRetryAfter: 7 * time.Second, wantMsg: "503 Service Unavailable: cluster_block_exception: no master"},
		{name: "429 request", status: 429, header: map[string]string{"Retry-After": "2"},
			wantRetryAfter: 2 * time.Second, wantMsg: "429"},
		{name: "500", status: 500, body: "boom", wantMsg: `500 Internal Server Error: "boom"`},
		{name: "502", status: 502, wantMsg: "502 Bad Gateway: empty body"},
		{name: "504", status: 504, wantMsg: "504"},
		{name: "401 keeps retrying with a clear message", status: 401,
			body:    `{"error":{"type":"security_exception","reason":"unable to authenticate user"},"status":401}`,
			wantMsg: "did not accept the credentials"},
		{name: "403 names the privileges", status: 403, wantMsg: "create_doc"},
		{name: "404 is a configuration problem, retried", status: 404, wantMsg: "is the host's path right"},
		{name: "other 4xx is permanent", status: 406, wantPermanent: true, wantMsg: "406 Not Acceptable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := statusServer(t, tt.status, tt.header, tt.body)
			o, _, _ := startOutput(t, testConfig(srv.URL))
			err := o.Write(context.Background(), testEvents(datasets.Event, "e", 3))
			if err == nil {
				t.Fatal("Write succeeded")
			}
			var pe *agent.PartialError
			if errors.As(err, &pe) {
				t.Fatalf("Write = %v, want an error for the whole call", err)
			}
			if agent.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", !tt.wantPermanent, tt.wantPermanent, err)
			}
			after, ok := agent.RetryAfter(err)
			if ok != (tt.wantRetryAfter > 0) || after != tt.wantRetryAfter {
				t.Errorf("RetryAfter = %v, %v; want %v", after, ok, tt.wantRetryAfter)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestWriteNetworkErrorIsRetryable(t *testing.T) {
	srv := esdoubletest.Start(t)
	o, _, _ := startOutput(t, testConfig(srv.URL))
	srv.Close()
	err := o.Write(context.Background(), testEvents(datasets.Event, "e", 2))
	if err == nil || agent.IsPermanent(err) {
		t.Fatalf("Write to a closed server = %v, want a retryable error", err)
	}
}

func TestAuthentication(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "api_key")
	if err := os.WriteFile(keyFile, []byte("ZmlsZWtleQ==\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("akship:s3cret-pw"))
	tests := []struct {
		name string
		set  func(*Config)
		want string
	}{
		// go-elasticsearch writes the scheme "APIKey"; Elasticsearch reads
		// it case-insensitively, as "ApiKey".
		{"api key", func(c *Config) { c.APIKey = "c2VjcmV0LWtleQ==" }, "APIKey c2VjcmV0LWtleQ=="},
		{"api key file", func(c *Config) { c.APIKeyFile = keyFile }, "APIKey ZmlsZWtleQ=="},
		{"basic", func(c *Config) { c.Username, c.Password = "akship", "s3cret-pw" }, basic},
		{"bearer", func(c *Config) { c.BearerToken = "tok-123" }, "Bearer tok-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := esdoubletest.Start(t)
			srv.SetAuth(tt.want)
			cfg := testConfig(srv.URL)
			tt.set(&cfg)
			o, _, _ := startOutput(t, cfg)
			if err := o.Write(context.Background(), testEvents(datasets.Event, "e", 2)); err != nil {
				t.Fatalf("Write with the right credentials: %v", err)
			}
		})
	}
}

func TestSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	secrets := []string{"sup3r-s3cret-key", "p4ssw0rd-never-shown", "b34rer-tok"}
	configs := []func(*Config){
		func(c *Config) { c.APIKey = "sup3r-s3cret-key" },
		func(c *Config) { c.Username, c.Password = "akship", "p4ssw0rd-never-shown" },
		func(c *Config) { c.BearerToken = "b34rer-tok" },
	}
	for _, set := range configs {
		srv := esdoubletest.Start(t)
		srv.SetAuth("ApiKey something-else")
		cfg := testConfig(srv.URL)
		set(&cfg)
		logs := &logBuffer{}
		o, err := New(cfg, newDebugLogger(logs), nil)
		if err != nil {
			t.Fatal(err)
		}
		startErr := o.Start(context.Background())
		writeErr := o.Write(context.Background(), testEvents(datasets.Event, "e", 1))
		if startErr == nil || writeErr == nil {
			t.Fatalf("Start = %v, Write = %v; want both to fail with 401", startErr, writeErr)
		}
		for _, s := range secrets {
			for what, text := range map[string]string{"start error": startErr.Error(),
				"write error": writeErr.Error(), "logs": logs.String()} {
				if strings.Contains(text, s) {
					t.Errorf("%s contains a secret: %s", what, text)
				}
			}
		}
	}
}

func TestProductCheck(t *testing.T) {
	noHeader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte(`{"version":{"number":"8.9.0"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"took":0,"errors":false,"items":[{"create":{"status":201}}]}`))
	}))
	t.Cleanup(noHeader.Close)

	o, err := New(testConfig(noHeader.URL), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "allow_non_elastic") {
		t.Errorf("Start against a server without X-Elastic-Product = %v, want a hint at allow_non_elastic", err)
	}

	cfg := testConfig(noHeader.URL)
	cfg.AllowNonElastic = true
	allowed, _, _ := startOutput(t, cfg)
	if err := allowed.Write(context.Background(), testEvents(datasets.Event, "e", 1)); err != nil {
		t.Errorf("Write with allow_non_elastic: %v", err)
	}
}

// poisonServer answers like VictoriaLogs: 400 for the whole request when
// any document in it contains "poison", else success for every document.
func poisonServer(t *testing.T, requests *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		if r.URL.Path == "/" {
			return
		}
		if r.Header.Get("Content-Encoding") != "gzip" { // ProbeBulk's empty request
			_, _ = w.Write([]byte(`{"took":0,"errors":false,"items":[]}`))
			return
		}
		requests.Add(1)
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		body, _ := io.ReadAll(zr)
		if bytes.Contains(body, []byte("poison")) {
			http.Error(w, "cannot parse timestamp: poison", http.StatusBadRequest)
			return
		}
		n := bytes.Count(body, []byte("\n")) / 2
		items := strings.TrimSuffix(strings.Repeat(`{"create":{"status":201}},`, n), ",")
		_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[` + items + `]}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWriteIsolatesARejectedDocument(t *testing.T) {
	var requests atomic.Int32
	srv := poisonServer(t, &requests)
	o, m, _ := startOutput(t, testConfig(srv.URL))
	events := testEvents(datasets.Event, "e", 16)
	setField(events[11], "message", "poison")
	permanent, calls, _ := retryWrites(t, o, events, 20)
	if len(permanent) != 1 || permanent[events[11]] == nil {
		t.Fatalf("permanent failures = %v, want event 11 only", permanent)
	}
	if msg := permanent[events[11]].Error(); !strings.Contains(msg, "400 Bad Request") || !strings.Contains(msg, "poison") {
		t.Errorf("failure message = %v", msg)
	}
	if got := counterValue(t, m.OutputIndexed, "elasticsearch", "event"); got != 15 {
		t.Errorf("indexed = %v, want 15", got)
	}
	// The batch is halved once per backoff step (one Write each):
	// 16 | 8+8 | 4+4 | 2+2 | 1+1, the last lone document rejected.
	if calls != 5 {
		t.Errorf("%d Write calls, want 5 (one halving per backoff step)", calls)
	}
	if n := requests.Load(); n != 9 {
		t.Errorf("%d requests, want 9", n)
	}
}

func TestWriteRejectsUnencodableDocument(t *testing.T) {
	srv := esdoubletest.Start(t)
	o, _, _ := startOutput(t, testConfig(srv.URL))
	events := testEvents(datasets.Event, "e", 3)
	events[1].Document = []byte(`[1]`) // a document that cannot be framed
	err := o.Write(context.Background(), events)
	var pe *agent.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || !agent.IsPermanent(pe.Failed[1]) {
		t.Fatalf("Write = %v, want a permanent failure for event 1 only", err)
	}
	if n := srv.Count("*"); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
}

func TestWriteFailsOverToTheNextHost(t *testing.T) {
	dead := esdoubletest.Start(t)
	deadURL := dead.URL
	dead.Close()
	alive := esdoubletest.Start(t)
	cfg := testConfig(deadURL)
	cfg.Hosts = append(cfg.Hosts, alive.URL)
	o, _, _ := startOutput(t, cfg)
	for i := 0; i < 4; i++ { // round robin reaches the dead host at least once
		if err := o.Write(context.Background(), testEvents(datasets.Event, strconv.Itoa(i), 2)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if n := alive.Count("*"); n != 8 {
		t.Errorf("stored %d, want 8", n)
	}
}

// TestWriteRequestLevel400IsRetryable: when every request is answered 400,
// down to single documents, the request itself is wrong (here an
// unrecognized parameter), not the documents: nothing is dead-lettered,
// Write fails retryably with the server's reason, and each call (one per
// backoff step) sends one request at most.
func TestWriteRequestLevel400IsRetryable(t *testing.T) {
	srv := esdoubletest.Start(t)
	const reason = "request [/_bulk] contains unrecognized parameter: [refresh_interval]"
	cfg := testConfig(srv.URL)
	cfg.BulkMaxDocs = 4 // several chunks
	o, _, _ := startOutput(t, cfg)
	srv.SetFaults(esdouble.Faults{BadRequest: reason})
	events := testEvents(datasets.Event, "e", 8)
	var last error
	for call := range 12 {
		before := srv.Stats().BadRequests
		permanent, _, err := retryWrites(t, o, events, 1)
		if len(permanent) > 0 {
			t.Fatalf("call %d dead-lettered %d documents: %v", call, len(permanent), permanent)
		}
		if n := srv.Stats().BadRequests - before; n > 1 {
			t.Fatalf("call %d sent %d requests to a server refusing every request, want at most 1", call, n)
		}
		last = err
	}
	if last == nil || agent.IsPermanent(last) {
		t.Fatalf("Write = %v, want a retryable error", last)
	}
	if !strings.Contains(last.Error(), "400 Bad Request") || !strings.Contains(last.Error(), reason) {
		t.Errorf("error %q lacks the status or the server's reason", last)
	}
	if n := srv.Count("*"); n != 0 {
		t.Errorf("stored %d, want 0", n)
	}
}

// TestWriteLone400AfterSuccessIsPermanent: a batch of one document
// answered 400 by an output that has had bulk requests accepted is the
// document's fault, so it is dead-lettered rather than blocking the
// pipeline forever.
func TestWriteLone400AfterSuccessIsPermanent(t *testing.T) {
	var requests atomic.Int32
	srv := poisonServer(t, &requests)
	o, _, _ := startOutput(t, testConfig(srv.URL))
	if err := o.Write(context.Background(), testEvents(datasets.Event, "ok", 2)); err != nil {
		t.Fatal(err)
	}
	poison := testEvents(datasets.Event, "p", 1)
	setField(poison[0], "message", "poison")
	err := o.Write(context.Background(), poison)
	var pe *agent.PartialError
	if !errors.As(err, &pe) || !agent.IsPermanent(pe.Failed[0]) {
		t.Fatalf("Write = %v, want a permanent failure of the document", err)
	}
}
