// Package backoff is akship's one wait between retries: exponential,
// capped, with equal jitter, and never shorter than a server's Retry-After
// (itself capped). The pipeline's delivery retries, the authentik client's
// request and decode retries and the authentik inputs' poll retries all
// wait with it, so every retry in akship has the same shape.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Defaults of a Policy's zero fields: the pipeline's (pipeline.retry_initial,
// pipeline.retry_max).
const (
	DefaultInitial       = 250 * time.Millisecond
	DefaultMax           = 30 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Policy is a capped exponential backoff: Initial, doubling with every
// attempt up to Max, with equal jitter (half fixed, half random) so that
// many clients do not retry in step. A server's Retry-After is honoured
// when it asks for longer, up to MaxRetryAfter. Zero fields take the
// defaults above.
type Policy struct {
	Initial       time.Duration
	Max           time.Duration
	MaxRetryAfter time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = DefaultInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return p
}

// Delay returns the wait before retry number attempt (0-based): the
// jittered backoff, or retryAfter (capped at MaxRetryAfter) when that is
// longer. retryAfter 0 means the server asked for nothing.
func (p Policy) Delay(attempt int, retryAfter time.Duration) time.Duration {
	p = p.withDefaults()
	d := p.Initial
	for i := 0; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, p.MaxRetryAfter)
	}
	return d
}
