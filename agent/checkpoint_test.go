package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// commitLog records the checkpoints a Tracker commits and can fail commits
// on demand.
type commitLog struct {
	mu      sync.Mutex
	commits []int
	failing int // the next failing commits fail
}

var errDisk = errors.New("disk unhappy")

func (c *commitLog) commit(cp int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing > 0 {
		c.failing--
		return errDisk
	}
	c.commits = append(c.commits, cp)
	return nil
}

func (c *commitLog) get() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.commits)
}

// trackAll tracks checkpoints 0..n-1 and returns their AckFuncs.
func trackAll(t *testing.T, tr *Tracker[int], n int) []AckFunc {
	t.Helper()
	acks := make([]AckFunc, n)
	for i := range acks {
		ack, err := tr.Track(context.Background(), i)
		if err != nil {
			t.Fatalf("Track(%d): %v", i, err)
		}
		acks[i] = ack
	}
	return acks
}

func TestTrackerCommitsOnlyTheContiguousPrefix(t *testing.T) {
	tests := []struct {
		name  string
		order []int // ack order
		want  []int // commits, in order
	}{
		{name: "in order", order: []int{0, 1, 2}, want: []int{0, 1, 2}},
		{name: "reversed", order: []int{2, 1, 0}, want: []int{2}},
		{name: "first last", order: []int{1, 2, 0}, want: []int{2}},
		{name: "middle late", order: []int{0, 2, 1}, want: []int{0, 2}},
		{name: "pairs", order: []int{1, 0, 3, 2}, want: []int{1, 3}},
		{name: "one", order: []int{0}, want: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log commitLog
			tr := NewTracker(len(tt.order), log.commit)
			acks := trackAll(t, tr, len(tt.order))
			for _, i := range tt.order {
				acks[i](context.Background(), nil)
			}
			if got := log.get(); !slices.Equal(got, tt.want) {
				t.Errorf("commits = %v, want %v", got, tt.want)
			}
			if err := tr.Err(); err != nil {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

// TestTrackerRandomOrder acks random permutations and checks after every
// ack that the newest commit is exactly the contiguous acked prefix, and
// that commits never regress.
func TestTrackerRandomOrder(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 42))
		n := 1 + rng.IntN(40)
		var log commitLog
		tr := NewTracker(n, log.commit)
		acks := trackAll(t, tr, n)
		acked := make([]bool, n)
		for _, i := range rng.Perm(n) {
			acks[i](context.Background(), nil)
			acked[i] = true
			prefix := -1
			for prefix+1 < n && acked[prefix+1] {
				prefix++
			}
			commits := log.get()
			last := -1
			if len(commits) > 0 {
				last = commits[len(commits)-1]
			}
			if last != prefix {
				t.Fatalf("seed %d: after acking %d the last commit is %d, want %d (acked %v)", seed, i, last, prefix, acked)
			}
			if !slices.IsSorted(commits) || len(slices.Compact(slices.Clone(commits))) != len(commits) {
				t.Fatalf("seed %d: commits regressed or repeated: %v", seed, commits)
			}
		}
	}
}

// TestTrackerRandomOrderWithFailure acks random permutations where one
// batch fails: nothing at or after it is ever committed, and everything
// before it is once acknowledged.
func TestTrackerRandomOrderWithFailure(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 43))
		n := 1 + rng.IntN(40)
		fail := rng.IntN(n)
		var log commitLog
		tr := NewTracker(n, log.commit)
		acks := trackAll(t, tr, n)
		for _, i := range rng.Perm(n) {
			var err error
			if i == fail {
				err = errDisk
			}
			acks[i](context.Background(), err)
		}
		commits := log.get()
		if !slices.IsSorted(commits) {
			t.Fatalf("seed %d: commits regressed: %v", seed, commits)
		}
		want := fail - 1
		last := -1
		if len(commits) > 0 {
			last = commits[len(commits)-1]
		}
		if last != want {
			t.Fatalf("seed %d: batch %d of %d failed; last commit %d, want %d", seed, fail, n, last, want)
		}
	}
}

// TestTrackerConcurrentAcks acks from many goroutines (race detector) while
// an input keeps tracking, with a small capacity.
func TestTrackerConcurrentAcks(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		const n = 200
		var log commitLog
		tr := NewTracker(1+rng.IntN(8), log.commit)
		acks := make(chan AckFunc)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ack := range acks {
					ack(context.Background(), nil)
				}
			}()
		}
		for i := range n {
			ack, err := tr.Track(context.Background(), i)
			if err != nil {
				t.Fatal(err)
			}
			acks <- ack
		}
		close(acks)
		wg.Wait()
		commits := log.get()
		if !slices.IsSorted(commits) || len(commits) == 0 || commits[len(commits)-1] != n-1 {
			t.Fatalf("seed %d: commits %v: want increasing, ending at %d", seed, commits, n-1)
		}
	}
}

// trackAsync calls Track in a goroutine and delivers its result.
func trackAsync(ctx context.Context, tr *Tracker[int], cp int) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := tr.Track(ctx, cp)
		done <- err
	}()
	return done
}

// notYet fails if ch delivers within a short while. A late delivery is
// not detected, but an early one is never a false alarm.
func notYet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s happened too early (%v)", what, v)
	case <-time.After(30 * time.Millisecond):
	}
}

// within waits (generously) for ch.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
	var zero T
	return zero
}

func TestTrackerCapacityBlocksTrack(t *testing.T) {
	var log commitLog
	tr := NewTracker(2, log.commit)
	acks := trackAll(t, tr, 2)
	done := trackAsync(context.Background(), tr, 2)
	notYet(t, done, "Track beyond capacity")
	acks[1](context.Background(), nil) // out of order still frees a slot
	if err := within(t, done, "Track after an ack"); err != nil {
		t.Fatalf("Track: %v", err)
	}
	if got := log.get(); len(got) != 0 {
		t.Errorf("commits = %v before the first batch was acked", got)
	}
}

func TestTrackerTrackHonoursContext(t *testing.T) {
	tr := NewTracker(1, (&commitLog{}).commit)
	trackAll(t, tr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := trackAsync(ctx, tr, 1)
	notYet(t, done, "Track beyond capacity")
	cancel()
	if err := within(t, done, "Track after cancel"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Track = %v, want context.Canceled", err)
	}
}

func TestTrackerFailedAckFreezesCommits(t *testing.T) {
	errGaveUp := errors.New("shutdown: gave up")
	tests := []struct {
		name  string
		order []int
		fail  int // the batch acked with an error
		want  []int
	}{
		{name: "fail first", order: []int{0, 1, 2, 3}, fail: 0, want: nil},
		{name: "fail middle, earlier acked after", order: []int{2, 3, 1, 0}, fail: 2, want: []int{1}},
		{name: "fail middle in order", order: []int{0, 1, 2, 3}, fail: 1, want: []int{0}},
		{name: "fail last", order: []int{3, 0, 1, 2}, fail: 3, want: []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log commitLog
			tr := NewTracker(len(tt.order), log.commit)
			acks := trackAll(t, tr, len(tt.order))
			for _, i := range tt.order {
				var err error
				if i == tt.fail {
					err = errGaveUp
				}
				acks[i](context.Background(), err)
			}
			got := log.get()
			if !slices.Equal(got, tt.want) {
				t.Errorf("commits = %v, want %v", got, tt.want)
			}
			for _, c := range got {
				if c >= tt.fail {
					t.Errorf("committed %d at or past the failed batch %d", c, tt.fail)
				}
			}
			if _, err := tr.Track(context.Background(), 99); !errors.Is(err, errGaveUp) {
				t.Errorf("Track after a failure = %v, want it to wrap %v", err, errGaveUp)
			}
			if err := tr.Err(); !errors.Is(err, errGaveUp) {
				t.Errorf("Err() = %v, want %v", err, errGaveUp)
			}
			if err := tr.Wait(context.Background()); err != nil {
				t.Errorf("Wait after a failure = %v", err)
			}
		})
	}
}

func TestTrackerIgnoresSecondAck(t *testing.T) {
	var log commitLog
	tr := NewTracker(1, log.commit)
	ack := trackAll(t, tr, 1)[0]
	ack(context.Background(), nil)
	ack(context.Background(), errors.New("late error"))
	ack(context.Background(), nil)
	if err := tr.Err(); err != nil {
		t.Fatalf("Err() = %v after a repeated ack", err)
	}
	// The repeated acks must not have freed slots that were never taken:
	// with capacity 1, the second of two new Tracks blocks.
	ack2, err := tr.Track(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	done := trackAsync(context.Background(), tr, 2)
	notYet(t, done, "Track beyond capacity after a double ack")
	ack2(context.Background(), nil)
	ack2(context.Background(), nil)
	within(t, done, "Track after the ack")
	if got, want := log.get(), []int{0, 1}; !slices.Equal(got, want) {
		t.Errorf("commits = %v, want %v", got, want)
	}
}

func TestTrackerRetriesFailedCommit(t *testing.T) {
	t.Run("next ack", func(t *testing.T) {
		log := &commitLog{failing: 1}
		tr := NewTracker(3, log.commit)
		acks := trackAll(t, tr, 3)
		acks[0](context.Background(), nil)
		if err := tr.Err(); !errors.Is(err, errDisk) {
			t.Fatalf("Err() = %v, want %v", err, errDisk)
		}
		acks[2](context.Background(), nil) // retries 0; 1 is still missing
		acks[1](context.Background(), nil)
		if got, want := log.get(), []int{0, 2}; !slices.Equal(got, want) {
			t.Errorf("commits = %v, want %v", got, want)
		}
		if err := tr.Err(); err != nil {
			t.Errorf("Err() = %v after a successful retry", err)
		}
	})
	t.Run("flush", func(t *testing.T) {
		log := &commitLog{failing: 2}
		tr := NewTracker(3, log.commit)
		acks := trackAll(t, tr, 2)
		acks[0](context.Background(), nil)
		if err := tr.Flush(); !errors.Is(err, errDisk) {
			t.Fatalf("first Flush = %v, want %v", err, errDisk)
		}
		if err := tr.Flush(); err != nil {
			t.Fatalf("second Flush = %v", err)
		}
		if err := tr.Flush(); err != nil {
			t.Fatalf("Flush with nothing to do = %v", err)
		}
		acks[1](context.Background(), nil)
		if got, want := log.get(), []int{0, 1}; !slices.Equal(got, want) {
			t.Errorf("commits = %v, want %v", got, want)
		}
	})
}

func TestTrackerWait(t *testing.T) {
	tr := NewTracker(3, (&commitLog{}).commit)
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing tracked = %v", err)
	}
	acks := trackAll(t, tr, 3)
	done := make(chan error, 1)
	go func() { done <- tr.Wait(context.Background()) }()
	acks[2](context.Background(), nil)
	acks[0](context.Background(), nil)
	notYet(t, done, "Wait with one batch unacknowledged")
	acks[1](context.Background(), nil)
	if err := within(t, done, "Wait"); err != nil {
		t.Fatalf("Wait = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	trackAll(t, tr, 1)
	go func() { done <- tr.Wait(ctx) }()
	notYet(t, done, "Wait with one batch unacknowledged")
	cancel()
	if err := within(t, done, "Wait after cancel"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
