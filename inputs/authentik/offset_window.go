package authentik

import (
	"context"
	"errors"
	"time"
)

// The offset walk's overlap window, checked instead of re-read.
//
// A poll reads newest first until it meets the events it knows from the
// cursor: the k events it shipped in [stop, watermark]. If nothing was
// written late into that window, those k events are exactly the rows from
// the newest known one down, and the row after the oldest known one is
// older than stop. So once the walk meets the newest known event at
// position p (from the top), one request in ascending order checks the
// oldest known event's position from the bottom (rows inserted at the top
// meanwhile shift nothing there) and the row just below it; when both
// hold, the window holds no row akship has not handled and the walk ends
// without reading it. Otherwise (a late row, expiry or deletions
// meanwhile) the walk reads the window as before.

// windowKnown is what a fresh walk knows of its overlap window.
type windowKnown struct {
	count          int      // known events with created >= stop
	newest, oldest eventKey // in walk order
	// Where the walk met the newest known event: its position from the top
	// and the collection's count then. met is false until then.
	met        bool
	top, total int
	checked    bool // the check was made (once per walk)
}

// knownWindow collects the cursor's events at or after stop.
func knownWindow(seen []seenEvent, stop time.Time) *windowKnown {
	k := &windowKnown{}
	for _, s := range seen {
		if s.Created.Before(stop) {
			continue
		}
		e := eventKey{pk: s.PK, created: s.Created}
		if k.count == 0 || later(e, k.newest) {
			k.newest = e
		}
		if k.count == 0 || later(k.oldest, e) {
			k.oldest = e
		}
		k.count++
	}
	if k.count == 0 {
		return nil
	}
	return k
}

// meet notes where the walk met the newest known event: index i of a page.
func (k *windowKnown) meet(page *Page, i int, pk string) {
	if k == nil || k.met || pk != k.newest.pk {
		return
	}
	k.met, k.top, k.total = true, page.Pagination.StartIndex-1+i, page.Pagination.Count
}

// worth reports whether checking saves requests: the oldest known event
// and the row below it lie beyond the page just handled.
func (k *windowKnown) worth(page *Page) bool {
	if k == nil || !k.met || k.checked {
		return false
	}
	end := page.Pagination.StartIndex - 1 + len(page.Results) // first position after the page
	return k.top+k.count >= end
}

// checkWindow asks whether the rest of the overlap window holds only known
// events (see the comment at the top of this file). Any doubt answers false.
func (w *offsetWalk) checkWindow(ctx context.Context) (bool, error) {
	in, k, stop := w.in, w.window, w.state.Stop
	k.checked = true
	oldestTop := k.top + k.count - 1
	b := k.total - 1 - oldestTop // the oldest known event's position from the bottom
	if b < 0 {
		return false, nil
	}
	size := in.pages.size()
	from := max(b-1, 0)
	page, err := in.fetch(ctx, oldestFirst, "", from/size+1, in.cfg.PageSize)
	if errors.Is(err, ErrInvalidPage) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if served, known := page.Pagination.served(); known && served != size {
		return false, nil
	}
	at := func(pos int) (eventKey, bool) {
		i := pos - (page.Pagination.StartIndex - 1)
		if i < 0 || i >= len(page.Results) {
			return eventKey{}, false
		}
		e, err := parseEventKey(page, i)
		return e, err == nil
	}
	if b > 0 {
		below, ok := at(b - 1)
		if !ok || !below.created.Before(stop) {
			return false, nil
		}
	}
	oldest, ok := at(b)
	if !ok { // the page ended just before it: one more row
		one, err := in.fetch(ctx, oldestFirst, "", b+1, 1)
		if err != nil || len(one.Results) == 0 {
			return false, nil
		}
		if oldest, err = parseEventKey(one, 0); err != nil {
			return false, nil
		}
	}
	return oldest.pk == k.oldest.pk, nil
}
