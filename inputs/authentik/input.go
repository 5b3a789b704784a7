// Package authentik collects authentik's audit trail: the events input walks
// /api/v3/events/events/ newest first down to a persistent cursor, so each
// poll costs requests in proportion to what is new; the users and groups
// inputs take periodic snapshots of /api/v3/core/users/ and
// /api/v3/core/groups/. Cursors are committed only after the output
// acknowledged everything before them.
//
// The files by job: input.go the options every input shares; client.go,
// page.go, pagesize.go and mistake.go talking to authentik; events.go the
// events input, walk.go its walks' contract and choice, offset.go and
// offset_window.go the offset walk, keyset.go the keyset walk, cursor.go
// their persisted cursors; snapshot.go the users and groups inputs;
// status.go, poll.go and record.go what the inputs share: their status,
// their retry after a failed poll, and how a record becomes an event.
package authentik

import (
	"log/slog"
	"time"

	"akship/agent/state"
	"akship/agent/telemetry"
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
