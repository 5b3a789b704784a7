package authentik

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
	"akship/agent/telemetry"
)

// Status is the input's self-description (see agent.InputStatus).
type Status = agent.InputStatus

// statusBox guards a Status shared with the HTTP endpoint, and keeps the
// metrics derived from it (last success, walk progress) in step with it.
type statusBox struct {
	mu sync.Mutex
	s  Status
	// lastSuccess and progress are the input's children of
	// telemetry's LastSuccess and WalkProgress; nil in tests that build a
	// box alone.
	lastSuccess, progress prometheus.Gauge
}

// bind names the input and attaches its metrics.
func (b *statusBox) bind(name string, m *telemetry.Metrics) {
	b.s.Input = name
	b.lastSuccess = m.LastSuccess.WithLabelValues(name)
	b.progress = m.WalkProgress.WithLabelValues(name)
	b.progress.Set(0)
}

func (b *statusBox) update(f func(*Status)) {
	b.mu.Lock()
	f(&b.s)
	s := b.s
	b.mu.Unlock()
	if b.progress == nil {
		return
	}
	if !s.LastSuccess.IsZero() {
		b.lastSuccess.Set(float64(s.LastSuccess.UnixMilli()) / 1000)
	}
	switch {
	case s.Total > 0:
		b.progress.Set(min(1, float64(s.Handled)/float64(s.Total)))
	case !s.LastSuccess.IsZero():
		b.progress.Set(1)
	}
}

func (b *statusBox) get() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// saveCursor persists an input's cursor and records in its status whether
// saving works (readiness reports a cursor that cannot be saved). A failed
// save is retried by the tracker with the next acknowledgement.
func saveCursor(opts *InputOptions, name string, cursor any, box *statusBox) error {
	if err := opts.Store.Save(name, cursor); err != nil {
		opts.Log.Error("saving the cursor failed; it will be retried", "input", name, "error", err)
		box.update(func(s *Status) {
			s.SaveError = err.Error()
			if s.SaveFailingSince.IsZero() {
				s.SaveFailingSince = opts.Now()
			}
		})
		return err
	}
	box.update(func(s *Status) { s.SaveError, s.SaveFailingSince = "", time.Time{} })
	return nil
}
