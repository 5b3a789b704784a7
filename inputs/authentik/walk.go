package authentik

import (
	"context"
	"errors"
	"fmt"
	"time"

	"akship/agent"
)

// Walk strategies of the events input (inputs.events.walk).
const (
	// WalkAuto uses the keyset walk where authentik's query language
	// honours a created bound (2025.8+), the offset walk otherwise.
	WalkAuto = "auto"
	// WalkOffset always walks newest first with page numbers.
	WalkOffset = "offset"
	// WalkKeyset requires the keyset walk; the input stops if authentik
	// cannot do it.
	WalkKeyset = "keyset"
)

// eventWalk is one walk over authentik's events in progress: the offset
// walk (offsetWalk) or the keyset walk (keysetWalk). Each owns its position;
// the EventsInput owns what outlives a walk (the cursor, the tracker, the
// status) and starts a walk when one is due (begin).
//
// step fetches and handles the next page. It returns the page's batch with
// ok true, tracked in the input's tracker with the cursor after the page;
// or ok false when the page produced no batch (the walk repositioned, or
// replaced itself: the keyset walk falls back to the offset walk when
// authentik ignores its bound). After an error the input steps the same
// walk again once its poll backoff has passed: a step emits nothing and
// tracks no cursor before it succeeds. When a walk finishes, its last
// step's tracking ends it (the input's walk is nil again).
type eventWalk interface {
	step(ctx context.Context) (b agent.Batch, ok bool, err error)
}

// begin starts the next walk: an interrupted offset walk resumes; else
// the keyset walk where authentik supports it and the configuration allows.
func (in *EventsInput) begin(ctx context.Context) error {
	if in.cur.Walk != nil || in.cfg.Walk == WalkOffset {
		in.startOffset()
		return nil
	}
	keyset, err := in.chooseKeyset(ctx)
	if err != nil {
		return err
	}
	switch {
	case keyset:
		now := in.opts.Now()
		in.start(newKeysetWalk(in, now), now)
	case in.cfg.Walk == WalkKeyset:
		return agent.Permanent(errors.New("inputs.events.walk is keyset, but authentik's query language does " +
			"not filter events by created (it needs authentik 2025.8 or later with an enterprise licence, or 2026.5 " +
			"or later); use walk: auto or offset"))
	default:
		in.startOffset()
	}
	return nil
}

// start makes w the walk in progress; the next poll is due an interval
// after now.
func (in *EventsInput) start(w eventWalk, now time.Time) {
	in.walk = w
	in.next = now.Add(in.cfg.Interval)
}

// startOffset starts (or resumes) an offset walk.
func (in *EventsInput) startOffset() {
	now := in.opts.Now()
	in.start(newOffsetWalk(in, now), now)
}

// fallBack replaces the keyset walk with the offset walk when authentik
// turned out not to honour the created bound; nothing of the failed page
// was emitted.
func (in *EventsInput) fallBack() error {
	in.walk = nil
	if in.cfg.Walk == WalkKeyset {
		return agent.Permanent(fmt.Errorf("inputs.events.walk is keyset, but %w", errKeysetIgnored))
	}
	in.opts.Log.Warn("authentik did not honour the query language's created bound; walking by page number instead",
		"input", in.name)
	no := false
	in.cur.Keyset, in.cur.KeysetChecked = &no, in.opts.Now()
	in.startOffset()
	return nil
}

// recheckKeyset is how long the probe's answer is trusted (authentik may be
// upgraded or downgraded meanwhile; a keyset page that breaks the bound
// falls back at once anyway).
const recheckKeyset = 24 * time.Hour

// probeKeyset asks authentik whether its query language filters events by
// created: a bound before every event must match some (all of them, but
// events inserted or expired between the requests change the count, so it
// is not compared with the total), one after every event none. On 2025.2
// the search is a plain text search (no match), and a server that ignores
// search returns everything both times. decided is false when the table is
// empty and nothing can be told.
func (in *EventsInput) probeKeyset(ctx context.Context) (ok, decided bool, err error) {
	count := func(search string) (int, error) {
		p, err := in.fetch(ctx, "", search, 1, 1)
		if err != nil {
			return 0, err
		}
		return p.Pagination.Count, nil
	}
	total, err := count("")
	if errors.Is(err, ErrInvalidPage) {
		return false, false, nil
	}
	if err != nil || total == 0 {
		return false, false, err
	}
	all, err := count(`created >= "1970-01-01 00:00:00"`)
	if err != nil || all == 0 {
		return false, err == nil, err
	}
	none, err := count(`created >= "2999-12-31 23:59:59"`)
	return err == nil && none == 0, err == nil, err
}

// chooseKeyset decides whether the next walk is a keyset walk, asking
// authentik when the cursor holds no recent answer.
func (in *EventsInput) chooseKeyset(ctx context.Context) (bool, error) {
	now := in.opts.Now()
	if in.cur.Keyset == nil || now.Sub(in.cur.KeysetChecked) > recheckKeyset {
		ok, decided, err := in.probeKeyset(ctx)
		if err != nil {
			return false, err
		}
		if !decided {
			return false, nil // nothing stored yet: a (cheap) offset walk, ask again next time
		}
		in.cur.Keyset, in.cur.KeysetChecked = &ok, now
		in.opts.Log.Info("events walk chosen", "input", in.name, "keyset", ok)
	}
	return *in.cur.Keyset, nil
}
