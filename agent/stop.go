package agent

import (
	"context"
	"sync"
)

// stopper ends a run early: halt stops it for a reason of its own (a
// configuration mistake, an output that stayed down past GiveUpAfter) and
// abandons what is undelivered at once; Abort cuts a shutdown's drain
// short (a second SIGTERM/SIGINT). Either way only acknowledged events are
// committed: abandoned batches are acknowledged with an error, so their
// cursors do not move.
type stopper struct {
	mu        sync.Mutex
	err       error
	cancelRun context.CancelFunc
	cancelDr  context.CancelFunc
	abort     chan struct{} // made on first use (start or Abort), closed by Abort
}

// abortChan returns the channel Abort closes, making it on first use; the
// caller holds mu.
func (s *stopper) abortChan() chan struct{} {
	if s.abort == nil {
		s.abort = make(chan struct{})
	}
	return s.abort
}

// start records how to stop the run and returns the channel Abort closes.
func (s *stopper) start(cancelRun, cancelDrain context.CancelFunc) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelRun, s.cancelDr = cancelRun, cancelDrain
	return s.abortChan()
}

// halt stops the run with err as its cause; the first cause wins.
func (s *stopper) halt(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = err
	if s.cancelDr != nil {
		s.cancelDr()
		s.cancelRun()
	}
}

// cause is the error halt recorded, or nil.
func (s *stopper) cause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// halt stops the run because of err (see stopper).
func (p *Pipeline) halt(err error) { p.stops.halt(err) }

// Abort makes a pipeline that is draining after its context ended stop at
// once: undelivered events are abandoned unacknowledged and read again by
// the next run. It is meant for a second SIGTERM/SIGINT and is safe to call
// from any goroutine, at any time, more than once.
func (p *Pipeline) Abort() {
	p.stops.mu.Lock()
	defer p.stops.mu.Unlock()
	ch := p.stops.abortChan()
	select {
	case <-ch: // aborted already
	default:
		close(ch)
	}
}
