package authentik

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"akship/agent"
)

// eventsPath is the events list endpoint, relative to /api/v3/.
const eventsPath = "events/events/"

// EventsInput collects authentik events. Each poll walks the list newest
// first (ordering=-created,-pk) from page 1 down to the cursor: the walk
// stops at the first event older than watermark − overlap, and events in
// the overlap that were shipped before are recognised by pk. New events
// inserted during a walk push rows to later pages (seen again, skipped by
// position); expiry deletes the oldest rows, after the walk's position, so
// nothing is skipped. A page-count drop triggers a continuity check for
// deletions above the position (see README). Interrupted walks resume where
// the acknowledged pages end.
type EventsInput struct {
	name   string
	cfg    EventsConfig
	client *Client
	opts   InputOptions

	tracker *agent.Tracker[eventsCursor]
	cur     eventsCursor // cursor after the last emitted batch
	walk    *walker
	next    time.Time // when the next poll is due
	walked  bool      // a walk completed in this run
	fails   int
	status  statusBox
}

// walker is the in-memory side of a walk in progress.
type walker struct {
	state    *walkState
	seen     map[string]struct{}
	page     int  // next page to fetch
	doubt    bool // continuity must be checked before using the next page
	prev     int  // count reported by the previous page
	invalid  int  // consecutive "Invalid page." answers
	resumed  bool // the first page of a resumed walk is still to come
	finished bool
}

// NewEvents returns the events input.
func NewEvents(cfg EventsConfig, client *Client, opts InputOptions) *EventsInput {
	opts.defaults()
	in := &EventsInput{name: "events", cfg: cfg, client: client, opts: opts}
	in.status.s.Input = in.name
	return in
}

// Start loads the cursor; a corrupt state file is an error, never a silent
// restart from scratch.
func (in *EventsInput) Start(context.Context) error {
	found, err := in.opts.Store.Load(in.name, &in.cur)
	if err != nil {
		return err
	}
	if !found {
		floor, err := parseStart(in.cfg.Start, in.opts.Now())
		if err != nil {
			return fmt.Errorf("inputs.events.start: %w", err)
		}
		in.cur = eventsCursor{Floor: floor}
		in.opts.Log.Info("no cursor yet: first run", "input", in.name, "start", in.cfg.Start)
	} else {
		in.opts.Log.Info("resuming from cursor", "input", in.name, "watermark", in.cur.Watermark,
			"walk_in_progress", in.cur.Walk != nil)
	}
	in.tracker = agent.NewTracker(in.opts.MaxInFlight, in.commit)
	in.updateCursorMetrics(in.cur)
	return nil
}

// commit persists a checkpoint whose batches are all acknowledged.
func (in *EventsInput) commit(c eventsCursor) error {
	if err := in.opts.Store.Save(in.name, c); err != nil {
		in.opts.Log.Error("saving the cursor failed; it will be retried", "input", in.name, "error", err)
		in.status.update(func(s *Status) {
			s.SaveError = err.Error()
			if s.SaveFailingSince.IsZero() {
				s.SaveFailingSince = in.opts.Now()
			}
		})
		return err
	}
	in.status.update(func(s *Status) { s.SaveError, s.SaveFailingSince = "", time.Time{} })
	in.updateCursorMetrics(c)
	in.status.update(func(s *Status) { s.Cursor = c.summary() })
	return nil
}

func (in *EventsInput) updateCursorMetrics(c eventsCursor) {
	newest := c.Watermark
	if c.Walk != nil && c.Walk.Top.After(newest) {
		newest = c.Walk.Top
	}
	if newest.IsZero() {
		return
	}
	in.opts.Metrics.CursorPosition.WithLabelValues(in.name).Set(float64(newest.UnixMilli()) / 1000)
	lag := in.opts.Now().Sub(newest).Seconds()
	in.opts.Metrics.CursorLag.WithLabelValues(in.name).Set(lag)
	in.status.update(func(s *Status) { s.LagSeconds = lag })
}

// summary is the cursor as shown by /status.
func (c eventsCursor) summary() map[string]any {
	m := map[string]any{"watermark": c.Watermark, "seen": len(c.Seen)}
	if c.Walk != nil {
		m["walk"] = map[string]any{"page": c.Walk.Page, "low": c.Walk.Low, "top": c.Walk.Top}
	}
	return m
}

// Status reports the input's state.
func (in *EventsInput) Status() Status { return in.status.get() }

// Read returns the events of the next page of the current walk, starting a
// walk when one is due.
func (in *EventsInput) Read(ctx context.Context) (agent.Batch, error) {
	for {
		if in.walk == nil {
			if in.walked && in.opts.Once {
				return agent.Batch{}, agent.ErrEndOfInput
			}
			if err := sleepUntil(ctx, in.opts.Now(), in.next); err != nil {
				return agent.Batch{}, err
			}
			in.beginWalk()
		}
		b, ok, err := in.step(ctx)
		if err != nil {
			in.fails++
			if err := retryLater(ctx, &in.opts, in.fails, err, &in.status, in.name); err != nil {
				return agent.Batch{}, err
			}
			continue
		}
		if in.fails > 0 {
			in.fails = 0
			in.status.update(func(s *Status) { s.FailingSince = time.Time{} })
		}
		if ok {
			return b, nil
		}
	}
}

// beginWalk starts a new walk, or resumes the one the cursor records.
func (in *EventsInput) beginWalk() {
	now := in.opts.Now()
	w := &walker{page: 1, seen: map[string]struct{}{}}
	for _, s := range in.cur.Seen {
		w.seen[s.PK] = struct{}{}
	}
	if in.cur.Walk != nil {
		w.state = in.cur.Walk.clone()
		w.page = resumePage(w.state, in.cfg.PageSize)
		w.doubt = w.page > 1
		w.resumed = true
		in.opts.Log.Info("resuming interrupted walk", "input", in.name, "page", w.page)
	} else {
		stop := in.cur.Floor
		if !in.cur.Watermark.IsZero() {
			if h := in.cur.Watermark.Add(-in.cfg.Overlap); h.After(stop) {
				stop = h
			}
		}
		w.state = &walkState{Started: now, Stop: stop}
	}
	w.state.PageSize = in.cfg.PageSize
	in.walk = w
	in.next = now.Add(in.cfg.Interval)
}

// resumePage finds the page after the last acknowledged one, converting
// between page sizes if the configuration changed (rounding down: re-reading
// is harmless, skipping is not).
func resumePage(w *walkState, pageSize int) int {
	if w.PageSize <= 0 || w.Page <= 0 {
		return 1
	}
	return max(1, w.Page*w.PageSize/pageSize+1)
}

// step fetches and handles one page. ok is false when the page produced no
// batch (a continuity check stepped back).
func (in *EventsInput) step(ctx context.Context) (agent.Batch, bool, error) {
	w := in.walk
	page, err := in.fetch(ctx, w.page, w.state.PageSize)
	if errors.Is(err, ErrInvalidPage) {
		return in.pastEnd(ctx)
	}
	if err != nil {
		return agent.Batch{}, false, err
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
		ok, err := in.continuous(ctx, page)
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
	events := in.handle(page)
	w.state.Page, w.state.Count = w.page, page.Pagination.Count
	w.page++
	if page.Pagination.Next == 0 {
		w.finished = true
	}
	return in.emit(ctx, events)
}

// pastEnd handles "Invalid page.": the list shrank below the page. Step
// back to re-check the last page a few times, then end the walk.
func (in *EventsInput) pastEnd(ctx context.Context) (agent.Batch, bool, error) {
	w := in.walk
	w.invalid++
	if w.page > 1 && w.invalid <= 3 {
		w.page--
		return agent.Batch{}, false, nil
	}
	w.finished = true
	return in.emit(ctx, nil)
}

// continuous checks that nothing shifted from the page we are about to use
// back past our position: either its first event was handled already, or
// the event just before the page (probed with a one-item request) was.
func (in *EventsInput) continuous(ctx context.Context, page *Page) (bool, error) {
	w := in.walk
	if len(page.Results) > 0 {
		if k, err := parseEventKey(page, 0); err == nil && w.state.handled(k.created, k.pk) {
			return true, nil
		}
	}
	probe, err := in.fetch(ctx, (w.page-1)*w.state.PageSize, 1)
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
func (in *EventsInput) handle(page *Page) []*agent.Event {
	w := in.walk
	now := in.opts.Now()
	events := make([]*agent.Event, 0, len(page.Results))
	for i, raw := range page.Results {
		k, err := parseEventKey(page, i)
		if err != nil {
			// Ship what we cannot place; the mapping marks the problem.
			in.opts.Log.Warn("event without a readable pk or created; shipping it as is", "input", in.name,
				"error", err)
			events = append(events, in.newEvent(Fingerprint(raw), raw, now))
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

func (in *EventsInput) newEvent(id string, raw []byte, now time.Time) *agent.Event {
	return &agent.Event{Dataset: agent.DatasetEvent, ID: id, Raw: compact(raw), Collected: now}
}

// emit tracks the checkpoint reached after this page and returns the batch.
func (in *EventsInput) emit(ctx context.Context, events []*agent.Event) (agent.Batch, bool, error) {
	w := in.walk
	next := in.cur
	if w.finished {
		next = in.cur.complete(w.state, in.cfg.Overlap)
		in.opts.Metrics.PollDuration.WithLabelValues(in.name).Observe(in.opts.Now().Sub(w.state.Started).Seconds())
		in.status.update(func(s *Status) { s.LastSuccess = in.opts.Now() })
		in.walk, in.walked = nil, true
	} else {
		next.Walk = w.state.clone()
	}
	ack, err := in.tracker.Track(ctx, next)
	if err != nil {
		return agent.Batch{}, false, err
	}
	in.cur = next
	return agent.Batch{Events: events, Ack: ack}, true, nil
}

// fetch requests one page of events, newest first.
func (in *EventsInput) fetch(ctx context.Context, page, size int) (*Page, error) {
	q := url.Values{}
	q.Set("ordering", "-created,-pk")
	q.Set("page", strconv.Itoa(page))
	q.Set("page_size", strconv.Itoa(size))
	return in.client.List(ctx, in.name, eventsPath, q)
}

// Close saves the newest acknowledged cursor if an earlier save failed.
func (in *EventsInput) Close(context.Context) error {
	if in.tracker == nil {
		return nil
	}
	return in.tracker.Flush()
}

// eventKey is what the cursor needs of an event.
type eventKey struct {
	pk      string
	created time.Time
}

// parseEventKey reads pk and created of record i of the page (see
// Page.recordKeyAt: usually without decoding the record).
func parseEventKey(page *Page, i int) (eventKey, error) {
	pk, created, err := page.recordKeyAt(i)
	if err != nil {
		return eventKey{}, err
	}
	if pk == "" {
		return eventKey{}, errors.New("event has no pk")
	}
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return eventKey{}, fmt.Errorf("event %s has an unreadable created time %q", pk, created)
	}
	return eventKey{pk: pk, created: t.UTC()}, nil
}
