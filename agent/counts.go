package agent

import (
	"sync/atomic"

	"akship/internal/lazymap"
)

// Counts tallies the events that pass through a pipeline, per dataset and
// by outcome (read, delivered, dead-lettered, abandoned), and the events in
// flight, for /status, progress reports and run summaries. The pipeline
// keeps one (Pipeline.Counts); a Counts's methods are safe for concurrent
// use, and its zero value is empty and ready.
//
// What holds between them: read = delivered + dead-lettered + in flight +
// abandoned.
type Counts struct {
	byDataset lazymap.Map[Dataset, *tally]
	inFlight  atomic.Int64
}

// outcome is what became of counted events: an index into a tally.
type outcome int

const (
	read outcome = iota
	delivered
	deadLettered
	abandoned
	outcomes // the number of outcomes
)

// tally is one dataset's counts, by outcome.
type tally [outcomes]atomic.Int64

// Read returns how many events of dataset d the inputs produced.
func (c *Counts) Read(d Dataset) int64 { return c.get(d, read) }

// Delivered returns how many events of dataset d the output stored
// (including duplicates it already had).
func (c *Counts) Delivered(d Dataset) int64 { return c.get(d, delivered) }

// DeadLettered returns how many events of dataset d went to the dead-letter
// queue.
func (c *Counts) DeadLettered(d Dataset) int64 { return c.get(d, deadLettered) }

// Abandoned returns how many events of dataset d were given up undelivered
// (shutdown timeout, second signal, give-up): unacknowledged, so the next
// run reads them again.
func (c *Counts) Abandoned(d Dataset) int64 { return c.get(d, abandoned) }

// InFlight returns how many events were read and not yet acknowledged.
func (c *Counts) InFlight() int64 { return c.inFlight.Load() }

// AddCounts adds o's tallies (not its events in flight) to c: a daemon
// keeps its totals across the pipelines a reload replaces.
func (c *Counts) AddCounts(o *Counts) {
	o.byDataset.Range(func(d Dataset, t *tally) {
		to := c.of(d)
		for i := range t {
			to[i].Add(t[i].Load())
		}
	})
}

func (c *Counts) get(d Dataset, o outcome) int64 {
	t, ok := c.byDataset.Load(d)
	if !ok {
		return 0
	}
	return t[o].Load()
}

// of returns dataset d's tally, making it on first use.
func (c *Counts) of(d Dataset) *tally {
	return c.byDataset.Get(d, func(Dataset) *tally { return new(tally) })
}

// add counts n events with outcome o, the i-th of dataset dataset(i): one
// tally look-up per run of events of the same dataset (a batch has one).
func (c *Counts) add(o outcome, n int, dataset func(i int) Dataset) {
	for i := 0; i < n; {
		d := dataset(i)
		j := i + 1
		for j < n && dataset(j) == d {
			j++
		}
		c.of(d)[o].Add(int64(j - i))
		i = j
	}
}

// addEvents counts events with outcome o.
func (c *Counts) addEvents(o outcome, evs []*Event) {
	c.add(o, len(evs), func(i int) Dataset { return evs[i].Dataset })
}

// addItems counts items with outcome o.
func (c *Counts) addItems(o outcome, items []item) {
	c.add(o, len(items), func(i int) Dataset { return items[i].ev.Dataset })
}
