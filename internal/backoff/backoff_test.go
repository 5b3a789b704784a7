package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second, MaxRetryAfter: time.Minute}
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		min, max   time.Duration
	}{
		{name: "first", attempt: 0, min: 50 * time.Millisecond, max: 100 * time.Millisecond},
		{name: "third doubles twice", attempt: 2, min: 200 * time.Millisecond, max: 400 * time.Millisecond},
		{name: "capped at max", attempt: 50, min: 500 * time.Millisecond, max: time.Second},
		{name: "huge attempt does not overflow", attempt: 1 << 30, min: 500 * time.Millisecond, max: time.Second},
		{name: "retry-after longer wins", retryAfter: 7 * time.Second, min: 7 * time.Second, max: 7 * time.Second},
		{name: "retry-after capped", retryAfter: time.Hour, min: time.Minute, max: time.Minute},
		{name: "retry-after shorter loses", attempt: 3, retryAfter: time.Millisecond,
			min: 400 * time.Millisecond, max: 800 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := p.Delay(tt.attempt, tt.retryAfter); d < tt.min || d > tt.max {
					t.Fatalf("Delay(%d, %v) = %v, want within [%v, %v]", tt.attempt, tt.retryAfter, d, tt.min, tt.max)
				}
			}
		})
	}
}

// TestJitter: the waits of one attempt spread over their range, so that
// many clients failing together do not retry together.
func TestJitter(t *testing.T) {
	p := Policy{Initial: time.Second, Max: time.Minute}
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[p.Delay(2, 0)] = true
	}
	if len(seen) < 50 {
		t.Errorf("100 delays took %d distinct values; want them spread by jitter", len(seen))
	}
}

func TestDefaults(t *testing.T) {
	if d := (Policy{}).Delay(0, 0); d < 125*time.Millisecond || d > 250*time.Millisecond {
		t.Errorf("default first delay = %v, want within [125ms, 250ms]", d)
	}
	if d := (Policy{}).Delay(100, 0); d < 15*time.Second || d > 30*time.Second {
		t.Errorf("default capped delay = %v, want within [15s, 30s]", d)
	}
	if d := (Policy{}).Delay(0, time.Hour); d != 5*time.Minute {
		t.Errorf("default Retry-After cap = %v, want 5m", d)
	}
}
