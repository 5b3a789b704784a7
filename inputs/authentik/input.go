// Package authentik collects authentik's audit trail: the events input walks
// /api/v3/events/events/ newest first down to a persistent cursor, so each
// poll costs requests in proportion to what is new; the users and groups
// inputs take periodic snapshots of /api/v3/core/users/ and
// /api/v3/core/groups/. Cursors are committed only after the output
// acknowledged everything before them.
package authentik

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
	"akship/agent/state"
	"akship/agent/telemetry"
	"akship/internal/backoff"
)

// InputOptions are the collaborators shared by the authentik inputs.
type InputOptions struct {
	// Once makes Read return agent.ErrEndOfInput after one complete walk
	// (run --once) instead of polling on the interval.
	Once bool
	// Store persists cursors. Required.
	Store   *state.Store
	Log     *slog.Logger
	Metrics *telemetry.Metrics
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
	// MaxInFlight is how many pages may be unacknowledged at once; it
	// bounds memory when the output is slow. Default 8.
	MaxInFlight int
	// OnceAttempts is how many times run-once mode tries a page whose
	// requests all failed before giving up. Default 3.
	OnceAttempts int
}

func (o *InputOptions) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 8
	}
	if o.OnceAttempts <= 0 {
		o.OnceAttempts = 3
	}
}

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

// pollRetry is the wait before a failed poll step is tried again (after
// the client's own retries gave up): 2s doubling up to 5 min, jittered.
var pollRetry = backoff.Policy{Initial: 2 * time.Second, Max: 5 * time.Minute}

// retryLater waits before a poll step is tried again after a transient
// failure, or returns the error when it should stop the input.
func retryLater(ctx context.Context, opts *InputOptions, failures int, err error, box *statusBox, name string) error {
	box.update(func(s *Status) {
		now := opts.Now()
		s.LastError, s.LastErrorAt = err.Error(), now
		if s.FailingSince.IsZero() {
			s.FailingSince = now
		}
		if agent.IsPermanent(err) {
			s.Stopped, s.StopReason = true, err.Error()
		}
	})
	if agent.IsPermanent(err) || ctx.Err() != nil {
		return err
	}
	if opts.Once && failures >= opts.OnceAttempts {
		return err
	}
	wait := pollRetry.Delay(failures-1, 0)
	level := opts.Log.Debug // the client warned when requests started failing
	if failures == 1 {
		level = opts.Log.Warn
	}
	level("poll failed; trying again later", "input", name, "retry_in", wait, "error", err)
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sleepUntil blocks until t or ctx ends.
func sleepUntil(ctx context.Context, now, t time.Time) error {
	if !t.After(now) {
		return nil
	}
	timer := time.NewTimer(t.Sub(now))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// compact returns the record as one line. authentik sends compact JSON, so
// this returns raw itself (a read-only slice of the page body); a
// pretty-printed record is compacted into a copy.
func compact(raw []byte) []byte {
	if bytes.IndexByte(raw, '\n') < 0 {
		return raw
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return bytes.Clone(raw)
	}
	return b.Bytes()
}

// Fingerprint is the document id of a record without a stable key of its
// own (users, groups): base64(SHA-1(0x00 ‖ JSON)) where JSON is the record
// re-encoded with sorted keys. It equals the _id Elastic's integration
// gives the same record, so both can share a data stream without
// duplicates, and it changes exactly when the record changes.
func Fingerprint(raw []byte) string {
	var v any
	canon := raw
	if err := json.Unmarshal(raw, &v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	return fingerprintBytes(canon)
}

// fingerprintBytes is Elasticsearch's fingerprint processor with SHA-1 and
// no salt over one field: base64(SHA-1(0x00 ‖ bytes)).
func fingerprintBytes(b []byte) string {
	h := sha1.New()
	h.Write([]byte{0})
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
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
