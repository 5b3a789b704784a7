package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"akship/internal/backoff"
)

// The dataset labels these tests give their events, as the authentik input
// labels its own.
const (
	DatasetEvent Dataset = "event"
	DatasetUser  Dataset = "user"
)

// testSource is an Input producing batches of events whose acknowledgements
// go through a Tracker, like the real inputs. It records every ack and
// checks, when a batch is acknowledged as delivered, that each of its
// events really is stored (by the output or the dead-letter queue).
type testSource struct {
	t         *testing.T
	name      string
	batches   [][]*Event
	endless   bool                 // after the batches, block until ctx ends instead of ErrEndOfInput
	failAfter error                // returned by Read after the batches
	startErr  error                // returned by Start
	closeErr  error                // returned by Close
	stored    func(id string) bool // nil = do not check

	tracker *Tracker[int]
	commits commitLog
	reads   atomic.Int64
	next    int
	closed  atomic.Int64

	mu      sync.Mutex
	acks    map[int]int   // batch → calls of its AckFunc
	ackErrs map[int]error // batch → error of its first ack
	acked   chan int      // every ack's batch, if non-nil
}

// newTestSource makes a source of n batches of size events each, with ids
// "<name>-<batch>-<index>". capacity bounds its unacknowledged batches.
func newTestSource(t *testing.T, name string, n, size, capacity int) *testSource {
	s := &testSource{t: t, name: name, acks: map[int]int{}, ackErrs: map[int]error{}}
	for b := range n {
		evs := make([]*Event, size)
		for i := range evs {
			evs[i] = &Event{Dataset: DatasetEvent, ID: fmt.Sprintf("%s-%d-%d", name, b, i),
				Raw: fmt.Appendf(nil, `{"pk":"%s-%d-%d"}`, name, b, i), Collected: time.Unix(1700000000, 0)}
		}
		s.batches = append(s.batches, evs)
	}
	s.tracker = NewTracker(capacity, s.commits.commit)
	return s
}

func (s *testSource) Start(context.Context) error { return s.startErr }
func (s *testSource) Close(context.Context) error { s.closed.Add(1); return s.closeErr }

func (s *testSource) Read(ctx context.Context) (Batch, error) {
	s.reads.Add(1)
	if s.next == len(s.batches) {
		if s.failAfter != nil {
			return Batch{}, s.failAfter
		}
		if !s.endless {
			return Batch{}, ErrEndOfInput
		}
		<-ctx.Done()
		return Batch{}, ctx.Err()
	}
	b := s.next
	ack, err := s.tracker.Track(ctx, b)
	if err != nil {
		return Batch{}, err
	}
	s.next++
	evs := s.batches[b]
	return Batch{Events: evs, Ack: func(ctx context.Context, err error) {
		s.mu.Lock()
		s.acks[b]++
		if s.acks[b] == 1 {
			s.ackErrs[b] = err
		}
		s.mu.Unlock()
		if err == nil && s.stored != nil {
			for _, e := range evs {
				if !s.stored(e.ID) {
					s.t.Errorf("batch %s/%d acknowledged before event %s was stored", s.name, b, e.ID)
				}
			}
		}
		ack(ctx, err)
		if s.acked != nil {
			s.acked <- b
		}
	}}, nil
}

// checkAcks asserts that each of the first n batches was acknowledged
// exactly once, with an error exactly for the batches in failed.
func (s *testSource) checkAcks(n int, failed func(b int) bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for b := range n {
		if s.acks[b] != 1 {
			s.t.Errorf("%s batch %d acknowledged %d times, want once", s.name, b, s.acks[b])
			continue
		}
		if gotErr := s.ackErrs[b] != nil; gotErr != failed(b) {
			s.t.Errorf("%s batch %d acknowledged with error %v, want an error: %v", s.name, b, s.ackErrs[b], failed(b))
		}
	}
	for b := range s.acks {
		if b >= n {
			s.t.Errorf("%s batch %d acknowledged but never expected", s.name, b)
		}
	}
}

func never(int) bool { return false }

// sinkOutput is an Output that stores events in memory. write, when set,
// decides each call's fate: nil stores all, a *PartialError stores the
// events it does not list, any other error stores none.
type sinkOutput struct {
	policy BatchPolicy
	write  func(ctx context.Context, call int, evs []*Event) error

	mu     sync.Mutex
	calls  [][]string // ids per Write call
	stored map[string]int
	docs   map[string]map[string]any
	closed int
}

func newSink(policy BatchPolicy) *sinkOutput {
	return &sinkOutput{policy: policy, stored: map[string]int{}, docs: map[string]map[string]any{}}
}

func (s *sinkOutput) Start(context.Context) error { return nil }
func (s *sinkOutput) BatchPolicy() BatchPolicy    { return s.policy }
func (s *sinkOutput) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

// Destination makes the sink a Router, as Elasticsearch is.
func (s *sinkOutput) Destination(e *Event) string {
	return "logs-authentik." + string(e.Dataset) + "-default"
}

func (s *sinkOutput) Write(ctx context.Context, evs []*Event) error {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	s.mu.Lock()
	call := len(s.calls)
	s.calls = append(s.calls, ids)
	s.mu.Unlock()
	var err error
	if s.write != nil {
		err = s.write(ctx, call, evs)
	}
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range evs {
		if pe != nil && pe.Failed[i] != nil {
			continue
		}
		s.stored[e.ID]++
		s.docs[e.ID] = e.DecodeDocument()
	}
	return err
}

func (s *sinkOutput) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored[id] > 0
}

func (s *sinkOutput) writeCalls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// memDLQ is a DeadLetterQueue in memory; its first fail Puts fail.
type memDLQ struct {
	mu      sync.Mutex
	fail    int
	puts    int
	entries []DeadLetterEntry
}

func (q *memDLQ) Put(entries []DeadLetterEntry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.puts++
	if q.fail > 0 {
		q.fail--
		return errors.New("dead-letter disk full")
	}
	q.entries = append(q.entries, entries...)
	return nil
}

func (q *memDLQ) has(id string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range q.entries {
		if e.ID == id {
			return true
		}
	}
	return false
}

func (q *memDLQ) ids() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, e := range q.entries {
		out = append(out, e.ID)
	}
	return out
}

// procFunc adapts a function to Processor.
type procFunc func(ctx context.Context, e *Event) error

func (f procFunc) Process(ctx context.Context, e *Event) error { return f(ctx, e) }

// fakeWait replaces the pipeline's retry timer: it records each delay and
// fires at once, so retry tests take no time and can assert the delays.
type fakeWait struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (f *fakeWait) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.delays = append(f.delays, d)
	f.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

func (f *fakeWait) get() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.delays)
}

// newPipeline wires sources to out with small, test-friendly settings.
func newPipeline(out Output, dlq DeadLetterQueue, srcs ...*testSource) *Pipeline {
	p := &Pipeline{Output: out, Workers: 2, ShutdownTimeout: 10 * time.Second,
		Retry: backoff.Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond}}
	if dlq != nil {
		p.DeadLetter = dlq
	}
	for _, s := range srcs {
		p.Sources = append(p.Sources, Source{Name: s.name, Input: s})
	}
	return p
}

// runAsync runs p and delivers Run's error.
func runAsync(ctx context.Context, p *Pipeline) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return done
}

// run runs p to completion, failing the test if it takes unreasonably long.
func run(t *testing.T, p *Pipeline) error {
	t.Helper()
	return within(t, runAsync(context.Background(), p), "Run to return")
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// setDocument stores doc as e's document, as a processor does.
func setDocument(t *testing.T, e *Event, doc map[string]any) {
	t.Helper()
	if err := e.SetDocument(doc); err != nil {
		t.Fatal(err)
	}
}
