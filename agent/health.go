package agent

import (
	"sync"
	"time"
)

// deliveryHealth records how writes to the output are going, for readiness.
type deliveryHealth struct {
	mu sync.Mutex
	s  DeliveryStatus
}

// succeeded records a successful write; it reports whether writes were
// failing until now.
func (h *deliveryHealth) succeeded(now time.Time) (recovered bool) {
	h.mu.Lock()
	recovered = !h.s.FailingSince.IsZero()
	h.s.LastSuccess, h.s.FailingSince = now, time.Time{}
	h.mu.Unlock()
	return recovered
}

// failed records a failed write and returns how long writes have been
// failing without a success (zero for the first failure).
func (h *deliveryHealth) failed(now time.Time, err error) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.s.FailingSince.IsZero() {
		h.s.FailingSince = now
	}
	h.s.LastError = err.Error()
	return now.Sub(h.s.FailingSince)
}

// DeliveryStatus reports how delivery to the output is going. It is safe to
// call from any goroutine while the pipeline runs.
func (p *Pipeline) DeliveryStatus() DeliveryStatus {
	p.health.mu.Lock()
	s := p.health.s
	p.health.mu.Unlock()
	s.InFlight = p.Counts.InFlight()
	return s
}
