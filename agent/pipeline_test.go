package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPipelineRunOnceDeliversEverything(t *testing.T) {
	tests := []struct {
		name                   string
		sources, batches, size int
		policy                 BatchPolicy
	}{
		{name: "one source", sources: 1, batches: 5, size: 3,
			policy: BatchPolicy{MaxEvents: 4, FlushInterval: time.Millisecond, Concurrency: 1}},
		{name: "three sources, concurrent writers", sources: 3, batches: 20, size: 7,
			policy: BatchPolicy{MaxEvents: 5, FlushInterval: time.Millisecond, Concurrency: 3}},
		{name: "batches larger than a write", sources: 2, batches: 4, size: 25,
			policy: BatchPolicy{MaxEvents: 10, FlushInterval: time.Hour, Concurrency: 2}},
		{name: "byte bound", sources: 2, batches: 30, size: 1,
			policy: BatchPolicy{MaxEvents: 1000, MaxBytes: 1000, FlushInterval: time.Hour, Concurrency: 2}},
		{name: "default policy", sources: 1, batches: 3, size: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink(tt.policy)
			var srcs []*testSource
			for i := range tt.sources {
				s := newTestSource(t, fmt.Sprintf("s%d", i), tt.batches, tt.size, 4)
				s.stored = sink.has
				srcs = append(srcs, s)
			}
			p := newPipeline(sink, nil, srcs...)
			if err := run(t, p); err != nil {
				t.Fatalf("Run = %v", err)
			}
			for _, s := range srcs {
				s.checkAcks(tt.batches, never)
				if got := s.commits.get(); len(got) == 0 || got[len(got)-1] != tt.batches-1 {
					t.Errorf("%s commits = %v, want the last to be %d", s.name, got, tt.batches-1)
				}
				if s.closed.Load() != 1 {
					t.Errorf("%s closed %d times", s.name, s.closed.Load())
				}
				for _, b := range s.batches {
					for _, e := range b {
						if n := sink.stored[e.ID]; n != 1 {
							t.Errorf("event %s stored %d times, want once", e.ID, n)
						}
					}
				}
			}
			total := int64(tt.sources * tt.batches * tt.size)
			if got := p.Counts.Read(DatasetEvent); got != total {
				t.Errorf("Counts.Read = %d, want %d", got, total)
			}
			if got := p.Counts.Delivered(DatasetEvent); got != total {
				t.Errorf("Counts.Delivered = %d, want %d", got, total)
			}
			for _, c := range sink.writeCalls() {
				if max := p.policy.MaxEvents; len(c) > max {
					t.Errorf("a Write got %d events, policy allows %d", len(c), max)
				}
			}
			if sink.closed != 1 {
				t.Errorf("output closed %d times", sink.closed)
			}
		})
	}
}

func TestPipelineProcessorErrorsMarkTheDocument(t *testing.T) {
	fail := func(msg string) Processor {
		return procFunc(func(context.Context, *Event) error { return errors.New(msg) })
	}
	mapWith := func(tags any) Processor {
		return procFunc(func(_ context.Context, e *Event) error {
			doc := map[string]any{"event": map[string]any{"action": "login"}}
			if tags != nil {
				doc["tags"] = tags
			}
			return e.SetDocument(doc)
		})
	}
	const raw = `{"pk":"s-0-0"}`
	tests := []struct {
		name  string
		procs []Processor
		want  map[string]any
	}{
		// The minimal document names no dataset: the output adds event.dataset
		// and data_stream to every document it writes (its tests check that
		// it does for this one).
		{name: "unmapped event", procs: []Processor{fail("geoip: bad address")}, want: map[string]any{
			"@timestamp": "2023-11-14T22:13:20Z",
			"event":      map[string]any{"original": raw, "kind": "pipeline_error"},
			"error":      map[string]any{"message": "geoip: bad address"},
			"tags":       []any{"preserve_original_event"},
		}},
		{name: "mapped, two failures", procs: []Processor{mapWith([]any{"authentik"}), fail("a"), fail("b")},
			want: map[string]any{
				"event": map[string]any{"action": "login", "original": raw, "kind": "pipeline_error"},
				"error": map[string]any{"message": []any{"a", "b"}},
				"tags":  []any{"authentik", "preserve_original_event"},
			}},
		{name: "string tags kept", procs: []Processor{mapWith([]string{"authentik"}), fail("a")},
			want: map[string]any{
				"event": map[string]any{"action": "login", "original": raw, "kind": "pipeline_error"},
				"error": map[string]any{"message": "a"},
				"tags":  []any{"authentik", "preserve_original_event"},
			}},
		{name: "no failure", procs: []Processor{mapWith(nil)},
			want: map[string]any{"event": map[string]any{"action": "login"}}},
		{name: "no processor: minimal document", want: map[string]any{
			"@timestamp": "2023-11-14T22:13:20Z",
			"event":      map[string]any{"original": raw},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink(BatchPolicy{MaxEvents: 10, FlushInterval: time.Millisecond})
			src := newTestSource(t, "s", 1, 1, 1)
			src.stored = sink.has
			p := newPipeline(sink, nil, src)
			p.Sources[0].Processors = tt.procs
			if err := run(t, p); err != nil {
				t.Fatalf("Run = %v", err)
			}
			src.checkAcks(1, never)
			if got := sink.docs["s-0-0"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("document:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestPipelineEmptyBatchesAckedAtOnce checks that an empty batch is
// acknowledged while the output is still busy, and that its checkpoint is
// nevertheless not committed before the batch ahead of it.
func TestPipelineEmptyBatchesAckedAtOnce(t *testing.T) {
	gate := make(chan struct{})
	sink := newSink(BatchPolicy{MaxEvents: 10, FlushInterval: time.Millisecond})
	sink.write = func(context.Context, int, []*Event) error { <-gate; return nil }
	src := newTestSource(t, "s", 4, 2, 10)
	src.batches[0], src.batches[2], src.batches[3] = nil, nil, nil
	src.stored = sink.has
	src.acked = make(chan int, 10)
	done := runAsync(context.Background(), newPipeline(sink, nil, src))
	for range 2 {
		if b := within(t, src.acked, "an empty batch's ack"); b == 1 {
			t.Fatal("batch 1 acknowledged before its Write returned")
		}
	}
	if got := src.commits.get(); !reflect.DeepEqual(got, []int{0}) {
		t.Errorf("commits while batch 1 is in flight = %v, want [0]", got)
	}
	close(gate)
	if err := within(t, done, "Run"); err != nil {
		t.Fatalf("Run = %v", err)
	}
	src.checkAcks(4, never)
	if got := src.commits.get(); got[len(got)-1] != 3 {
		t.Errorf("commits = %v, want the last to be 3", got)
	}
}

func TestPipelineInputErrorStopsOnlyThatInput(t *testing.T) {
	boom := errors.New("403 forbidden")
	sink := newSink(BatchPolicy{MaxEvents: 3, FlushInterval: time.Millisecond, Concurrency: 2})
	bad := newTestSource(t, "bad", 2, 2, 4)
	bad.failAfter = boom
	good := newTestSource(t, "good", 30, 2, 4)
	bad.stored, good.stored = sink.has, sink.has
	err := run(t, newPipeline(sink, nil, bad, good))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "input bad") {
		t.Fatalf("Run = %v, want the input's error naming it", err)
	}
	bad.checkAcks(2, never)
	good.checkAcks(30, never)
	if got := good.commits.get(); got[len(got)-1] != 29 {
		t.Errorf("good commits = %v, want the last to be 29", got)
	}
	if bad.closed.Load() != 1 || good.closed.Load() != 1 {
		t.Errorf("inputs closed %d and %d times, want once each", bad.closed.Load(), good.closed.Load())
	}
}

func TestPipelineStartFailureClosesWhatStarted(t *testing.T) {
	sink := newSink(BatchPolicy{})
	ok := newTestSource(t, "ok", 1, 1, 1)
	bad := newTestSource(t, "bad", 1, 1, 1)
	bad.startErr = errors.New("no token")
	err := run(t, newPipeline(sink, nil, ok, bad))
	if err == nil || !strings.Contains(err.Error(), "starting input bad failed: no token") {
		t.Fatalf("Run = %v", err)
	}
	if ok.closed.Load() != 1 || bad.closed.Load() != 0 || sink.closed != 1 {
		t.Errorf("closed: started input %d, failed input %d, output %d; want 1, 0, 1",
			ok.closed.Load(), bad.closed.Load(), sink.closed)
	}
}

func TestPipelineStartFailureReportsCloseErrors(t *testing.T) {
	sink := newSink(BatchPolicy{})
	ok := newTestSource(t, "ok", 1, 1, 1)
	ok.closeErr = errors.New("state file locked")
	bad := newTestSource(t, "bad", 1, 1, 1)
	bad.startErr = errors.New("no token")
	err := run(t, newPipeline(sink, nil, ok, bad))
	if err == nil || !strings.Contains(err.Error(), "starting input bad failed: no token") ||
		!strings.Contains(err.Error(), "closing input ok failed: state file locked") {
		t.Fatalf("Run = %v, want the start error and the close error", err)
	}
}

// The document a processor serialised reaches Write as it is: the output
// only frames it.
func TestPipelineDocumentsReachWriteSerialised(t *testing.T) {
	sink := newSink(BatchPolicy{MaxEvents: 4, FlushInterval: time.Millisecond, Concurrency: 2})
	var unencoded atomic.Int64
	sink.write = func(_ context.Context, _ int, evs []*Event) error {
		for _, e := range evs {
			if !json.Valid(e.Document) {
				unencoded.Add(1)
			}
		}
		return nil
	}
	src := newTestSource(t, "s", 6, 5, 4)
	src.stored = sink.has
	p := newPipeline(sink, nil, src)
	p.Sources[0].Processors = []Processor{procFunc(func(_ context.Context, e *Event) error {
		return e.SetDocument(map[string]any{"message": "mapped " + e.ID})
	})}
	if err := run(t, p); err != nil {
		t.Fatal(err)
	}
	src.checkAcks(6, never)
	if n := unencoded.Load(); n > 0 {
		t.Errorf("%d events reached Write without their serialised document", n)
	}
	if n := len(sink.docs); n != 30 {
		t.Errorf("%d documents stored, want each of the 30", n)
	}
	for id, doc := range sink.docs {
		if doc["message"] != "mapped "+id {
			t.Errorf("document of %s = %v", id, doc)
		}
	}
}
