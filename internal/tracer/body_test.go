package tracer

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestTraceCapsBodies(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name                 string
		sent, reply          int
		wantSentTruncated    bool
		wantReplyTruncated   bool
		wantSentLen, wantLen int
	}{
		{name: "small", sent: 10, reply: 20, wantSentLen: 10, wantLen: 20},
		{name: "exactly the cap", sent: limit, reply: limit, wantSentLen: limit, wantLen: limit},
		{name: "above the cap", sent: 200 << 10, reply: 100 << 10, wantSentTruncated: true, wantReplyTruncated: true,
			wantSentLen: limit, wantLen: limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := strings.Repeat("r", tt.reply-1) + "R"
			srv := newEchoServer(t, reply, false)
			tr := newTracer(t, func(c *Config) { c.MaxBodyBytes = limit })
			sent := strings.Repeat("s", tt.sent-1) + "S"
			resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Post(srv.URL+"/_bulk", "text/plain",
				strings.NewReader(sent))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != reply {
				t.Errorf("the client read %d bytes, want the whole %d", len(got), len(reply))
			}
			if string(srv.last()) != sent {
				t.Errorf("the server received %d bytes, want the whole %d", len(srv.last()), len(sent))
			}
			_, lines := readTrace(t, tr.Path())
			req, res := lines[0].HTTP.Request.Body, lines[0].HTTP.Response.Body
			if len(req.Content) != tt.wantSentLen || req.Truncated != tt.wantSentTruncated || req.Bytes != int64(tt.sent) {
				t.Errorf("request body: %d bytes, truncated %v, bytes %d", len(req.Content), req.Truncated, req.Bytes)
			}
			if len(res.Content) != tt.wantLen || res.Truncated != tt.wantReplyTruncated {
				t.Errorf("response body: %d bytes, truncated %v", len(res.Content), res.Truncated)
			}
		})
	}
}

func TestTraceGzipAboveCap(t *testing.T) {
	// 64 KiB of JSON compresses below a 1 KiB cap; decompressed it is
	// capped again.
	doc := `{"password":"` + secret + `","pad":"` + strings.Repeat("x", 64<<10) + `"}`
	tr := newTracer(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	srv := newEchoServer(t, "", false)
	req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(gzipped(t, []byte(doc))))
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if string(srv.last()) != doc {
		t.Error("the server did not receive the whole document")
	}
	raw, lines := readTrace(t, tr.Path())
	b := lines[0].HTTP.Request.Body
	// The cap applies to the body; "[redacted]" is longer than the secret.
	if !b.Truncated || len(b.Content) > 1024+len(redacted) || b.Encoding != "gzip" || bytes.Contains(raw, []byte(secret)) {
		t.Errorf("body = truncated %v, %d bytes, encoding %q; raw:\n%.300s", b.Truncated, len(b.Content), b.Encoding, raw)
	}
	contains(t, "body", b.Content, `{"password":"[redacted]","pad":"xxx`)
}

func TestNoBodies(t *testing.T) {
	tr := newTracer(t, func(c *Config) { c.MaxBodyBytes = 0 })
	srv := newEchoServer(t, "hello", false)
	resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Post(srv.URL, "text/plain", strings.NewReader("sent"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, lines := readTrace(t, tr.Path())
	if string(got) != "hello" || lines[0].HTTP.Request.Body != nil || lines[0].HTTP.Response.Body != nil {
		t.Errorf("read %q; line = %+v", got, lines[0])
	}
}

// flakyReader yields data, then fails.
type flakyReader struct {
	data   *strings.Reader
	closed bool
}

func (r *flakyReader) Read(p []byte) (int, error) {
	if r.data.Len() == 0 {
		return 0, errors.New("connection reset")
	}
	return r.data.Read(p)
}

func (r *flakyReader) Close() error { r.closed = true; return nil }

func TestPeekReplaysBytesAndError(t *testing.T) {
	for _, limit := range []int{3, 10, 100} {
		orig := &flakyReader{data: strings.NewReader("0123456789")}
		c, body := peek(orig, limit)
		got, err := io.ReadAll(body)
		if string(got) != "0123456789" || err == nil || err.Error() != "connection reset" {
			t.Errorf("limit %d: replay read %q, %v; want all the data, then the error", limit, got, err)
		}
		if wantErr := limit >= 10; (c.err != nil) != wantErr || c.more != (limit < 10) {
			t.Errorf("limit %d: capture = %+v", limit, c)
		}
		if err := body.Close(); err != nil || !orig.closed {
			t.Errorf("limit %d: Close did not close the original", limit)
		}
	}
}

func TestTraceConcurrent(t *testing.T) {
	srv := newEchoServer(t, `{"ok":true}`, false)
	tr := newTracer(t, nil)
	tr.AddSecret(secret)
	client := &http.Client{Transport: tr.Wrap(nil)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				resp, err := client.Post(srv.URL+"/?token="+secret, "application/json", strings.NewReader(`{"a":1}`))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	raw, lines := readTrace(t, tr.Path())
	if len(lines) != 80 || bytes.Contains(raw, []byte(secret)) {
		t.Errorf("%d lines (want 80), secret present: %v", len(lines), bytes.Contains(raw, []byte(secret)))
	}
}
