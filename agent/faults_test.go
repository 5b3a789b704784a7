package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestPipelineRandomFaults runs several sources through an output that
// fails at random (whole calls, retryable and permanent items, Retry-After)
// and checks the delivery promises: every batch acknowledged exactly once
// and only after its events are stored, every event stored or
// dead-lettered exactly once, every input's last checkpoint committed.
func TestPipelineRandomFaults(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			var mu sync.Mutex
			roll := func() float64 { mu.Lock(); defer mu.Unlock(); return rng.Float64() }
			policy := BatchPolicy{MaxEvents: 1 + rng.IntN(12), FlushInterval: time.Millisecond,
				Concurrency: 1 + rng.IntN(4)}
			sink := newSink(policy)
			sink.write = func(_ context.Context, _ int, evs []*Event) error {
				switch r := roll(); {
				case r < 0.15:
					return errors.New("502 bad gateway")
				case r < 0.20:
					return WithRetryAfter(errors.New("429"), time.Duration(1+int(r*100))*time.Second)
				case r < 0.45:
					pe := &PartialError{Failed: map[int]error{}}
					for i := range evs {
						switch r := roll(); {
						case r < 0.3:
							pe.Failed[i] = errors.New("429 es_rejected_execution_exception")
						case r < 0.35:
							pe.Failed[i] = Permanent(errors.New("400 mapper_parsing_exception"))
						}
					}
					return pe
				}
				return nil
			}
			dlq := &memDLQ{fail: rng.IntN(3)}
			stored := func(id string) bool { return sink.has(id) || dlq.has(id) }
			var srcs []*testSource
			for i := range 1 + rng.IntN(3) {
				s := newTestSource(t, fmt.Sprintf("s%d", i), 10+rng.IntN(30), 1+rng.IntN(6), 1+rng.IntN(6))
				for b := range s.batches {
					if rng.IntN(8) == 0 {
						s.batches[b] = nil
					}
				}
				s.stored = stored
				srcs = append(srcs, s)
			}
			p := newPipeline(sink, dlq, srcs...)
			p.Workers = 1 + rng.IntN(3)
			var wait fakeWait
			p.after = wait.after
			if err := run(t, p); err != nil {
				t.Fatalf("Run = %v", err)
			}
			dead := map[string]int{}
			for _, id := range dlq.ids() {
				dead[id]++
			}
			for _, s := range srcs {
				s.checkAcks(len(s.batches), never)
				if got := s.commits.get(); len(got) == 0 || got[len(got)-1] != len(s.batches)-1 {
					t.Errorf("%s commits = %v, want the last to be %d", s.name, got, len(s.batches)-1)
				}
				for _, b := range s.batches {
					for _, e := range b {
						if n := sink.stored[e.ID] + dead[e.ID]; n != 1 {
							t.Errorf("%s stored %d and dead-lettered %d times, want once in all",
								e.ID, sink.stored[e.ID], dead[e.ID])
						}
					}
				}
			}
		})
	}
}
