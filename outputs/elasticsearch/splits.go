package elasticsearch

import (
	"math"
	"sync"
	"sync/atomic"

	"akship/agent"
)

// splitHints remembers, for documents a server refused as part of a larger
// request (400 or 413), the request size they may be sent in next: half
// the refused one. The pipeline resends failed documents as the same
// *agent.Event after its backoff, so the hint halves the request once per
// backoff step. A hint is dropped once its document is delivered or
// rejected for good; documents still failing keep theirs, so the hints
// hold at most the documents in flight.
type splitHints struct {
	mu    sync.Mutex
	size  atomic.Int64
	limit map[*agent.Event]int
}

// active reports whether any hint is held: Write skips all lookups when
// none is (the common case).
func (s *splitHints) active() bool { return s.size.Load() > 0 }

// limitFor returns the largest request the event may be sent in, or
// math.MaxInt when it has no limit of its own.
func (s *splitHints) limitFor(e *agent.Event) int {
	s.mu.Lock()
	n := s.limit[e]
	s.mu.Unlock()
	if n > 0 {
		return n
	}
	return math.MaxInt
}

// set records that the event may be sent in requests of at most n
// documents.
func (s *splitHints) set(e *agent.Event, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit == nil {
		s.limit = map[*agent.Event]int{}
	}
	if _, ok := s.limit[e]; !ok {
		s.size.Add(1)
	}
	s.limit[e] = n
}

// settle drops the hints of the events that are done: delivered (not in
// failed) or failed permanently.
func (s *splitHints) settle(events []*agent.Event, failed map[int]error) {
	if !s.active() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range events {
		if _, ok := s.limit[e]; !ok {
			continue
		}
		if err, f := failed[i]; !f || agent.IsPermanent(err) {
			delete(s.limit, e)
			s.size.Add(-1)
		}
	}
}
