package authentik

import (
	"context"
	"errors"
	"time"

	"akship/agent"
)

// The offset walk: newest first (ordering=-created,-pk) by page number
// from page 1 down to the first event older than watermark − overlap. New
// events inserted during a walk push rows to later pages (seen again,
// skipped by position); expiry deletes the oldest rows, after the walk's
// position, so nothing is skipped. A page-count drop triggers a continuity
// check for deletions above the position. Interrupted walks resume where
// the acknowledged pages end.

// offsetWalk is an offset walk in progress (an eventWalk). Its persisted
// side, walkState, travels in the cursor after every page, so an
// interrupted walk resumes.
type offsetWalk struct {
	in       *EventsInput
	state    *walkState
	seen     map[string]struct{}
	page     int  // next page to fetch
	doubt    bool // continuity must be checked before using the next page
	prev     int  // count reported by the previous page
	invalid  int  // consecutive "Invalid page." answers
	resumed  bool // the first page of a resumed walk is still to come
	finished bool
	window   *windowKnown // the known overlap window of a fresh walk (offset_window.go)
}

// newOffsetWalk starts a new offset walk, or resumes the one the cursor
// records.
func newOffsetWalk(in *EventsInput, now time.Time) *offsetWalk {
	w := &offsetWalk{in: in, page: 1, seen: map[string]struct{}{}}
	for _, s := range in.cur.Seen {
		w.seen[s.PK] = struct{}{}
	}
	size := in.pages.size()
	if in.cur.Walk != nil {
		w.state = in.cur.Walk.clone()
		w.page = resumePage(w.state, size)
		w.state.Page = max(0, w.page-1)
		w.doubt = w.page > 1
		w.resumed = true
		in.opts.Log.Info("resuming interrupted walk", "input", in.name, "page", w.page)
	} else {
		w.state = &walkState{Started: now, Stop: in.cur.from(in.cur.Watermark.Add(-in.cfg.Overlap))}
		if !in.cur.Watermark.IsZero() {
			w.window = knownWindow(in.cur.Seen, w.state.Stop)
		}
	}
	// Page numbers count pages of the size authentik serves: the expected
	// one until a page shows it (step corrects a wrong guess).
	w.state.PageSize = size
	return w
}

// resumePage finds the page after the last acknowledged one, converting
// between page sizes if the size served changed (rounding down: re-reading
// is harmless, skipping is not).
func resumePage(w *walkState, pageSize int) int {
	if w.PageSize <= 0 || w.Page <= 0 {
		return 1
	}
	return repage(w.Page+1, w.PageSize, pageSize)
}

// resize corrects the walk's page numbering when authentik served another
// page size than expected (its limit changed, or the configured size did
// across a restart): the page number is converted, and false means the page
// must be fetched again at its corrected number.
func (w *offsetWalk) resize(served int) bool {
	old := w.state.PageSize
	if served == old {
		return true
	}
	w.state.PageSize = served
	w.state.Page = max(0, repage(w.state.Page+1, old, served)-1)
	if w.page == 1 {
		return true // page 1 starts at the top whatever its size
	}
	w.page = repage(w.page, old, served)
	return false
}

// step fetches and handles one page. ok is false when the page produced no
// batch (a continuity check stepped back).
func (w *offsetWalk) step(ctx context.Context) (agent.Batch, bool, error) {
	in := w.in
	page, err := in.fetch(ctx, newestFirst, "", w.page, in.cfg.PageSize)
	if errors.Is(err, ErrInvalidPage) {
		return w.pastEnd(ctx)
	}
	if err != nil {
		return agent.Batch{}, false, err
	}
	if served, known := page.Pagination.served(); known && !w.resize(served) {
		return agent.Batch{}, false, nil
	}
	w.invalid = 0
	if w.resumed {
		// Events inserted while we were down pushed our position to later
		// pages; jump over them (the count grew by at least that much
		// less what expired, so the jump never overshoots by itself, and
		// the continuity check below catches deletions above us).
		w.resumed = false
		if grown := page.Pagination.Count - w.state.Count; grown >= w.state.PageSize {
			w.page += grown / w.state.PageSize
			return agent.Batch{}, false, nil
		}
	}
	if w.page > 1 && (w.doubt || page.Pagination.Count < w.prev) {
		ok, err := w.continuous(ctx, page)
		if err != nil {
			return agent.Batch{}, false, err
		}
		if !ok {
			// Rows were deleted above our position and shifted back: read
			// the previous page again before going on.
			w.page--
			w.doubt = true
			return agent.Batch{}, false, nil
		}
	}
	w.doubt = false
	w.prev = page.Pagination.Count
	if w.page == 1 {
		in.status.update(func(s *Status) { s.Total = page.Pagination.Count; s.Handled = 0 })
	}
	events := w.handle(page)
	w.state.Page, w.state.Count = w.page, page.Pagination.Count
	w.page++
	if page.Pagination.Next == 0 {
		w.finished = true
	}
	if !w.finished && w.window.worth(page) {
		known, err := w.checkWindow(ctx)
		if err != nil {
			in.opts.Log.Debug("checking the overlap window failed; reading it", "input", in.name, "error", err)
		}
		w.finished = known
	}
	return w.emit(ctx, events)
}

// pastEnd handles "Invalid page.": the list shrank below the page. Step
// back to re-check the last page a few times, then end the walk.
func (w *offsetWalk) pastEnd(ctx context.Context) (agent.Batch, bool, error) {
	w.invalid++
	if w.page > 1 && w.invalid <= 3 {
		w.page--
		return agent.Batch{}, false, nil
	}
	w.finished = true
	return w.emit(ctx, nil)
}

// continuous checks that nothing shifted from the page we are about to use
// back past our position: either its first event was handled already, or
// the event just before the page (probed with a one-item request) was.
func (w *offsetWalk) continuous(ctx context.Context, page *Page) (bool, error) {
	if len(page.Results) > 0 {
		if k, err := parseEventKey(page, 0); err == nil && w.state.handled(k.created, k.pk) {
			return true, nil
		}
	}
	probe, err := w.in.fetch(ctx, newestFirst, "", (w.page-1)*w.state.PageSize, 1)
	if errors.Is(err, ErrInvalidPage) {
		return false, nil
	}
	if err != nil || len(probe.Results) == 0 {
		return false, err
	}
	k, err := parseEventKey(probe, 0)
	if err != nil {
		return true, nil // an unreadable record cannot tell; go on
	}
	return w.state.handled(k.created, k.pk), nil
}

// handle decides, for each event of the page, whether to ship it.
func (w *offsetWalk) handle(page *Page) []*agent.Event {
	in := w.in
	now := in.opts.Now()
	events := make([]*agent.Event, 0, len(page.Results))
	for i, raw := range page.Results {
		k, err := parseEventKey(page, i)
		if err != nil {
			events = append(events, in.unplaced(raw, err, now))
			continue
		}
		if w.state.handled(k.created, k.pk) {
			continue
		}
		if k.created.Before(w.state.Stop) {
			w.finished = true
			break
		}
		if w.state.Top.IsZero() {
			w.state.Top = k.created
		}
		w.state.pass(k.created, k.pk)
		if _, dup := w.seen[k.pk]; dup {
			w.window.meet(page, i, k.pk)
			continue
		}
		events = append(events, in.newEvent(k.pk, raw, now))
		if !k.created.Before(w.state.Top.Add(-in.cfg.Overlap)) {
			w.state.TopSeen = append(w.state.TopSeen, seenEvent{PK: k.pk, Created: k.created})
		}
	}
	in.status.update(func(s *Status) { s.Handled += len(page.Results) })
	return events
}

// emit tracks the checkpoint reached after this page and returns the batch.
func (w *offsetWalk) emit(ctx context.Context, events []*agent.Event) (agent.Batch, bool, error) {
	in := w.in
	next := in.cur
	if w.finished {
		next = in.cur.complete(w.state, in.cfg.Overlap)
	} else {
		next.Walk = w.state.clone()
	}
	return in.track(ctx, next, events, w.finished, w.state.Started)
}
