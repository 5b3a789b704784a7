package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"akship/internal/backoff"
)

// retryDelay is the wait before delivery retry number attempt (0-based)
// after err: the pipeline's backoff, or the Retry-After err carries when
// that is longer (see backoff.Policy).
func retryDelay(p backoff.Policy, attempt int, err error) time.Duration {
	after, _ := RetryAfter(err)
	return p.Delay(attempt, after)
}

// deliver writes items until each is stored, dead-lettered, or abandoned
// because ctx ended.
func (p *Pipeline) deliver(ctx context.Context, items []item) {
	for attempt := 0; len(items) > 0; attempt++ {
		if ctx.Err() != nil {
			// The shutdown timeout passed: abandon without writing. These
			// events may have been processed under the cancelled context,
			// and an output that ignores ctx would store such documents.
			p.abandon(items, ctx.Err())
			return
		}
		events := make([]*Event, len(items))
		for i, it := range items {
			events[i] = it.ev
		}
		start := time.Now()
		err := p.Output.Write(ctx, events)
		if err == nil {
			if p.health.succeeded(time.Now()) {
				p.Log.Info("delivery works again")
			}
			p.done(items, delivered)
			return
		}
		failingFor := p.health.failed(time.Now(), err)
		if ctx.Err() != nil {
			p.abandon(items, err)
			return
		}
		if m := misconfiguration(err); m != nil {
			p.halt(m)
			p.abandon(items, m)
			return
		}
		if p.GiveUpAfter > 0 && failingFor >= p.GiveUpAfter {
			p.halt(fmt.Errorf("%w: every write to the output failed for %s (pipeline.give_up_after); "+
				"the undelivered events will be read again by the next run; last error: %w",
				ErrGaveUp, failingFor.Round(time.Second), err))
			p.abandon(items, err)
			return
		}
		items = p.sortFailures(items, err)
		if len(items) == 0 {
			return
		}
		p.Metrics.OutputRetried.WithLabelValues(p.OutputName).Add(float64(len(items)))
		delay := retryDelay(p.Retry, attempt, err)
		p.logRetry(attempt, failingFor == 0, len(items), delay, time.Since(start), err)
		select {
		case <-p.after(delay):
		case <-ctx.Done():
			p.abandon(items, ctx.Err())
			return
		}
	}
}

// sortFailures acknowledges what was delivered, dead-letters what can never
// be, and returns what must be retried.
func (p *Pipeline) sortFailures(items []item, err error) []item {
	var pe *PartialError
	if !errors.As(err, &pe) {
		if IsPermanent(err) && p.deadLetter(items, err) {
			return nil
		}
		return items
	}
	var retry, stored, dead []item
	var deadErrs []error
	for i, it := range items {
		ierr, failed := pe.Failed[i]
		switch {
		case !failed:
			stored = append(stored, it)
		case IsPermanent(ierr):
			dead = append(dead, it)
			deadErrs = append(deadErrs, ierr)
		default:
			retry = append(retry, it)
		}
	}
	p.done(stored, delivered)
	if len(dead) > 0 && !p.deadLetterEach(dead, deadErrs) {
		retry = append(retry, dead...)
	}
	return retry
}

func (p *Pipeline) deadLetter(items []item, err error) bool {
	errs := make([]error, len(items))
	for i := range errs {
		errs[i] = err
	}
	return p.deadLetterEach(items, errs)
}

// deadLetterEach writes the items to the dead-letter queue and acknowledges
// them. It returns false (and acknowledges nothing) when the queue could not
// take them, so they are retried rather than lost.
func (p *Pipeline) deadLetterEach(items []item, errs []error) bool {
	if p.DeadLetter == nil {
		p.Log.Error("output rejected events permanently and no dead-letter queue is configured; retrying",
			"events", len(items), "error", errs[0])
		return false
	}
	entries := make([]DeadLetterEntry, len(items))
	router, _ := p.Output.(Router)
	for i, it := range items {
		entries[i] = newDeadLetterEntry(it.ev, errs[i], router)
	}
	if err := p.DeadLetter.Put(entries); err != nil {
		p.Log.Error("writing to the dead-letter queue failed; the events will be retried", "error", err)
		return false
	}
	for _, it := range items {
		p.Metrics.OutputDeadLettered.WithLabelValues(p.OutputName, string(it.ev.Dataset)).Inc()
	}
	p.Log.Warn("events dead-lettered", "events", len(items), "error", errs[0])
	p.done(items, deadLettered)
	return true
}

// done counts items as finished and acknowledges every batch whose last
// event this was.
func (p *Pipeline) done(items []item, o outcome) {
	p.Counts.addItems(o, items)
	batchRuns(items, func(b *batchState, run []item) {
		b.mu.Lock()
		b.remaining -= len(run)
		fire := b.remaining == 0 && !b.failed
		b.mu.Unlock()
		if fire {
			b.ack(context.Background(), nil)
		}
	})
	p.addInFlight(-len(items))
}

// abandon gives up on items (shutdown): their batches are acknowledged with
// the error, which keeps the inputs' cursors before them.
func (p *Pipeline) abandon(items []item, err error) {
	p.Counts.addItems(abandoned, items)
	batchRuns(items, func(b *batchState, _ []item) {
		b.mu.Lock()
		fire := !b.failed
		b.failed = true
		b.mu.Unlock()
		if fire {
			b.ack(context.Background(), err)
		}
	})
	p.addInFlight(-len(items))
}

// batchRuns calls f for every run of consecutive items of the same batch
// (a bulk usually holds whole batches), so a batch's mutex is taken once
// per run rather than once per event.
func batchRuns(items []item, f func(b *batchState, run []item)) {
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].b == items[i].b {
			j++
		}
		f(items[i].b, items[i:j])
		i = j
	}
}

// addInFlight moves the number of events in flight by n, in Counts (for
// the status) and in the metric together.
func (p *Pipeline) addInFlight(n int) {
	p.Counts.inFlight.Add(int64(n))
	p.Metrics.InFlightEvents.Add(float64(n))
}

// logRetry logs a failed write: a warning when delivery starts failing
// (first is set), at debug level while it goes on failing, so an output
// that is down for an hour costs one line, not one per attempt.
func (p *Pipeline) logRetry(attempt int, first bool, n int, delay, took time.Duration, err error) {
	level := p.Log.Debug
	if first {
		level = p.Log.Warn
	}
	level("delivery failed; retrying", "events", n, "attempt", attempt+1, "retry_in", delay.Round(time.Millisecond),
		"request_took", took.Round(time.Millisecond), "error", err)
}
