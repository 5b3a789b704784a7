package authentik

import (
	"slices"
	"time"
)

// eventsCursor is the persisted position of the events input. It is saved
// only once every event before it has been acknowledged by the output.
type eventsCursor struct {
	// Floor is the oldest created time to collect at all (from start).
	Floor time.Time `json:"floor"`
	// Watermark is the created time of the newest event of the last
	// completed walk. Zero before the first walk completes.
	Watermark time.Time `json:"watermark,omitzero"`
	// Seen lists the events shipped with created >= Watermark - overlap,
	// so the overlap re-read does not ship them again.
	Seen []seenEvent `json:"seen,omitempty"`
	// Walk is the offset walk in progress, if one was interrupted.
	Walk *walkState `json:"walk,omitempty"`
	// Keyset records whether authentik's query language filters events by
	// created (the keyset walk) as found when it was last asked, at
	// KeysetChecked; nil until it could tell.
	Keyset        *bool     `json:"keyset,omitempty"`
	KeysetChecked time.Time `json:"keyset_checked,omitzero"`
	// PageMax is the largest page authentik served when asked for more
	// (authentik 2026.2+ cuts pages to 100 silently); 0 when never seen.
	PageMax int `json:"page_max,omitempty"`
	// caughtUp marks the cursor that ends a walk: once it is committed,
	// everything the walk read is delivered (lag 0). Not saved.
	caughtUp bool
}

// base is the part of the cursor that every walk carries on unchanged.
func (c eventsCursor) base() eventsCursor {
	return eventsCursor{Floor: c.Floor, Watermark: c.Watermark, Keyset: c.Keyset, KeysetChecked: c.KeysetChecked,
		PageMax: c.PageMax}
}

// from is where the next walk starts looking (the keyset walk) or stops
// (the offset walk): h, the watermark less the overlap, unless that lies
// before the floor; the floor before the first walk completed.
func (c eventsCursor) from(h time.Time) time.Time {
	if c.Watermark.IsZero() || !h.After(c.Floor) {
		return c.Floor
	}
	return h
}

// horizon is the oldest created time the next walk looks at again: the
// watermark minus the overlap, down to the whole second (the keyset walk's
// bounds are whole seconds).
func horizon(watermark time.Time, overlap time.Duration) time.Time {
	return watermark.Add(-overlap).Truncate(time.Second)
}

// seenEvent identifies an event already shipped.
type seenEvent struct {
	PK      string    `json:"pk"`
	Created time.Time `json:"created"`
}

// walkState is the progress of one newest-first walk over the events.
type walkState struct {
	// Started is when the walk began.
	Started time.Time `json:"started"`
	// Stop ends the walk: events created before it were collected earlier
	// (watermark - overlap) or are older than the floor.
	Stop time.Time `json:"stop"`
	// Top is the created time of the newest event this walk saw; it
	// becomes the watermark when the walk completes.
	Top time.Time `json:"top,omitzero"`
	// TopSeen are the events this walk shipped with created >= Top - overlap.
	TopSeen []seenEvent `json:"top_seen,omitempty"`
	// Low is the created time of the oldest event handled so far; LowPKs
	// the handled events created exactly at Low (ties).
	Low    time.Time `json:"low,omitzero"`
	LowPKs []string  `json:"low_pks,omitempty"`
	// Page is the last page handled, PageSize the page size used, and
	// Count the collection size authentik reported then: together they let
	// a resumed walk find its place again.
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	Count    int `json:"count"`
}

// handled reports whether an event at (created, pk) lies in the part of the
// list this walk has already passed: newer than Low, or at Low and handled.
func (w *walkState) handled(created time.Time, pk string) bool {
	if w.Low.IsZero() {
		return false
	}
	if created.After(w.Low) {
		return true
	}
	return created.Equal(w.Low) && slices.Contains(w.LowPKs, pk)
}

// pass records that the event at (created, pk) was handled (shipped or
// skipped); events arrive newest first.
func (w *walkState) pass(created time.Time, pk string) {
	if w.Low.IsZero() || created.Before(w.Low) {
		w.Low = created
		w.LowPKs = []string{pk}
		return
	}
	if created.Equal(w.Low) {
		w.LowPKs = append(slices.Clip(w.LowPKs), pk)
	}
}

// clone copies the walk so a checkpoint is not changed by later pages.
func (w *walkState) clone() *walkState {
	if w == nil {
		return nil
	}
	c := *w
	c.TopSeen = slices.Clip(w.TopSeen)
	c.LowPKs = slices.Clip(w.LowPKs)
	return &c
}

// complete returns the cursor after the walk finished: the watermark moves
// to the newest event seen and the seen set keeps what the next overlap
// re-read will meet again.
func (c eventsCursor) complete(w *walkState, overlap time.Duration) eventsCursor {
	next := c.base()
	if w.Top.After(next.Watermark) {
		next.Watermark = w.Top
	}
	h := horizon(next.Watermark, overlap)
	for _, s := range c.Seen {
		if !s.Created.Before(h) {
			next.Seen = append(next.Seen, s)
		}
	}
	for _, s := range w.TopSeen {
		if !s.Created.Before(h) {
			next.Seen = append(next.Seen, s)
		}
	}
	return next
}

// snapshotCursor is the persisted position of a users or groups input.
type snapshotCursor struct {
	// Completed is when the last full snapshot started (all its records
	// are acknowledged).
	Completed time.Time `json:"completed,omitzero"`
	// Current is the snapshot in progress, if one was interrupted.
	Current *snapshotProgress `json:"current,omitempty"`
}

// snapshotProgress is how far an unfinished snapshot got.
type snapshotProgress struct {
	Started  time.Time `json:"started"`
	Page     int       `json:"page"`
	PageSize int       `json:"page_size"`
}
