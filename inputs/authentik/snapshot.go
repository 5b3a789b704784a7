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

// SnapshotInput lists every user or every group each interval, ordered by
// pk with the nested objects left out (include_groups=false /
// include_users=false: they make authentik's listing slow and the reference
// documents omit them too). authentik keeps no change timestamps on users
// and groups, so a snapshot is the only complete view; each record's
// document id is its fingerprint, so unchanged records are absorbed by
// Elasticsearch and a changed one becomes a new document.
type SnapshotInput struct {
	name    string
	dataset agent.Dataset
	path    string
	extra   url.Values
	cfg     SnapshotConfig
	client  *Client
	opts    InputOptions

	tracker *agent.Tracker[snapshotCursor]
	cur     snapshotCursor
	page    int // next page of the snapshot in progress (0 = none)
	size    int // the page size the page numbers count (the size served)
	pages   pageSizes
	took    bool // a snapshot completed in this run
	fails   int
	status  statusBox
}

// NewUsers returns the users input.
func NewUsers(cfg SnapshotConfig, client *Client, opts InputOptions) *SnapshotInput {
	return newSnapshot("users", datasets.User, "core/users/", "include_groups", cfg, client, opts)
}

// NewGroups returns the groups input.
func NewGroups(cfg SnapshotConfig, client *Client, opts InputOptions) *SnapshotInput {
	return newSnapshot("groups", datasets.Group, "core/groups/", "include_users", cfg, client, opts)
}

func newSnapshot(name string, d agent.Dataset, path, include string, cfg SnapshotConfig, client *Client,
	opts InputOptions) *SnapshotInput {
	opts.defaults()
	in := &SnapshotInput{name: name, dataset: d, path: path, cfg: cfg, client: client, opts: opts,
		extra: url.Values{include: {"false"}, "ordering": {"pk"}}}
	in.status.bind(name, in.opts.Metrics)
	in.pages = pageSizes{asked: cfg.PageSize, log: opts.Log, input: name}
	return in
}

// Start loads the cursor.
func (in *SnapshotInput) Start(context.Context) error {
	if _, err := in.opts.Store.Load(in.name, &in.cur); err != nil {
		return err
	}
	in.tracker = agent.NewTracker(in.opts.MaxInFlight, in.commit)
	return nil
}

// commit persists a checkpoint whose batches are all acknowledged.
func (in *SnapshotInput) commit(c snapshotCursor) error {
	if err := saveCursor(&in.opts, in.name, c, &in.status); err != nil {
		return err
	}
	in.status.update(func(s *Status) { s.Cursor = c })
	return nil
}

// Status reports the input's state.
func (in *SnapshotInput) Status() Status { return in.status.get() }

// Read returns the next page of the snapshot in progress, starting one when
// it is due.
func (in *SnapshotInput) Read(ctx context.Context) (agent.Batch, error) {
	for {
		if in.page == 0 {
			if in.took && in.opts.Once {
				return agent.Batch{}, agent.ErrEndOfInput
			}
			if err := in.begin(ctx); err != nil {
				return agent.Batch{}, err
			}
		}
		b, err := in.step(ctx)
		if err == nil {
			if in.fails > 0 {
				in.fails = 0
				in.status.update(func(s *Status) { s.FailingSince = time.Time{} })
			}
			return b, nil
		}
		in.fails++
		if err := retryLater(ctx, &in.opts, in.fails, err, &in.status, in.name); err != nil {
			return agent.Batch{}, err
		}
	}
}

// begin waits until a snapshot is due and starts it, or resumes an
// interrupted one that is still recent.
func (in *SnapshotInput) begin(ctx context.Context) error {
	now := in.opts.Now()
	if in.took {
		if err := sleepUntil(ctx, now, in.cur.Completed.Add(in.cfg.Interval)); err != nil {
			return err
		}
	} else {
		if c := in.cur.Current; c != nil && now.Sub(c.Started) < in.cfg.Interval {
			// PageSize is the size served then; expect the same cut now.
			if c.PageSize < in.cfg.PageSize {
				in.pages.max = c.PageSize
			}
			in.size = in.pages.size()
			in.page = repage(c.Page+1, c.PageSize, in.size)
			in.opts.Log.Info("resuming interrupted snapshot", "input", in.name, "page", in.page)
			return nil
		}
		if !in.opts.Once {
			// After a restart, wait for the interval to pass since the last
			// snapshot rather than listing everything again at once.
			if err := sleepUntil(ctx, now, in.cur.Completed.Add(in.cfg.Interval)); err != nil {
				return err
			}
		}
	}
	in.size = in.pages.size()
	in.cur.Current = &snapshotProgress{Started: in.opts.Now(), PageSize: in.size}
	in.page = 1
	return nil
}

// step fetches one page and emits its records.
func (in *SnapshotInput) step(ctx context.Context) (agent.Batch, error) {
	q := url.Values{}
	for k, v := range in.extra {
		q[k] = v
	}
	q.Set("page_size", strconv.Itoa(in.cfg.PageSize))
	var page *Page
	var err error
	for {
		q.Set("page", strconv.Itoa(in.page))
		page, err = in.client.List(ctx, in.name, in.path, q)
		if err != nil {
			break
		}
		served, known := in.pages.observe(page.Pagination)
		if !known || served == in.size {
			break
		}
		// authentik serves another size than the page number assumed:
		// convert it, and fetch again unless this was page 1.
		again := in.page > 1
		in.page, in.size = repage(in.page, in.size, served), served
		if !again {
			break
		}
	}
	last := false
	switch {
	case errors.Is(err, ErrInvalidPage):
		last = true // the collection shrank under us: the snapshot is done
	case err != nil:
		return agent.Batch{}, err
	default:
		last = page.Pagination.Next == 0
	}
	started := in.cur.Current.Started
	var events []*agent.Event
	if page != nil {
		events = make([]*agent.Event, 0, len(page.Results))
		for _, raw := range page.Results {
			events = append(events, &agent.Event{Dataset: in.dataset, ID: Fingerprint(raw), Raw: compact(raw),
				Collected: started})
		}
		handled := (in.page-1)*in.size + len(page.Results)
		in.status.update(func(s *Status) { s.Total, s.Handled = page.Pagination.Count, handled })
	}
	next := snapshotCursor{Completed: in.cur.Completed,
		Current: &snapshotProgress{Started: started, Page: in.page, PageSize: in.size}}
	if last {
		next = snapshotCursor{Completed: started}
	}
	ack, err := in.tracker.Track(ctx, next)
	if err != nil {
		return agent.Batch{}, fmt.Errorf("tracking %s page failed: %w", in.name, err)
	}
	if last {
		in.page, in.took = 0, true
		in.cur = next
		in.opts.Metrics.PollDuration.WithLabelValues(in.name).Observe(in.opts.Now().Sub(started).Seconds())
		in.status.update(func(s *Status) { s.LastSuccess, s.Handled, s.Total = in.opts.Now(), 0, 0 })
	} else {
		in.cur = next
		in.page++
	}
	return agent.Batch{Events: events, Ack: ack}, nil
}

// Close saves the newest acknowledged cursor if an earlier save failed.
func (in *SnapshotInput) Close(context.Context) error {
	if in.tracker == nil {
		return nil
	}
	return in.tracker.Flush()
}
