package tracer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// secret is the credential no trace may contain.
const secret = "s3cr3t-0f-the-tracer-tests"

// echoServer answers every request with reply (gzipped when gzipReply is
// set) and records the bodies it received, decompressed.
type echoServer struct {
	*httptest.Server
	reply     string
	gzipReply bool
	mu        sync.Mutex
	received  [][]byte
}

func newEchoServer(t *testing.T, reply string, gzipReply bool) *echoServer {
	s := &echoServer{reply: reply, gzipReply: gzipReply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s.mu.Lock()
		s.received = append(s.received, data)
		s.mu.Unlock()
		w.Header().Set("Set-Cookie", "session="+secret)
		w.Header().Set("Content-Type", "application/json")
		reply := []byte(s.reply)
		if s.gzipReply {
			w.Header().Set("Content-Encoding", "gzip")
			reply = gzipped(t, reply)
		}
		_, _ = w.Write(reply)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *echoServer) last() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[len(s.received)-1]
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newTracer returns an enabled tracer writing to a temporary directory.
func newTracer(t *testing.T, mutate func(*Config)) *Tracer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Path = true, filepath.Join(t.TempDir(), "trace", "http-trace.ndjson")
	if mutate != nil {
		mutate(&cfg)
	}
	tr, err := New(cfg, "inputs.authentik")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// readTrace returns the trace file's raw bytes and its lines, decoded.
func readTrace(t *testing.T, path string) ([]byte, []line) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("trace line is not JSON: %v\n%s", err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return raw, lines
}

// contains fails the test when s lacks any of want.
func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestTraceRedacts(t *testing.T) {
	bulk := `{"create":{"_index":"logs-authentik.event-default"}}` + "\n" +
		`{"user":{"name":"akadmin"},"authentik":{"context":{"api_key":"` + secret + `"}}}` + "\n"
	tests := []struct {
		name      string
		register  bool // AddSecret(secret) before the request
		url       string
		body      []byte
		header    map[string]string
		wantSent  string // what the server must receive (default: body)
		reply     string // the server's response body
		gzipReply bool   // the server gzips its response
		check     func(t *testing.T, l line)
	}{
		{name: "credential headers", url: "/api/v3/core/users/",
			header: map[string]string{"Authorization": "Bearer " + secret, "X-Api-Key": secret,
				"Cookie": "sessionid=" + secret, "Accept": "application/json"},
			check: func(t *testing.T, l line) {
				h := l.HTTP.Request.Header
				for _, k := range []string{"Authorization", "X-Api-Key", "Cookie"} {
					if got := strings.Join(h[k], ","); got != redacted {
						t.Errorf("header %s = %q, want %q", k, got, redacted)
					}
				}
				if got := l.HTTP.Response.Header["Set-Cookie"]; len(got) != 1 || got[0] != redacted {
					t.Errorf("Set-Cookie = %q", got)
				}
				contains(t, "Accept", strings.Join(h["Accept"], ","), "application/json")
			}},
		{name: "query parameters", url: "/api/v3/events/events/?page=2&token=" + secret + "&API_KEY=" + secret + "&ordering=-created",
			check: func(t *testing.T, l line) {
				contains(t, "url", l.URL.Original,
					"/api/v3/events/events/?page=2&token=[redacted]&API_KEY=[redacted]&ordering=-created")
			}},
		{name: "userinfo", url: "userinfo",
			check: func(t *testing.T, l line) {
				contains(t, "url", l.URL.Original, "http://[redacted]@127.0.0.1:")
			}},
		{name: "JSON body", url: "/login", header: map[string]string{"Content-Type": "application/json"},
			body: []byte(`{"username":"akadmin","password":"` + secret + `","n":1.50,"nested":{"client_secret":"` + secret +
				`","list":[{"Token":{"key":"` + secret + `"}}],"empty_password":""}}`),
			check: func(t *testing.T, l line) {
				want := `{"username":"akadmin","password":"[redacted]","n":1.50,"nested":{"client_secret":"[redacted]",` +
					`"list":[{"Token":"[redacted]"}],"empty_password":""}}`
				if got := l.HTTP.Request.Body.Content; got != want {
					t.Errorf("body = %s\nwant   %s", got, want)
				}
			}},
		{name: "gzip NDJSON body", url: "/_bulk", body: gzipped(t, []byte(bulk)), wantSent: bulk,
			header: map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"},
			check: func(t *testing.T, l line) {
				b := l.HTTP.Request.Body
				if b.Encoding != "gzip" || b.Truncated || b.Error != "" {
					t.Errorf("body = %+v, want a whole gzip body", b)
				}
				contains(t, "body", b.Content, `{"create":{"_index":"logs-authentik.event-default"}}`+"\n",
					`{"user":{"name":"akadmin"},"authentik":{"context":{"api_key":"[redacted]"}}}`)
			}},
		{name: "form body", url: "/token", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body: []byte("grant_type=client_credentials&client_secret=" + secret + "&scope=read"),
			check: func(t *testing.T, l line) {
				contains(t, "body", l.HTTP.Request.Body.Content,
					"grant_type=client_credentials&client_secret=[redacted]&scope=read")
			}},
		{name: "response echoing a registered secret", register: true, url: "/echo",
			reply:  `{"detail":"token ` + secret + ` is invalid"}`,
			header: map[string]string{"X-Echo": "prefix-" + secret},
			check: func(t *testing.T, l line) {
				contains(t, "response", l.HTTP.Response.Body.Content, `{"detail":"token [redacted] is invalid"}`)
				contains(t, "X-Echo", strings.Join(l.HTTP.Request.Header["X-Echo"], ","), "prefix-[redacted]")
			}},
		{name: "gzip response", url: "/gz", header: map[string]string{"Accept-Encoding": "gzip"},
			reply: `{"results":[{"name":"x","password":"` + secret + `"}]}`, gzipReply: true,
			check: func(t *testing.T, l line) {
				b := l.HTTP.Response.Body
				if b.Encoding != "gzip" || b.Content != `{"results":[{"name":"x","password":"[redacted]"}]}` {
					t.Errorf("response body = %+v", b)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newEchoServer(t, tt.reply, tt.gzipReply)
			tr := newTracer(t, nil)
			if tt.register {
				tr.AddSecret(secret)
			}
			url := srv.URL + tt.url
			if tt.url == "userinfo" {
				url = strings.Replace(srv.URL, "http://", "http://elastic:"+secret+"@", 1) + "/"
			}
			method := "GET"
			if tt.body != nil {
				method = "POST"
			}
			req, _ := http.NewRequest(method, url, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantSent := tt.wantSent
			if wantSent == "" {
				wantSent = string(tt.body)
			}
			if got := string(srv.last()); got != wantSent {
				t.Errorf("server received %q, want %q", got, wantSent)
			}
			if tt.gzipReply {
				reply = gunzipped(t, reply)
			}
			if string(reply) != tt.reply {
				t.Errorf("client read %q, want %q", reply, tt.reply)
			}
			raw, lines := readTrace(t, tr.Path())
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("the trace contains the secret:\n%s", raw)
			}
			if len(lines) != 1 {
				t.Fatalf("%d trace lines, want 1", len(lines))
			}
			l := lines[0]
			if l.HTTP.Request.Method != method || l.HTTP.Response == nil || l.HTTP.Response.StatusCode != 200 ||
				l.Component != "inputs.authentik" || l.Timestamp.IsZero() || l.Event.Duration <= 0 {
				t.Errorf("line = %+v", l)
			}
			tt.check(t, l)
		})
	}
}

// failingTransport fails every request with an error naming a secret.
type failingTransport struct{}

func (failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Body.Close()
	return nil, errors.New("proxy refused http://elastic:" + secret + "@es:9200/?api_key=" + secret)
}

func TestTraceTransportError(t *testing.T) {
	tr := newTracer(t, nil)
	req, _ := http.NewRequest("POST", "http://es:9200/_bulk", strings.NewReader("{}"))
	if _, err := tr.Wrap(failingTransport{}).RoundTrip(req); err == nil {
		t.Fatal("RoundTrip succeeded")
	}
	raw, lines := readTrace(t, tr.Path())
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatalf("the trace contains the secret:\n%s", raw)
	}
	if len(lines) != 1 || lines[0].Error == nil || lines[0].HTTP.Response != nil {
		t.Fatalf("lines = %+v", lines)
	}
	contains(t, "error", lines[0].Error.Message, "http://[redacted]@es:9200/?api_key=[redacted]")
}
