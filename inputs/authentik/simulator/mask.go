package simulator

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// DefaultMaskPattern is Django 4.x's SafeExceptionReporterFilter
// hidden_settings pattern, which authentik applies to event contexts.
const DefaultMaskPattern = "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE"

// cleansed is Django's cleansed_substitute.
const cleansed = "********************"

// allowedSpecial is authentik's ALLOWED_SPECIAL_KEYS: keys containing it are
// never masked even though they match PASS.
var allowedSpecial = regexp.MustCompile("(?i)passing")

// masker replaces sensitive values the way authentik's cleanse_dict does when
// an event is written: for every non-object value whose key matches the
// pattern (case-insensitive substring) the value becomes 20 asterisks; objects
// are descended into, lists are walked with their parent's key.
type masker struct {
	re    *regexp.Regexp
	mu    sync.RWMutex
	cache map[string]bool // key → hidden; keys come from a small vocabulary
}

func newMasker(pattern string) (*masker, error) {
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		return nil, fmt.Errorf("mask pattern %q: %w", pattern, err)
	}
	return &masker{re: re, cache: map[string]bool{}}, nil
}

func (m *masker) hidden(key string) bool {
	m.mu.RLock()
	h, ok := m.cache[key]
	m.mu.RUnlock()
	if ok {
		return h
	}
	h = m.re.MatchString(key) && !allowedSpecial.MatchString(key)
	m.mu.Lock()
	m.cache[key] = h
	m.mu.Unlock()
	return h
}

// obj returns o with sensitive values replaced. It never modifies o (shared
// objects such as geo data may be part of it); it copies a level only when
// something below it changed.
func (m *masker) obj(o obj) (obj, bool) {
	return copyOnWrite(o, func(f kv) (kv, bool) {
		nv, changed := m.value(f.k, f.v)
		f.v = nv
		return f, changed
	})
}

// copyOnWrite applies f to each element of xs: it returns xs itself when f
// changed none, else a copy holding f's results (xs is shared with the
// stored data, which must stay unmasked).
func copyOnWrite[T any](xs []T, f func(T) (T, bool)) ([]T, bool) {
	var out []T
	for i, x := range xs {
		if nx, changed := f(x); changed {
			if out == nil {
				out = slices.Clone(xs)
			}
			out[i] = nx
		}
	}
	if out == nil {
		return xs, false
	}
	return out, true
}

func (m *masker) value(key string, v any) (any, bool) {
	switch x := v.(type) {
	case obj:
		return m.obj(x)
	case []obj:
		return copyOnWrite(x, m.obj)
	case []any:
		return copyOnWrite(x, func(el any) (any, bool) { return m.value(key, el) })
	case []string:
		if !m.hidden(key) || len(x) == 0 {
			return x, false
		}
		out := make([]string, len(x))
		for i := range out {
			out[i] = cleansed
		}
		return out, true
	}
	if m.hidden(key) {
		return cleansed, true
	}
	return v, false
}
