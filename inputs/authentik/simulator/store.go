package simulator

import (
	"bytes"
	"slices"
	"time"
)

// eventRec is all the simulator stores per event (32 bytes): everything else
// is rendered on request from (seed, idx).
type eventRec struct {
	idx     uint64   // generation index: drives the event's content
	created int64    // unix microseconds
	pk      [16]byte // event uuid
}

// recCompare orders records by (created, pk), the store's order.
func recCompare(a, b eventRec) int {
	switch {
	case a.created < b.created:
		return -1
	case a.created > b.created:
		return 1
	}
	return bytes.Compare(a.pk[:], b.pk[:])
}

// eventStore keeps events sorted by (created, pk). It is not safe for
// concurrent use; the Simulator guards it with its mutex.
type eventStore struct {
	recs    []eventRec
	nextIdx uint64
}

// newEventStore generates n events ending a few seconds before now, one to
// sixty seconds apart, some with exactly zero microseconds.
func newEventStore(g *generator, n int, now time.Time) *eventStore {
	s := &eventStore{recs: make([]eventRec, n), nextIdx: uint64(n)}
	r := newRNG(g.seed, 0, streamTimeline)
	t := now.UnixMicro() - int64(r.between(2_000_000, 5_000_000))
	for i := n - 1; i >= 0; i-- {
		idx := uint64(i)
		s.recs[i] = eventRec{idx: idx, created: t, pk: g.pkFor(idx)}
		gap := newRNG(g.seed, idx, streamTimeline)
		t -= int64(gap.between(1_000_000, 60_000_000))
		if gap.chance(0.02) {
			t -= t % 1_000_000 // an event stamped on the exact second
		}
	}
	return s
}

// insert adds a record at its sorted position.
func (s *eventStore) insert(r eventRec) {
	i, _ := slices.BinarySearchFunc(s.recs, r, recCompare)
	s.recs = slices.Insert(s.recs, i, r)
}

// newRec allocates the next generation index for an event created at t.
func (s *eventStore) newRec(g *generator, created int64) eventRec {
	idx := s.nextIdx
	s.nextIdx++
	return eventRec{idx: idx, created: created, pk: g.pkFor(idx)}
}

// expireOldest deletes up to n of the oldest events and returns how many.
func (s *eventStore) expireOldest(n int) int {
	n = min(max(n, 0), len(s.recs))
	if n == 0 {
		return 0
	}
	// Re-slicing is O(1); the dropped head is reclaimed when the next
	// insert outgrows the capacity and reallocates.
	s.recs = s.recs[n:]
	return n
}

// delete removes the event with the given uuid.
func (s *eventStore) delete(pk [16]byte) bool {
	i := s.find(pk)
	if i < 0 {
		return false
	}
	s.recs = slices.Delete(s.recs, i, i+1)
	return true
}

// find returns the position of the event with the given uuid, or -1. A scan
// is fine for a test double: 1M comparisons take about a millisecond.
func (s *eventStore) find(pk [16]byte) int {
	for i := range s.recs {
		if s.recs[i].pk == pk {
			return i
		}
	}
	return -1
}
