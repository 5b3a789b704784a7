package authentik

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"akship/agent"
	"akship/internal/datasets"
)

// eventsPath is the events list endpoint, relative to /api/v3/.
const eventsPath = "events/events/"

// EventsInput collects authentik events with a persistent cursor, so each
// poll costs requests in proportion to what is new. It walks in one of two
// ways (inputs.events.walk):
//   - the offset walk (offset.go, every authentik version): newest first by
//     page number from page 1 down to the cursor;
//   - the keyset walk (keyset.go, authentik whose query language filters
//     by created: 2025.8+ with an enterprise licence, 2026.5+): oldest
//     first, anchored by created rather than by offsets from the top.
//
// Both look again at an overlap below the watermark, skip by pk what they
// shipped before, and skip reading the overlap altogether when a position
// check shows it holds nothing new; the README explains why each is
// lossless while authentik inserts and expires events during the walk.
type EventsInput struct {
	name   string
	cfg    EventsConfig
	client *Client
	opts   InputOptions
	pages  pageSizes // the page size authentik really serves

	tracker *agent.Tracker[eventsCursor]
	cur     eventsCursor // cursor after the last emitted batch
	walk    eventWalk    // the walk in progress, nil between walks
	next    time.Time    // when the next poll is due
	walked  bool         // a walk completed in this run
	fails   int
	status  statusBox
	poll    pollCost // what the walk in progress cost so far
}

// pollCost is what one poll (one walk, from its first request to its last
// page) cost: the pages asked of authentik, probes and pages read again
// after a repositioning included, and the events it shipped as new (not
// the overlap's known ones). A completed poll reports it in the debug log
// line "events poll done", which the steady-traffic bench reads.
type pollCost struct {
	requests, newEvents int
}

// NewEvents returns the events input.
func NewEvents(cfg EventsConfig, client *Client, opts InputOptions) *EventsInput {
	opts.defaults()
	in := &EventsInput{name: "events", cfg: cfg, client: client, opts: opts}
	in.pages = pageSizes{asked: cfg.PageSize, log: opts.Log, input: in.name}
	in.status.bind(in.name, opts.Metrics)
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
	in.pages.max = in.cur.PageMax
	in.tracker = agent.NewTracker(in.opts.MaxInFlight, in.commit)
	in.updateCursorMetrics(in.cur)
	return nil
}

// commit persists a checkpoint whose batches are all acknowledged.
func (in *EventsInput) commit(c eventsCursor) error {
	if err := saveCursor(&in.opts, in.name, c, &in.status); err != nil {
		return err
	}
	in.updateCursorMetrics(c)
	in.status.update(func(s *Status) { s.Cursor = c.summary() })
	return nil
}

// updateCursorMetrics reports a committed cursor: its position, and the
// lag, which is the age of the oldest event not yet shipped: 0 once a walk
// completed and everything it read was delivered (c.caughtUp); during a
// walk, now minus the newest event below which everything is committed
// (the watermark; in a first newest-first walk, the lowest event shipped),
// an upper bound. A quiet authentik thus shows 0, not a growing age.
func (in *EventsInput) updateCursorMetrics(c eventsCursor) {
	newest := c.Watermark
	if c.Walk != nil && c.Walk.Top.After(newest) {
		newest = c.Walk.Top
	}
	if !newest.IsZero() {
		in.opts.Metrics.CursorPosition.WithLabelValues(in.name).Set(float64(newest.UnixMilli()) / 1000)
	}
	shipped := c.Watermark
	if shipped.IsZero() && c.Walk != nil {
		shipped = c.Walk.Low
	}
	var lag float64
	switch {
	case c.caughtUp:
	case !shipped.IsZero():
		lag = max(0, in.opts.Now().Sub(shipped).Seconds())
	default:
		return // nothing committed yet: unknown
	}
	in.opts.Metrics.CursorLag.WithLabelValues(in.name).Set(lag)
	in.status.update(func(s *Status) { s.LagSeconds = &lag })
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
			if err := in.begin(ctx); err != nil {
				in.fails++
				if err := retryLater(ctx, &in.opts, in.fails, err, &in.status, in.name); err != nil {
					return agent.Batch{}, err
				}
				continue
			}
		}
		b, ok, err := in.walk.step(ctx)
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

// unplaced ships a record whose pk or created cannot be read, under its
// fingerprint, without moving the cursor: losing it would be worse, and the
// mapping marks what is wrong with it.
func (in *EventsInput) unplaced(raw []byte, err error, now time.Time) *agent.Event {
	in.opts.Log.Warn("event without a readable pk or created; shipping it as is", "input", in.name, "error", err)
	return in.newEvent(Fingerprint(raw), raw, now)
}

func (in *EventsInput) newEvent(id string, raw []byte, now time.Time) *agent.Event {
	return &agent.Event{Dataset: datasets.Event, ID: id, Raw: compact(raw), Collected: now}
}

// track registers next as the cursor after this page's events and returns
// their batch. finished ends the walk that began at started: its duration
// is observed and the poll counts as a success.
func (in *EventsInput) track(ctx context.Context, next eventsCursor, events []*agent.Event, finished bool,
	started time.Time) (agent.Batch, bool, error) {
	next.caughtUp = finished
	in.poll.newEvents += len(events)
	if finished {
		took := in.opts.Now().Sub(started)
		in.opts.Metrics.PollDuration.WithLabelValues(in.name).Observe(took.Seconds())
		in.opts.Log.Debug(PollDoneMessage, "input", in.name, "requests", in.poll.requests,
			"new_events", in.poll.newEvents, "duration", took)
		in.poll = pollCost{}
		in.status.update(func(s *Status) { s.LastSuccess, s.Handled, s.Total = in.opts.Now(), 0, 0 })
		in.walk, in.walked = nil, true
	}
	ack, err := in.tracker.Track(ctx, next)
	if err != nil {
		return agent.Batch{}, false, err
	}
	in.cur = next
	return agent.Batch{Events: events, Ack: ack}, true, nil
}

// PollDoneMessage is the message of the debug log line the events input
// writes when a poll completes, with its cost: requests (pages asked of
// authentik in the poll) and new_events (events it shipped that no earlier
// poll had).
const PollDoneMessage = "events poll done"

// Orderings of the events walks.
const (
	newestFirst = "-created,-pk" // the offset walk
	oldestFirst = "created,pk"   // the keyset walk
)

// fetch requests one page of size events in the given ordering (authentik's
// default when empty), restricted by search when it is not empty. A page
// asked for at the configured size teaches in.pages what authentik serves.
func (in *EventsInput) fetch(ctx context.Context, ordering, search string, page, size int) (*Page, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	if ordering != "" {
		q.Set("ordering", ordering)
	}
	if search != "" {
		q.Set("search", search)
	}
	in.poll.requests++
	p, err := in.client.List(ctx, in.name, eventsPath, q)
	if err == nil && size == in.cfg.PageSize {
		in.pages.observe(p.Pagination)
		in.cur.PageMax = in.pages.max
	}
	return p, err
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
