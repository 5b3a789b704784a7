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

func (h *deliveryHealth) succeeded(now time.Time) {
	h.mu.Lock()
	h.s.LastSuccess, h.s.FailingSince = now, time.Time{}
	h.mu.Unlock()
}

func (h *deliveryHealth) failed(now time.Time, err error) {
	h.mu.Lock()
	if h.s.FailingSince.IsZero() {
		h.s.FailingSince = now
	}
	h.s.LastError = err.Error()
	h.mu.Unlock()
}

// DeliveryStatus reports how delivery to the output is going. It is safe to
// call from any goroutine while the pipeline runs.
func (p *Pipeline) DeliveryStatus() DeliveryStatus {
	p.health.mu.Lock()
	s := p.health.s
	p.health.mu.Unlock()
	s.InFlight = p.Counts.inFlight.Load()
	return s
}
