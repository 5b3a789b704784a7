package httpx

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryAfter holds the cases of the authentik client's and the
// Elasticsearch output's former parsers, which this one replaces.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"Thu, 01 Jan 2026 00:00:10 GMT", 10 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
		{"-4", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999999", time.Duration(1<<63-1) / time.Second * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRetryWait: the retryablehttp hook backs off between its bounds and
// honours the Retry-After of a 429 or 503 only, capped.
func TestRetryWait(t *testing.T) {
	wait := RetryWait(time.Minute)
	answer := func(code int, after string) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {after}}}
	}
	lo, hi := 100*time.Millisecond, time.Second
	tests := []struct {
		name     string
		attempt  int
		resp     *http.Response
		min, max time.Duration
	}{
		{"network error", 0, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"doubles", 2, answer(500, ""), 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 40, answer(502, ""), 500 * time.Millisecond, time.Second},
		{"429 Retry-After", 0, answer(429, "7"), 7 * time.Second, 7 * time.Second},
		{"503 Retry-After", 0, answer(503, "2"), 2 * time.Second, 2 * time.Second},
		{"Retry-After capped", 0, answer(429, "3600"), time.Minute, time.Minute},
		{"Retry-After of a 500 ignored", 0, answer(500, "7"), 50 * time.Millisecond, 100 * time.Millisecond},
		{"shorter Retry-After loses", 3, answer(429, "0"), 400 * time.Millisecond, 800 * time.Millisecond},
	}
	for _, tt := range tests {
		for range 50 {
			if d := wait(lo, hi, tt.attempt, tt.resp); d < tt.min || d > tt.max {
				t.Fatalf("%s: wait = %v, want within [%v, %v]", tt.name, d, tt.min, tt.max)
			}
		}
	}
}
