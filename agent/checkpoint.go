package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Tracker turns acknowledgements that arrive in any order into commits that
// happen in order: the checkpoint of a batch is committed only once that
// batch and every batch tracked before it are acknowledged. An input tracks
// one checkpoint (its cursor after the batch) per batch it emits and gives
// the returned AckFunc to the batch.
//
// The tracker holds at most Capacity unacknowledged batches; Track blocks
// beyond that, which is how a slow output slows the input down (bounded
// memory whatever the backlog). After a batch is acknowledged with an error
// the tracker never commits it or anything after it, and Track fails: the
// cursor stays before the failed batch so a restart reads it again. Batches
// before the failed one still commit when they are acknowledged, so a
// shutdown that abandons one batch does not also re-read earlier, delivered
// ones.
type Tracker[C any] struct {
	commit func(C) error

	mu      sync.Mutex
	slots   chan struct{}
	pending []*trackEntry[C]
	failed  error
	last    error // result of the most recent commit attempt
	idle    chan struct{}
}

type trackEntry[C any] struct {
	cp   C
	done bool
}

// NewTracker returns a tracker allowing capacity unacknowledged batches that
// calls commit with the newest committable checkpoint. commit runs on the
// goroutine of the acknowledgement that made progress, one call at a time;
// if it fails the checkpoint is retried with the next acknowledgement (and
// by Flush), and the error is reported by Err.
func NewTracker[C any](capacity int, commit func(C) error) *Tracker[C] {
	if capacity < 1 {
		capacity = 1
	}
	return &Tracker[C]{commit: commit, slots: make(chan struct{}, capacity)}
}

// Track registers the checkpoint reached after the next batch and returns
// the batch's AckFunc. It blocks while Capacity batches are unacknowledged.
func (t *Tracker[C]) Track(ctx context.Context, cp C) (AckFunc, error) {
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	t.mu.Lock()
	if t.failed != nil {
		t.mu.Unlock()
		<-t.slots
		return nil, fmt.Errorf("an earlier batch failed: %w", t.failed)
	}
	e := &trackEntry[C]{cp: cp}
	t.pending = append(t.pending, e)
	t.mu.Unlock()
	var once sync.Once
	return func(_ context.Context, err error) {
		once.Do(func() { t.ack(e, err) })
	}, nil
}

func (t *Tracker[C]) ack(e *trackEntry[C], err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() { <-t.slots }()
	if err != nil {
		if t.failed == nil {
			t.failed = err
		}
		t.signalIdle()
		return
	}
	e.done = true
	t.commitDone()
	t.signalIdle()
}

// commitDone commits the checkpoint of the longest acknowledged prefix of
// pending, if there is one, and drops the prefix. A failed entry is never
// done, so the prefix stops before it even when t.failed is set: earlier
// batches may still commit, later never. When the commit fails the newest
// entry of the prefix stays, so a later ack or Flush retries it. Called
// with mu held.
func (t *Tracker[C]) commitDone() {
	n := 0
	for n < len(t.pending) && t.pending[n].done {
		n++
	}
	if n == 0 {
		return
	}
	t.last = t.commit(t.pending[n-1].cp)
	if t.last != nil {
		n-- // keep the checkpoint for a retry
	}
	clear(t.pending[:n])
	t.pending = t.pending[n:]
}

// signalIdle wakes Wait when nothing is outstanding. Called with mu held.
func (t *Tracker[C]) signalIdle() {
	if t.idle != nil && t.outstanding() == 0 {
		close(t.idle)
		t.idle = nil
	}
}

// outstanding counts unacknowledged batches. Called with mu held.
func (t *Tracker[C]) outstanding() int {
	n := 0
	for _, e := range t.pending {
		if !e.done {
			n++
		}
	}
	if t.failed != nil {
		return 0
	}
	return n
}

// Wait blocks until every tracked batch is acknowledged (or one failed), or
// ctx ends.
func (t *Tracker[C]) Wait(ctx context.Context) error {
	t.mu.Lock()
	if t.outstanding() == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	ch := t.idle
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush retries a commit that failed earlier, if any, and returns its error.
func (t *Tracker[C]) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.commitDone()
	return t.last
}

// Err reports why the tracker stopped committing: the error of a failed
// batch, or of the last commit attempt. Nil when all is well.
func (t *Tracker[C]) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return errors.Join(t.failed, t.last)
}
