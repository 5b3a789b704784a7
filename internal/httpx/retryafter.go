package httpx

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"akship/internal/backoff"
)

// RetryAfter reads a Retry-After header value (RFC 9110 §10.2.3): delay
// seconds, or an HTTP date, which counts from now (a date in the past is
// 0). ok is false when v is empty or neither form. An absurd number of
// seconds is clamped rather than overflowing; the backoff policy caps the
// wait it actually allows.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil { // out of range
			s = math.MaxInt64
		}
		return time.Duration(min(s, math.MaxInt64/int64(time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// RetryWait returns a Backoff hook for github.com/hashicorp/go-retryablehttp
// (its signature: the client's minimum and maximum wait, the attempt and
// the answer, if any): p's backoff between them, at least as long as the
// Retry-After of a 429 or 503 answer asks, up to maxRetryAfter.
func RetryWait(maxRetryAfter time.Duration) func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		p := backoff.Policy{Initial: lo, Max: hi, MaxRetryAfter: maxRetryAfter}
		var after time.Duration
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			after, _ = RetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return p.Delay(attempt, after)
	}
}
