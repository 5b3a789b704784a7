package mapping

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// finisher walks a finished document once: it drops empty values (null,
// "", [] and {}, recursively; false and 0 stay) as the reference's last
// script does, and collects the failures, removing them from where they
// landed. The document is changed in place: maps are edited directly, a
// list that loses elements is replaced by a new one, so a list shared
// between two places stays intact for the other.
type finisher struct {
	failures []*Failure
	landed   map[*Failure][]string // where each failure was found
	path     []string              // keys from the document root to the value being cleaned
	stack    [12]string            // backing for path, so shallow documents need no allocation
}

// clean returns the cleaned value and whether to keep it.
func (f *finisher) clean(v any) (any, bool) {
	switch x := v.(type) {
	// Return v, not x: converting x back to an interface would allocate.
	case nil:
		return nil, false
	case string:
		return v, x != ""
	case bool, int64:
		return v, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			f.add(fail("a computed number is not finite: %v", x))
			return nil, false
		}
		return v, true
	case map[string]any:
		f.cleanMap(x)
		return v, len(x) > 0
	case []any:
		out := f.cleanList(x)
		return out, len(out) > 0
	case *Failure:
		f.add(x)
		f.record(x)
		return nil, false
	}
	return f.clean(native(v))
}

func (f *finisher) cleanMap(m map[string]any) {
	if f.path == nil {
		f.path = f.stack[:0]
	}
	for k, v := range m {
		f.path = append(f.path, k)
		cv, keep := f.clean(v)
		f.path = f.path[:len(f.path)-1]
		switch {
		case !keep:
			delete(m, k)
		case needsWriteBack(v):
			m[k] = cv
		}
	}
}

func (f *finisher) cleanList(l []any) []any {
	var out []any // nil while nothing changed
	for i, v := range l {
		cv, keep := f.clean(v)
		if out == nil && (!keep || needsWriteBack(v)) {
			out = append(make([]any, 0, len(l)), l[:i]...)
		}
		if out != nil && keep {
			out = append(out, cv)
		}
	}
	if out == nil {
		return l
	}
	return out
}

// needsWriteBack reports whether cleaning v may have produced a different
// value than v itself (maps are cleaned in place and need no write-back).
func needsWriteBack(v any) bool {
	switch v.(type) {
	case string, bool, int64, float64, map[string]any:
		return false
	}
	return true
}

func (f *finisher) add(fl *Failure) {
	if !slices.Contains(f.failures, fl) {
		f.failures = append(f.failures, fl)
	}
}

// record notes the document field a failure was removed from.
func (f *finisher) record(fl *Failure) {
	if f.landed == nil {
		f.landed = map[*Failure][]string{}
	}
	p := strings.Join(f.path, ".")
	if !slices.Contains(f.landed[fl], p) {
		f.landed[fl] = append(f.landed[fl], p)
	}
}

// messages returns one message per distinct failure text, each followed
// by the fields it was removed from, ordered by those fields (failures that
// landed nowhere, such as an undecodable record, come first). Ordering by
// field rather than by the moment a failure was made keeps the messages
// independent of the order CEL happens to evaluate a program in.
func (f *finisher) messages() []string {
	type entry struct {
		msg   string
		paths []string
	}
	var entries []*entry
	byMsg := map[string]*entry{}
	for _, fl := range f.failures {
		e := byMsg[fl.Message]
		if e == nil {
			e = &entry{msg: fl.Message}
			byMsg[fl.Message] = e
			entries = append(entries, e)
		}
		for _, p := range f.landed[fl] {
			if !slices.Contains(e.paths, p) {
				e.paths = append(e.paths, p)
			}
		}
	}
	for _, e := range entries {
		slices.Sort(e.paths)
	}
	first := func(e *entry) string {
		if len(e.paths) == 0 {
			return ""
		}
		return e.paths[0]
	}
	slices.SortStableFunc(entries, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(first(a), first(b)), cmp.Compare(a.msg, b.msg))
	})
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.msg
		if len(e.paths) > 0 {
			out[i] += " (removed from " + strings.Join(e.paths, ", ") + ")"
		}
	}
	return out
}

// pruned returns a copy of v without empty values, leaving v untouched;
// failures are kept. It backs the drop_empty CEL function.
func pruned(v any) (any, bool) {
	switch x := native(v).(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if pe, keep := pruned(e); keep {
				out[k] = pe
			}
		}
		return out, len(out) > 0
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if pe, keep := pruned(e); keep {
				out = append(out, pe)
			}
		}
		return out, len(out) > 0
	default:
		return x, true
	}
}
