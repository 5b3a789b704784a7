// Package lazymap is a map safe for concurrent use whose values are made on
// first use: for read-mostly look-ups by a few keys (such as datasets),
// where every look-up after the first takes only a read lock.
package lazymap

import "sync"

// Map maps keys of type K to values of type V, making a key's value the
// first time Get asks for it. Its methods are safe for concurrent use; its
// zero value is empty and ready. A Map must not be copied after first use.
type Map[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// Get returns k's value. When k has none yet, it stores and returns
// newValue(k), which is called once for k however many goroutines ask at the
// same time; newValue must not call m's methods.
func (m *Map[K, V]) Get(k K, newValue func(K) V) V {
	m.mu.RLock()
	v, ok := m.m[k]
	m.mu.RUnlock()
	if ok {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok = m.m[k]; !ok {
		if m.m == nil {
			m.m = map[K]V{}
		}
		v = newValue(k)
		m.m[k] = v
	}
	return v
}

// Load returns k's value and whether it has one, making none.
func (m *Map[K, V]) Load(k K) (V, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.m[k]
	return v, ok
}

// Range calls f for every key and its value, in no particular order, while
// holding the read lock: f must not call m's methods that may write (Get).
func (m *Map[K, V]) Range(f func(K, V)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for k, v := range m.m {
		f(k, v)
	}
}
