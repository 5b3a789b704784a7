package authentik

import (
	"context"
	"errors"
	"fmt"
	"time"

	"akship/agent"
)

// qlTime is DjangoQL's datetime literal format. It has no fractional
// seconds, so bounds are whole seconds and events in the bound's second are
// told apart by pk.
const qlTime = "2006-01-02 15:04:05"

// keysetWalk is a walk in ascending created order anchored by the query
// language (`created >= "<second>"`) instead of an offset from the top:
// rows inserted or expired elsewhere shift nothing, and the cursor after
// each page is simply the newest event handled, so an interrupted walk
// resumes exactly where it stopped.
//
// Under one anchor the walk pages on while that is safe (see advance)
// and re-anchors at the second of the newest event handled otherwise. Where
// the events at and after the anchor are all known (the overlap window at
// the start of a poll, the anchor's second after a re-anchor), it does not
// read them again: it asks straight for the page holding the newest of them
// and checks that this event stands exactly where it should. Had a late row
// been inserted among them, the newest known event would stand later, and
// the walk reads them all after all.
type keysetWalk struct {
	in      *EventsInput
	started time.Time
	anchor  time.Time // whole second: requests ask for created >= anchor
	page    int       // page under the same anchor
	// handled maps the pks already shipped (or known from the cursor) with
	// created at or after the overlap horizon to their created time.
	handled map[string]time.Time
	// skip, when set, is what the current page must show for the known
	// events before it to be skipped.
	skip *keysetSkip
	// newest is the newest event handled; count the count the last page
	// under this anchor reported (0 after a re-anchor).
	newest eventKey
	count  int
	total  int
	// unsafe is set once rows vanished before the position (deletions,
	// expiry reaching the anchor): from then on every page re-anchors at
	// page 1, which no deletion can make skip a row.
	unsafe bool
}

// keysetSkip describes the known events at and after the anchor: known of
// them, the newest being newest, counted in pages of size.
type keysetSkip struct {
	known  int
	newest eventKey
	size   int
}

// Paging on under one anchor (instead of re-anchoring every page, which
// reads the anchor's second again each time) is safe while no row before
// the walk's position can vanish: only while the anchor is recent
// (authentik's retention deletes events months old, not this hour's) and
// the count does not drop; and deep pages are avoided, as a deep offset
// costs the database what the keyset walk saves.
const (
	keysetRecent   = time.Hour
	keysetMaxDepth = 50
)

// errKeysetIgnored means authentik did not honour the created bound.
var errKeysetIgnored = errors.New("authentik ignored the created bound of the query language")

// newKeysetWalk starts a keyset walk from the cursor: the overlap window
// below the watermark is where it starts, skipping what is known of it.
func newKeysetWalk(in *EventsInput, now time.Time) *keysetWalk {
	from := in.cur.from(horizon(in.cur.Watermark, in.cfg.Overlap))
	w := &keysetWalk{in: in, started: now, anchor: from.Truncate(time.Second), page: 1,
		handled: map[string]time.Time{}}
	for _, s := range in.cur.Seen {
		w.handled[s.PK] = s.Created
		if later(eventKey{s.PK, s.Created}, w.newest) {
			w.newest = eventKey{s.PK, s.Created}
		}
	}
	w.position()
	return w
}

// later orders events as the walk meets them: by created, then pk.
func later(a, b eventKey) bool {
	if !a.created.Equal(b.created) {
		return a.created.After(b.created)
	}
	return a.pk > b.pk
}

// position points the walk at the page holding the newest handled
// event at or after the anchor, to be checked before use, or at page 1
// when none is.
func (w *keysetWalk) position() {
	known := 0
	for _, c := range w.handled {
		if !c.Before(w.anchor) {
			known++
		}
	}
	w.page, w.skip, w.count = 1, nil, 0
	if known == 0 || w.newest.created.Before(w.anchor) {
		return
	}
	size := w.in.pages.size()
	w.page = (known-1)/size + 1
	w.skip = &keysetSkip{known: known, newest: w.newest, size: size}
}

// step fetches and handles one page of a keyset walk. ok is false when
// the page was not used (the walk repositioned, or fell back to the offset
// walk because authentik ignored the created bound).
func (w *keysetWalk) step(ctx context.Context) (agent.Batch, bool, error) {
	b, ok, err := w.stepPage(ctx)
	if errors.Is(err, errKeysetIgnored) {
		return agent.Batch{}, false, w.in.fallBack()
	}
	return b, ok, err
}

// stepPage is step without the fallback.
func (w *keysetWalk) stepPage(ctx context.Context) (agent.Batch, bool, error) {
	in := w.in
	bound := fmt.Sprintf("created >= %q", w.anchor.UTC().Format(qlTime))
	page, err := in.fetch(ctx, oldestFirst, bound, w.page, in.cfg.PageSize)
	if w.skip != nil {
		use, err := w.checkSkip(ctx, page, err)
		if err != nil || !use {
			return agent.Batch{}, false, err
		}
	} else if !w.unsafe && w.page > 1 && (errors.Is(err, ErrInvalidPage) || err == nil && page.Pagination.Count < w.count) {
		// Rows before our position vanished, so the page may have
		// slid past some: re-anchor at the newest event handled, and
		// from now on at every page.
		in.opts.Log.Debug("events vanished during the walk; re-anchoring", "input", in.name)
		w.anchor, w.unsafe = w.newest.created.Truncate(time.Second), true
		w.page, w.skip, w.count = 1, nil, 0
		return agent.Batch{}, false, nil
	}
	finished := false
	switch {
	case errors.Is(err, ErrInvalidPage):
		finished = true // nothing at all under the anchor any more
	case err != nil:
		return agent.Batch{}, false, err
	default:
		finished = page.Pagination.Next == 0
	}
	var events []*agent.Event
	var last time.Time
	if page != nil {
		if w.total == 0 {
			w.total = page.Pagination.Count
			in.status.update(func(s *Status) { s.Total, s.Handled = page.Pagination.Count, 0 })
		}
		w.count = page.Pagination.Count
		if events, last, err = w.handle(page); err != nil {
			return agent.Batch{}, false, err
		}
	}
	w.advance(last, finished)
	return w.emit(ctx, events, last, finished)
}

// checkSkip checks the page the walk jumped to: it must hold the newest
// known event exactly where the known events before it put it, and only
// known events before it. use is false when the walk had to reposition:
// to page 1 of the anchor when it did not hold (late rows among the known
// ones), or to the right page when authentik served another page size.
// Fewer rows than known mean rows were deleted, or, when none (or no page)
// is left, that the bound stopped working (a query that does not parse is
// a text search matching nothing): then authentik is asked again whether
// the bound works.
func (w *keysetWalk) checkSkip(ctx context.Context, page *Page, fetchErr error) (use bool, err error) {
	in, sk := w.in, w.skip
	if fetchErr != nil && !errors.Is(fetchErr, ErrInvalidPage) {
		return false, fetchErr
	}
	if fetchErr != nil || page.Pagination.Count < sk.known {
		if fetchErr == nil && page.Pagination.Count > 0 {
			w.page, w.skip = 1, nil // rows were deleted (expiry reaching the anchor): read from the anchor
			return false, nil
		}
		ok, decided, err := in.probeKeyset(ctx)
		if err != nil {
			return false, err
		}
		if decided && !ok {
			return false, errKeysetIgnored
		}
		w.page, w.skip = 1, nil
		return false, nil
	}
	if served, known := page.Pagination.served(); known && served != sk.size {
		w.position()
		return false, nil
	}
	at := sk.known - page.Pagination.StartIndex // index of the newest known event
	holds := at >= 0 && at < len(page.Results)
	for i := 0; holds && i <= at; i++ {
		k, err := parseEventKey(page, i)
		_, done := w.handled[k.pk]
		holds = err == nil && done && (i < at || k.pk == sk.newest.pk)
	}
	if !holds {
		in.opts.Log.Debug("late events in the overlap window; reading it again", "input", in.name)
		w.page, w.skip = 1, nil
		return false, nil
	}
	w.skip = nil
	return true, nil
}

// handle ships the page's events not handled before and returns the
// created time of its last event. A page that breaks the bound or the
// order means authentik ignored the query: errKeysetIgnored.
func (w *keysetWalk) handle(page *Page) ([]*agent.Event, time.Time, error) {
	in := w.in
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
		if later(k, w.newest) {
			w.newest = k
		}
		if _, done := w.handled[k.pk]; done {
			continue
		}
		w.handled[k.pk] = k.created
		events = append(events, in.newEvent(k.pk, raw, now))
	}
	in.status.update(func(s *Status) { s.Handled += len(page.Results) })
	return events, last, nil
}

// advance chooses the next request: the next page under the same
// anchor while that is safe (a recent anchor, a shallow page), else a new
// anchor at the second of the newest event handled, skipping the known
// events of that second. A page whose events all fell in the anchor's
// second, or held none with a readable created time (shipped unplaced),
// always goes on to the next page: the same request again would never end.
func (w *keysetWalk) advance(last time.Time, finished bool) {
	if finished {
		return
	}
	a := last.Truncate(time.Second)
	recent := w.in.opts.Now().Sub(w.anchor) < keysetRecent
	if last.IsZero() || !a.After(w.anchor) || (recent && w.page < keysetMaxDepth && !w.unsafe) {
		w.page++
		return
	}
	w.anchor = a
	if w.unsafe {
		w.page, w.skip, w.count = 1, nil, 0
		return
	}
	w.position()
}

// emit tracks the cursor after this page: the watermark is the newest
// event handled (everything before it in created order is), and the seen
// set keeps the events within the overlap below it. last is the created
// time of the page's last event: pages are in ascending order, so the
// newest event handled is the later of it and the watermark so far.
func (w *keysetWalk) emit(ctx context.Context, events []*agent.Event, last time.Time,
	finished bool) (agent.Batch, bool, error) {
	in := w.in
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
