package authentik

import (
	"context"
	"time"

	"akship/agent"
	"akship/internal/backoff"
)

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
