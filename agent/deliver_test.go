package agent

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"akship/internal/backoff"
)

func TestBackoffDelay(t *testing.T) {
	b := backoff.Policy{Initial: 100 * time.Millisecond, Max: time.Second, MaxRetryAfter: time.Minute}
	plain := errors.New("503")
	tests := []struct {
		name     string
		attempt  int
		err      error
		min, max time.Duration
	}{
		{name: "first", attempt: 0, err: plain, min: 50 * time.Millisecond, max: 100 * time.Millisecond},
		{name: "third doubles twice", attempt: 2, err: plain, min: 200 * time.Millisecond, max: 400 * time.Millisecond},
		{name: "capped at max", attempt: 50, err: plain, min: 500 * time.Millisecond, max: time.Second},
		{name: "retry-after longer wins", attempt: 0, err: WithRetryAfter(plain, 7*time.Second),
			min: 7 * time.Second, max: 7 * time.Second},
		{name: "retry-after capped", attempt: 0, err: WithRetryAfter(plain, time.Hour), min: time.Minute, max: time.Minute},
		{name: "retry-after shorter loses", attempt: 3, err: WithRetryAfter(plain, time.Millisecond),
			min: 400 * time.Millisecond, max: 800 * time.Millisecond},
		{name: "wrapped retry-after", attempt: 0, err: fmt.Errorf("bulk: %w", WithRetryAfter(plain, 3*time.Second)),
			min: 3 * time.Second, max: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := retryDelay(b, tt.attempt, tt.err); d < tt.min || d > tt.max {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.max)
				}
			}
		})
	}
	if d := retryDelay(backoff.Policy{}, 0, plain); d < 125*time.Millisecond || d > 250*time.Millisecond {
		t.Errorf("default first delay = %v, want within [125ms, 250ms]", d)
	}
}

// TestPipelineRetries drives one batch of five events (e0..e4, one Write
// each attempt) through programmed output failures.
func TestPipelineRetries(t *testing.T) {
	e503, e429 := errors.New("503 unavailable"), errors.New("429 too many requests")
	e400 := Permanent(errors.New("400 mapper_parsing_exception"))
	all := []int{0, 1, 2, 3, 4}
	tests := []struct {
		name      string
		fail      map[int]error // Write call → its error
		noDLQ     bool
		dlqFails  int
		wantCalls [][]int // event indexes of each Write call
		wantDead  []int
		wantWait  []time.Duration // minimum delay before each retry
	}{
		{name: "transient twice", fail: map[int]error{0: e503, 1: e503},
			wantCalls: [][]int{all, all, all}, wantWait: []time.Duration{0, 0}},
		{name: "retry-after honoured", fail: map[int]error{0: WithRetryAfter(e429, 7*time.Second)},
			wantCalls: [][]int{all, all}, wantWait: []time.Duration{7 * time.Second}},
		{name: "partial: only failed items retried, permanent dead-lettered",
			fail:      map[int]error{0: &PartialError{Failed: map[int]error{1: e429, 3: e400}}},
			wantCalls: [][]int{all, {1}}, wantDead: []int{3}, wantWait: []time.Duration{0}},
		{name: "partial with retry-after",
			fail:      map[int]error{0: WithRetryAfter(&PartialError{Failed: map[int]error{4: e429}}, 5*time.Second)},
			wantCalls: [][]int{all, {4}}, wantWait: []time.Duration{5 * time.Second}},
		{name: "partial twice", fail: map[int]error{
			0: &PartialError{Failed: map[int]error{1: e429, 2: e429}},
			1: &PartialError{Failed: map[int]error{1: e429}}, // index into [e1 e2]: e2
		}, wantCalls: [][]int{all, {1, 2}, {2}}, wantWait: []time.Duration{0, 0}},
		{name: "permanent call dead-letters all", fail: map[int]error{0: e400},
			wantCalls: [][]int{all}, wantDead: all},
		{name: "dead-letter queue failing: retried, not lost", dlqFails: 1, fail: map[int]error{
			0: &PartialError{Failed: map[int]error{2: e400}},
			1: &PartialError{Failed: map[int]error{0: e400}},
		}, wantCalls: [][]int{all, {2}}, wantDead: []int{2}, wantWait: []time.Duration{0}},
		{name: "permanent without a dead-letter queue: retried", noDLQ: true,
			fail:      map[int]error{0: e400, 1: &PartialError{Failed: map[int]error{0: e400}}},
			wantCalls: [][]int{all, all, {0}}, wantWait: []time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink(BatchPolicy{MaxEvents: 5, FlushInterval: time.Hour})
			sink.write = func(_ context.Context, call int, _ []*Event) error { return tt.fail[call] }
			dlq := &memDLQ{fail: tt.dlqFails}
			src := newTestSource(t, "s", 1, 5, 1)
			src.stored = func(id string) bool { return sink.has(id) || dlq.has(id) }
			p := newPipeline(sink, dlq, src)
			if tt.noDLQ {
				p.DeadLetter = nil
			}
			var wait fakeWait
			p.after = wait.after
			if err := run(t, p); err != nil {
				t.Fatalf("Run = %v", err)
			}
			src.checkAcks(1, never)
			var gotCalls [][]int
			for _, c := range sink.writeCalls() {
				var idx []int
				for _, id := range c {
					var i int
					fmt.Sscanf(id, "s-0-%d", &i)
					idx = append(idx, i)
				}
				gotCalls = append(gotCalls, idx)
			}
			if !reflect.DeepEqual(gotCalls, tt.wantCalls) {
				t.Errorf("Write calls = %v, want %v", gotCalls, tt.wantCalls)
			}
			var wantDead []string
			for _, i := range tt.wantDead {
				wantDead = append(wantDead, fmt.Sprintf("s-0-%d", i))
			}
			if got := dlq.ids(); !slices.Equal(got, wantDead) {
				t.Errorf("dead-lettered %v, want %v", got, wantDead)
			}
			for i := range 5 {
				id := fmt.Sprintf("s-0-%d", i)
				if n := sink.stored[id]; n != 1 && !slices.Contains(wantDead, id) {
					t.Errorf("%s stored %d times, want once", id, n)
				}
			}
			delays := wait.get()
			if len(delays) != len(tt.wantWait) {
				t.Fatalf("waited %d times (%v), want %d", len(delays), delays, len(tt.wantWait))
			}
			for i, d := range delays {
				if d < tt.wantWait[i] || (tt.wantWait[i] == 0 && d > p.Retry.Max) {
					t.Errorf("delay %d = %v, want at least %v and within the backoff", i, d, tt.wantWait[i])
				}
			}
		})
	}
}

func TestPipelineDeadLetterEntries(t *testing.T) {
	sink := newSink(BatchPolicy{MaxEvents: 2, FlushInterval: time.Hour})
	reason := Permanent(errors.New(`400 document_parsing_exception: failed to parse field [source.ip]`))
	sink.write = func(context.Context, int, []*Event) error {
		return &PartialError{Failed: map[int]error{0: reason, 1: reason}}
	}
	dlq := &memDLQ{}
	src := newTestSource(t, "s", 1, 2, 1)
	mapped := map[string]any{"source": map[string]any{"ip": "not-an-ip"}}
	setDocument(t, src.batches[0][0], mapped)
	src.batches[0][1].Dataset = DatasetUser
	src.stored = dlq.has
	p := newPipeline(sink, dlq, src)
	start := time.Now()
	if err := run(t, p); err != nil {
		t.Fatalf("Run = %v", err)
	}
	src.checkAcks(1, never)
	want := []DeadLetterEntry{
		{Dataset: DatasetEvent, ID: "s-0-0", Destination: "logs-authentik.event-default", Error: reason.Error(),
			Document: mapped},
		{Dataset: DatasetUser, ID: "s-0-1", Destination: "logs-authentik.user-default", Error: reason.Error(),
			Document: src.batches[0][1].MinimalDocument()},
	}
	if len(dlq.entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(dlq.entries), len(want), dlq.entries)
	}
	for i, got := range dlq.entries {
		if got.Time.Before(start.Add(-time.Second)) || got.Time.Location() != time.UTC {
			t.Errorf("entry %d time %v: want a UTC time of this run", i, got.Time)
		}
		got.Time = time.Time{}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if p.Counts.DeadLettered(DatasetEvent) != 1 || p.Counts.DeadLettered(DatasetUser) != 1 ||
		p.Counts.Delivered(DatasetEvent) != 0 {
		t.Errorf("counts: dead-lettered %d+%d, delivered %d; want 1+1, 0", p.Counts.DeadLettered(DatasetEvent),
			p.Counts.DeadLettered(DatasetUser), p.Counts.Delivered(DatasetEvent))
	}
}

// settle waits until n stops changing for a while (or gives up after a
// generous deadline) and returns its value.
func settle(n *atomic.Int64) int64 {
	deadline := time.Now().Add(5 * time.Second)
	prev := n.Load()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		cur := n.Load()
		if cur == prev && cur > 0 {
			return cur
		}
		prev = cur
	}
	return n.Load()
}

func TestPipelineBackPressure(t *testing.T) {
	const workers, concurrency = 2, 1
	// A blocked pipeline holds: one batch in the reader, cap(jobs) = 2 per
	// source, one per worker and per slot of the processed queue, one in the
	// batcher and one per writer.
	const pipelineBound = 1 + 2 + 2*workers + 1 + concurrency
	tests := []struct {
		name      string
		capacity  int // the input's Tracker
		wantReads int64
	}{
		{name: "tracker bound", capacity: 3, wantReads: 3 + 1}, // the last Read blocks in Track
		{name: "pipeline bound", capacity: 1000, wantReads: pipelineBound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink(BatchPolicy{MaxEvents: 1, FlushInterval: time.Millisecond, Concurrency: concurrency})
			sink.write = func(ctx context.Context, _ int, _ []*Event) error { <-ctx.Done(); return ctx.Err() }
			src := newTestSource(t, "s", 1000, 1, tt.capacity)
			p := newPipeline(sink, nil, src)
			p.Workers = workers
			p.ShutdownTimeout = 20 * time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			done := runAsync(ctx, p)
			got := settle(&src.reads)
			t.Logf("%d reads with the output blocked", got)
			if got > tt.wantReads {
				t.Errorf("the input was read %d times with the output blocked, want at most %d", got, tt.wantReads)
			}
			cancel()
			if err := within(t, done, "Run after cancel"); err != nil {
				t.Fatalf("Run = %v", err)
			}
			read := src.next
			src.checkAcks(read, func(int) bool { return true })
			if got := src.commits.get(); len(got) != 0 {
				t.Errorf("commits %v with nothing delivered", got)
			}
		})
	}
}

func TestPipelineShutdownDrainsInFlight(t *testing.T) {
	writing, gate := make(chan struct{}, 1), make(chan struct{})
	sink := newSink(BatchPolicy{MaxEvents: 2, FlushInterval: time.Millisecond})
	sink.write = func(context.Context, int, []*Event) error {
		select {
		case writing <- struct{}{}:
		default:
		}
		<-gate
		return nil
	}
	src := newTestSource(t, "s", 3, 2, 10)
	src.endless = true
	src.stored = sink.has
	entered, procGate := make(chan struct{}), make(chan struct{})
	p := newPipeline(sink, nil, src)
	p.Sources[0].Processors = []Processor{procFunc(func(ctx context.Context, e *Event) error {
		if e.ID == "s-2-0" {
			close(entered)
			<-procGate
		}
		return ctx.Err() // what a processor honouring cancellation reports
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, p)
	within(t, writing, "the first Write")
	within(t, entered, "processing of the last batch")
	cancel()
	close(procGate)
	notYet(t, done, "Run returning while a Write is in flight")
	close(gate)
	if err := within(t, done, "Run"); err != nil {
		t.Fatalf("Run = %v", err)
	}
	src.checkAcks(3, never)
	if got := src.commits.get(); got[len(got)-1] != 2 {
		t.Errorf("commits = %v, want the last to be 2", got)
	}
	for id, doc := range sink.docs {
		if doc["error"] != nil {
			t.Errorf("%s shipped with %v: processors must not see the shutdown while draining", id, doc["error"])
		}
	}
}

func TestPipelineShutdownAbandonsAfterTimeout(t *testing.T) {
	tests := []struct {
		name      string
		delivered int // batches the output accepts; the rest fail forever
	}{
		{name: "nothing delivered", delivered: 0},
		{name: "first batch delivered", delivered: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink(BatchPolicy{MaxEvents: 2, FlushInterval: time.Millisecond})
			sink.write = func(_ context.Context, _ int, evs []*Event) error {
				var b int
				fmt.Sscanf(evs[0].ID, "s-%d-", &b)
				if b < tt.delivered {
					return nil
				}
				return errors.New("503 unavailable")
			}
			src := newTestSource(t, "s", 4, 2, 10)
			src.endless = true
			src.stored = sink.has
			p := newPipeline(sink, nil, src)
			p.ShutdownTimeout = 50 * time.Millisecond
			p.Workers = 1 // keep the batches in order, so the first is written first
			ctx, cancel := context.WithCancel(context.Background())
			done := runAsync(ctx, p)
			waitFor(t, "every batch read and the output retrying", func() bool {
				return src.reads.Load() > 4 && len(sink.writeCalls()) >= 3
			})
			cancelled := time.Now()
			cancel()
			if err := within(t, done, "Run after the shutdown timeout"); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if took := time.Since(cancelled); took < p.ShutdownTimeout {
				t.Errorf("Run returned %v after cancel, before the shutdown timeout %v", took, p.ShutdownTimeout)
			}
			src.checkAcks(4, func(b int) bool { return b >= tt.delivered })
			for _, c := range src.commits.get() {
				if c >= tt.delivered {
					t.Errorf("committed %d past an abandoned batch", c)
				}
			}
			if _, err := src.tracker.Track(context.Background(), 99); err == nil ||
				!strings.Contains(err.Error(), "earlier batch failed") {
				t.Errorf("Track after abandonment = %v, want the failure", err)
			}
		})
	}
}

func TestBatchRuns(t *testing.T) {
	a, b := &batchState{}, &batchState{}
	items := []item{{b: a}, {b: a}, {b: b}, {b: a}}
	var got []int
	batchRuns(items, func(bs *batchState, run []item) {
		for _, it := range run {
			if it.b != bs {
				t.Fatalf("run of %p holds an item of %p", bs, it.b)
			}
		}
		got = append(got, len(run))
	})
	if want := []int{2, 1, 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("run lengths = %v, want %v", got, want)
	}
	batchRuns(nil, func(*batchState, []item) { t.Error("a run of no items") })
}
