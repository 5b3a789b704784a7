package monitor

import (
	"fmt"
	"sync"
	"time"

	"akship/agent"
)

// snapshot is the agent's state at one instant, with the verdict on
// readiness derived from it.
type snapshot struct {
	Now      time.Time
	Inputs   []agent.InputStatus
	Delivery agent.DeliveryStatus
	// Reasons lists every readiness problem; empty means ready.
	Reasons []string
}

// blockTracker remembers since when events have been seen in flight
// without a successful write in between.
//
// DeliveryStatus tells how many events are in flight and when a write last
// succeeded, but not since when events have been waiting. Comparing the
// last success with now alone would call an agent blocked the moment it
// reads a batch after a long idle period, so the tracker records when it
// first saw events waiting and restarts that clock whenever a write
// succeeded or nothing was in flight. It is fed by every /readyz and
// /status request and by the server's own sampling ticker.
type blockTracker struct {
	mu sync.Mutex
	// since is when events were first seen in flight with no write
	// succeeding after that; zero when nothing was in flight.
	since time.Time
}

// observe records d as seen at now and returns since when the output has
// been holding events without a successful write (zero if it is not).
func (b *blockTracker) observe(now time.Time, d agent.DeliveryStatus) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case d.InFlight <= 0:
		b.since = time.Time{}
	case b.since.IsZero() || d.LastSuccess.After(b.since):
		b.since = now
	}
	return b.since
}

// assess gathers the sources' state and lists the readiness problems.
func (s *Server) assess() snapshot {
	now := s.src.Now()
	snap := snapshot{Now: now, Inputs: s.inputs(), Delivery: s.delivery()}
	limit := s.cfg.UnreachableAfter
	for _, in := range snap.Inputs {
		switch {
		case in.Stopped:
			reason := in.StopReason
			if reason == "" {
				reason = "no reason given"
			}
			snap.Reasons = append(snap.Reasons, fmt.Sprintf("input %s stopped: %s", in.Input, reason))
		case !in.FailingSince.IsZero() && now.Sub(in.FailingSince) > limit:
			snap.Reasons = append(snap.Reasons, fmt.Sprintf(
				"input %s: authentik unreachable or failing since %s (%s): %s",
				in.Input, stamp(in.FailingSince), age(now, in.FailingSince), orUnknown(in.LastError)))
		}
		if !in.SaveFailingSince.IsZero() {
			// A cursor that cannot be saved is a problem at once: every
			// page delivered meanwhile would be read again after a restart.
			snap.Reasons = append(snap.Reasons, fmt.Sprintf("input %s: the cursor cannot be saved since %s (%s): %s",
				in.Input, stamp(in.SaveFailingSince), age(now, in.SaveFailingSince), orUnknown(in.SaveError)))
		}
	}
	d := snap.Delivery
	blockedSince := s.blocked.observe(now, d)
	switch {
	case !d.FailingSince.IsZero() && now.Sub(d.FailingSince) > limit:
		snap.Reasons = append(snap.Reasons, fmt.Sprintf(
			"output unreachable or rejecting writes since %s (%s): %s",
			stamp(d.FailingSince), age(now, d.FailingSince), orUnknown(d.LastError)))
	case !blockedSince.IsZero() && now.Sub(blockedSince) > limit:
		last := "none since start"
		if !d.LastSuccess.IsZero() {
			last = stamp(d.LastSuccess)
		}
		snap.Reasons = append(snap.Reasons, fmt.Sprintf(
			"output blocked: %d events in flight since %s (%s) without a successful write (last success: %s)",
			d.InFlight, stamp(blockedSince), age(now, blockedSince), last))
	}
	return snap
}

// sample feeds the block tracker without building a response, so blocked
// output is detected even when nobody polls /readyz for a while.
func (s *Server) sample() {
	s.blocked.observe(s.src.Now(), s.delivery())
}

// inputs returns the inputs' statuses (none when there is no source).
func (s *Server) inputs() []agent.InputStatus {
	if s.src.Inputs == nil {
		return nil
	}
	return s.src.Inputs()
}

// delivery returns the delivery status (zero when there is no source).
func (s *Server) delivery() agent.DeliveryStatus {
	if s.src.Delivery == nil {
		return agent.DeliveryStatus{}
	}
	return s.src.Delivery()
}

// stamp formats a time for a reason message.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// age is how long ago t was, rounded to the second.
func age(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() }

// orUnknown stands in for a missing error message.
func orUnknown(msg string) string {
	if msg == "" {
		return "no error recorded"
	}
	return msg
}
