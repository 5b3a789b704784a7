package authentik

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"akship/agent"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// mistakeClient returns a client of url whose requests the transport
// answers, counting them.
func mistakeClient(t *testing.T, rawURL string, rt http.RoundTripper, logs *bytes.Buffer) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	cfg := DefaultClientConfig()
	cfg.URL, cfg.Token = rawURL, "secret-token"
	cfg.BackoffInitial, cfg.BackoffMax, cfg.MaxRetries = time.Millisecond, 5*time.Millisecond, 3
	opts := ClientOptions{Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if rt != nil {
		opts.WrapTransport = func(http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) { n.Add(1); return rt.RoundTrip(r) })
		}
	}
	c, err := NewClient(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

// A configuration mistake is reported at once, without retries, with one
// message that names authentik.url and the fix.
func TestConfigurationMistakesAreNotRetried(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"detail":"Not found."}`, http.StatusNotFound)
	}))
	defer plain.Close()
	host := strings.TrimPrefix(plain.URL, "http://")
	unknown := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host",
			Name: "authentik.invalid", IsNotFound: true}}
	})
	tests := []struct {
		name     string
		url      string
		rt       http.RoundTripper
		wantText []string
	}{
		{"https against plain HTTP", "https://" + host, nil, []string{"authentik.url: ", "plain HTTP", "http://"}},
		{"unknown host", "http://authentik.invalid", unknown, []string{"authentik.url: ", "authentik.invalid is unknown"}},
		{"404 on the API path", plain.URL + "/prefix", nil, []string{"authentik.url: ", "404", "without /api/v3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c, _ := mistakeClient(t, tt.url, tt.rt, &logs)
			var requests atomic.Int32
			inner := c.http.HTTPClient.Transport
			c.http.HTTPClient.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				requests.Add(1)
				return inner.RoundTrip(r)
			})
			start := time.Now()
			_, err := c.List(context.Background(), "events", "events/events/", url.Values{})
			if !agent.IsMisconfigured(err) {
				t.Fatalf("List error = %v, want a configuration mistake", err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1: a configuration mistake must not be retried", n)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if strings.Contains(logs.String(), "retrying") {
				t.Errorf("a retry was logged:\n%s", logs.String())
			}
		})
	}
}

// Once authentik answered, a name that stops resolving is a DNS outage,
// retried like any network failure.
func TestUnknownHostAfterAnAnswerIsTransient(t *testing.T) {
	var fail atomic.Bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if fail.Load() {
			return nil, &net.DNSError{Err: "no such host", Name: "authentik.example", IsNotFound: true}
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: http.NoBody, ContentLength: 0}, nil
	})
	var logs bytes.Buffer
	c, n := mistakeClient(t, "http://authentik.example", rt, &logs)
	_, _ = c.List(context.Background(), "events", "events/events/", url.Values{}) // answered (an empty body)
	fail.Store(true)
	n.Store(0)
	_, err := c.List(context.Background(), "events", "events/events/", url.Values{})
	if err == nil || agent.IsMisconfigured(err) || agent.IsPermanent(err) {
		t.Fatalf("List error = %v, want a retryable error", err)
	}
	if got := n.Load(); got != 4 {
		t.Errorf("%d requests, want 4 (1 + max_retries 3)", got)
	}
}

// A failing authentik is logged when it starts failing and when it answers
// again, not once per attempt.
func TestTransientFailuresAreLoggedOncePerStateChange(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) <= 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"pagination":{"next":0,"count":0},"results":[]}`))
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c, _ := mistakeClient(t, srv.URL, nil, &logs)
	if _, err := c.List(context.Background(), "events", "events/events/", url.Values{}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, "authentik request failed"); n != 1 {
		t.Errorf("%d warnings for 3 failed attempts, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "authentik answers again") {
		t.Errorf("the recovery was not logged:\n%s", out)
	}
}
