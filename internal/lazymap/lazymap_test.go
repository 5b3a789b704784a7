package lazymap

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Concurrent first look-ups of a key make its value once and all get it.
func TestGetMakesEachValueOnce(t *testing.T) {
	var m Map[string, *int]
	var made atomic.Int32
	var wg sync.WaitGroup
	got := make([]*int, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = m.Get("event", func(string) *int { made.Add(1); return new(int) })
		}()
	}
	wg.Wait()
	if made.Load() != 1 {
		t.Fatalf("the value was made %d times, want once", made.Load())
	}
	for _, p := range got {
		if p != got[0] {
			t.Fatal("look-ups of one key returned different values")
		}
	}
}

// Load makes nothing; Range sees what Get made.
func TestLoadAndRange(t *testing.T) {
	var m Map[string, int]
	if _, ok := m.Load("user"); ok {
		t.Fatal("Load found a value in an empty map")
	}
	m.Get("user", func(k string) int { return len(k) })
	m.Get("group", func(k string) int { return len(k) })
	if v, ok := m.Load("user"); !ok || v != 4 {
		t.Fatalf("Load(user) = %d, %v; want 4, true", v, ok)
	}
	seen := map[string]int{}
	m.Range(func(k string, v int) { seen[k] = v })
	if len(seen) != 2 || seen["group"] != 5 {
		t.Fatalf("Range saw %v, want user:4 group:5", seen)
	}
}
