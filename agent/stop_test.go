package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errDown = errors.New("connection refused")

// An output that reports a configuration mistake stops the run at once,
// even a daemon's: nothing is dead-lettered or committed.
func TestMisconfiguredOutputStopsTheRun(t *testing.T) {
	out := newSink(BatchPolicy{MaxEvents: 10})
	out.write = func(context.Context, int, []*Event) error {
		return Misconfigured(errors.New("output.elasticsearch.hosts: speaks plain HTTP"))
	}
	dlq := &memDLQ{}
	src := newTestSource(t, "a", 3, 5, 8)
	src.endless = true
	p := newPipeline(out, dlq, src)
	err := run(t, p)
	if !IsMisconfigured(err) || !strings.HasPrefix(err.Error(), "output.elasticsearch.hosts: ") {
		t.Fatalf("Run = %v, want the configuration mistake", err)
	}
	if ids := dlq.ids(); len(ids) != 0 {
		t.Errorf("%d events dead-lettered for a configuration mistake", len(ids))
	}
	if c := src.commits.get(); len(c) != 0 {
		t.Errorf("cursors committed: %v", c)
	}
}

// An input's configuration mistake stops the other inputs too, and Run
// reports it once.
func TestMisconfiguredInputStopsEveryInput(t *testing.T) {
	out := newSink(BatchPolicy{MaxEvents: 10})
	bad := newTestSource(t, "bad", 1, 2, 8)
	bad.failAfter = Misconfigured(errors.New("authentik.url: answers in plain HTTP"))
	other := newTestSource(t, "other", 1, 2, 8)
	other.endless = true
	err := run(t, newPipeline(out, nil, bad, other))
	if !IsMisconfigured(err) || strings.Count(err.Error(), "authentik.url") != 1 {
		t.Fatalf("Run = %v, want the mistake once", err)
	}
}

// failingOutput fails every write until fixed.
func failingOutput() (*sinkOutput, *atomic.Bool) {
	var fixed atomic.Bool
	out := newSink(BatchPolicy{MaxEvents: 10})
	out.write = func(context.Context, int, []*Event) error {
		if fixed.Load() {
			return nil
		}
		return errDown
	}
	return out, &fixed
}

// With GiveUpAfter, a run whose output stays down ends with ErrGaveUp and
// commits nothing; the events are counted as abandoned.
func TestGiveUpAfter(t *testing.T) {
	out, _ := failingOutput()
	src := newTestSource(t, "a", 4, 5, 8)
	p := newPipeline(out, nil, src)
	p.GiveUpAfter = 50 * time.Millisecond
	err := run(t, p)
	if !errors.Is(err, ErrGaveUp) || !errors.Is(err, errDown) {
		t.Fatalf("Run = %v, want ErrGaveUp with the output's error", err)
	}
	if c := src.commits.get(); len(c) != 0 {
		t.Errorf("cursors committed: %v", c)
	}
	if n := p.Counts.Abandoned(DatasetEvent); n == 0 || n != p.Counts.Read(DatasetEvent) {
		t.Errorf("abandoned %d of %d read", n, p.Counts.Read(DatasetEvent))
	}
}

// Abort ends a drain that would otherwise wait the whole shutdown timeout.
func TestAbortCutsTheDrainShort(t *testing.T) {
	out, _ := failingOutput()
	src := newTestSource(t, "a", 2, 5, 8)
	src.endless = true
	p := newPipeline(out, nil, src)
	p.ShutdownTimeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, p)
	waitFor(t, "a failed write", func() bool { return !p.DeliveryStatus().FailingSince.IsZero() })
	cancel()
	p.Abort()
	within(t, done, "Run to return after Abort")
	if c := src.commits.get(); len(c) != 0 {
		t.Errorf("cursors committed: %v", c)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A failing output is logged when it starts failing and when it works
// again, not once per attempt.
func TestDeliveryFailuresLoggedPerStateChange(t *testing.T) {
	var calls atomic.Int32
	out := newSink(BatchPolicy{MaxEvents: 100})
	out.write = func(context.Context, int, []*Event) error {
		if calls.Add(1) <= 25 {
			return errDown
		}
		return nil
	}
	src := newTestSource(t, "a", 1, 5, 8)
	p := newPipeline(out, nil, src)
	logs := &lockedBuffer{}
	p.Log = slog.New(slog.NewTextHandler(logs, nil))
	if err := run(t, p); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "delivery failed"); n != 1 {
		t.Errorf("%d lines for 25 failed attempts, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "delivery works again") {
		t.Errorf("the recovery was not logged:\n%s", logs)
	}
}
