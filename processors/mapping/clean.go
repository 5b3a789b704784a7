package mapping

import (
	"cmp"
	"slices"
	"strings"
)

// finisher collects a document's failures and the fields they were
// removed from, as the writer drops them (see engwrite.go), and turns them
// into error.message.
type finisher struct {
	failures []*Failure
	landed   map[*Failure][]string // where each failure was found
	path     []string              // keys from the document root to the value being cleaned
	stack    [12]string            // backing for path, so shallow documents need no allocation
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
