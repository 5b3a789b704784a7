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

// qlTime is DjangoQL's datetime literal format. It has no fractional
// seconds, so bounds are whole seconds and events in the bound's second are
// told apart by pk.
const qlTime = "2006-01-02 15:04:05"

// keysetWalk is a walk in ascending created order where every request is
// anchored by the query language (`created >= "<second>"`, page 1) instead
// of an offset: deep pages cost nothing, rows inserted or expired elsewhere
// shift nothing, and the cursor after each page is simply the newest event
// handled, so an interrupted walk resumes exactly where it stopped.
type keysetWalk struct {
	started time.Time
	anchor  time.Time // whole second: requests ask for created >= anchor
	page    int       // page under the same anchor (more than a page in one second)
	// handled maps the pks already shipped (or known from the cursor) with
	// created at or after the overlap horizon to their created time.
	handled map[string]time.Time
	total   int
}

// errKeysetIgnored means authentik did not honour the created bound.
var errKeysetIgnored = errors.New("authentik ignored the created bound of the query language")

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

// beginKeyset starts a keyset walk from the cursor.
func (in *EventsInput) beginKeyset(now time.Time) {
	from := in.cur.from(horizon(in.cur.Watermark, in.cfg.Overlap))
	w := &keysetWalk{started: now, anchor: from.Truncate(time.Second), page: 1, handled: map[string]time.Time{}}
	for _, s := range in.cur.Seen {
		w.handled[s.PK] = s.Created
	}
	in.keyset = w
	in.next = now.Add(in.cfg.Interval)
}

// stepKeyset fetches and handles one page of a keyset walk.
func (in *EventsInput) stepKeyset(ctx context.Context) (agent.Batch, bool, error) {
	w := in.keyset
	bound := fmt.Sprintf("created >= %q", w.anchor.UTC().Format(qlTime))
	page, err := in.fetch(ctx, oldestFirst, bound, w.page, in.cfg.PageSize)
	finished := false
	switch {
	case errors.Is(err, ErrInvalidPage):
		finished = true // rows of the anchor's second vanished under us
	case err != nil:
		return agent.Batch{}, false, err
	default:
		finished = page.Pagination.Next == 0
	}
	var events []*agent.Event
	var last time.Time
	if page != nil {
		if w.page == 1 && w.total == 0 {
			w.total = page.Pagination.Count
			in.status.update(func(s *Status) { s.Total, s.Handled = page.Pagination.Count, 0 })
		}
		if events, last, err = in.handleKeyset(page); err != nil {
			return agent.Batch{}, false, err
		}
	}
	in.advanceKeyset(last, finished)
	return in.emitKeyset(ctx, events, last, finished)
}

// handleKeyset ships the page's events not handled before and returns the
// created time of its last event. A page that breaks the bound or the
// order means authentik ignored the query: errKeysetIgnored.
func (in *EventsInput) handleKeyset(page *Page) ([]*agent.Event, time.Time, error) {
	w := in.keyset
	now := in.opts.Now()
	events := make([]*agent.Event, 0, len(page.Results))
	var last time.Time
	for i, raw := range page.Results {
		k, err := parseEventKey(page, i)
		if err != nil {
			events = append(events, in.unplaced(raw, err, now))
			continue
		}
		if k.created.Before(w.anchor) || k.created.Before(last) {
			return nil, last, errKeysetIgnored
		}
		last = k.created
		if _, done := w.handled[k.pk]; done {
			continue
		}
		w.handled[k.pk] = k.created
		events = append(events, in.newEvent(k.pk, raw, now))
	}
	in.status.update(func(s *Status) { s.Handled += len(page.Results) })
	return events, last, nil
}

// advanceKeyset moves the anchor to the second of the newest event handled
// (the next request starts there; what it repeats is skipped by pk), or
// to the next page under the same anchor when a whole page fell in the
// same second or held no record with a readable created time (those were
// shipped unplaced; asking for the same page again would never end).
func (in *EventsInput) advanceKeyset(last time.Time, finished bool) {
	w := in.keyset
	if finished {
		return
	}
	if a := last.Truncate(time.Second); !last.IsZero() && a.After(w.anchor) {
		w.anchor, w.page = a, 1
	} else {
		w.page++
	}
}

// emitKeyset tracks the cursor after this page: the watermark is the newest
// event handled (everything before it in created order is), and the seen
// set keeps the events within the overlap below it. last is the created
// time of the page's last event: pages are in ascending order, so the
// newest event handled is the later of it and the watermark so far.
func (in *EventsInput) emitKeyset(ctx context.Context, events []*agent.Event, last time.Time,
	finished bool) (agent.Batch, bool, error) {
	w := in.keyset
	next := in.cur.base()
	if last.After(next.Watermark) {
		next.Watermark = last
	}
	// Requests never reach below the anchor again, nor the next walk below
	// the horizon: what lies below both is forgotten.
	h := horizon(next.Watermark, in.cfg.Overlap)
	cut := h
	if w.anchor.Before(cut) {
		cut = w.anchor
	}
	for pk, c := range w.handled {
		if c.Before(cut) {
			delete(w.handled, pk)
			continue
		}
		if !c.Before(h) {
			next.Seen = append(next.Seen, seenEvent{PK: pk, Created: c})
		}
	}
	return in.track(ctx, next, events, finished, w.started)
}
