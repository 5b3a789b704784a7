package mapping

import (
	"slices"
	"strings"

	"github.com/valyala/fastjson"
)

// An overlay is what with() and without() return in compiled leaves: a map
// and edits at dotted paths, applied as the document is written instead
// of copying the map (applyEdits' semantics, see paths.go). Anything else
// that reads it as a map gets the copy, made once.

// editShape is the tree of a with() or without() call's dotted paths, fixed
// when the program is compiled; the values at its leaves come per record.
type editShape struct {
	keys []string     // in byte order
	kids []*editShape // nil for a leaf
	leaf []int        // the value index of a leaf key; -1 for a removal
}

// newEditShape builds the shape of paths (paths[i] gets value index i,
// or is a removal when remove is set), with applyEdits' rule that a longer
// path wins over a shorter one it extends.
func newEditShape(paths []string, remove bool) *editShape {
	root := &editShape{}
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(paths[a], paths[b]) })
	for _, i := range order {
		parts := strings.Split(paths[i], ".")
		s := root
		for _, p := range parts[:len(parts)-1] {
			j := s.index(p)
			if j < 0 || s.kids[j] == nil {
				j = s.set(p, &editShape{}, 0)
			}
			s = s.kids[j]
		}
		v := i
		if remove {
			v = -1
		}
		s.set(parts[len(parts)-1], nil, v)
	}
	return root
}

func (s *editShape) index(k string) int {
	for i, have := range s.keys {
		if have == k {
			return i
		}
	}
	return -1
}

// set puts k at its place in byte order, replacing what was there.
func (s *editShape) set(k string, kid *editShape, leaf int) int {
	if i := s.index(k); i >= 0 {
		s.kids[i], s.leaf[i] = kid, leaf
		return i
	}
	i, _ := slices.BinarySearch(s.keys, k)
	s.keys = slices.Insert(s.keys, i, k)
	s.kids = slices.Insert(s.kids, i, kid)
	s.leaf = slices.Insert(s.leaf, i, leaf)
	return i
}

// overlay is a map with edits, see above.
type overlay struct {
	base  any // map[string]any, *overlay, or anything else (no map)
	shape *editShape
	vals  []any // absentValue{} where an absent optional left a key unset
	done  map[string]any
}

// absentValue is an overlay value an absent optional left unset.
type absentValue struct{}

// has reports whether the value of index j is set.
func (o *overlay) has(j int) bool {
	_, absent := o.vals[j].(absentValue)
	return !absent
}

// live reports whether an edit node changes anything: it holds a set
// value, not only removals or absent values.
func (o *overlay) live(s *editShape) bool {
	for i, kid := range s.kids {
		if kid != nil {
			if o.live(kid) {
				return true
			}
		} else if j := s.leaf[i]; j >= 0 && o.has(j) {
			return true
		}
	}
	return false
}

// active reports whether an edit node does anything at all.
func (o *overlay) active(s *editShape) bool {
	for i, kid := range s.kids {
		if kid != nil {
			if o.active(kid) {
				return true
			}
		} else if j := s.leaf[i]; j < 0 || o.has(j) {
			return true
		}
	}
	return false
}

// asMap returns the map a value stands for: a map, or an overlay applied.
func asMapValue(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case *overlay:
		return x.materialise(), true
	case *enriched:
		return x.materialise(), true
	case *jsonObject:
		return x.materialise(), true
	}
	return nil, false
}

// materialise applies the overlay (once) and returns the map.
func (o *overlay) materialise() map[string]any {
	if o.done == nil {
		base, _ := asMapValue(o.base)
		o.done = o.apply(base, o.shape)
	}
	return o.done
}

func (o *overlay) apply(m map[string]any, s *editShape) map[string]any {
	out := make(map[string]any, len(m)+len(s.keys))
	for k, v := range m {
		out[k] = v
	}
	for i, k := range s.keys {
		if kid := s.kids[i]; kid != nil {
			if !o.active(kid) {
				continue
			}
			child, ok := asMapValue(out[k])
			if !ok {
				if !o.live(kid) {
					continue
				}
				child = nil
			}
			out[k] = o.apply(child, kid)
			continue
		}
		switch j := s.leaf[i]; {
		case j < 0:
			delete(out, k)
		case o.has(j):
			out[k] = o.vals[j]
		}
	}
	return out
}

// level is one overlay's edits at one level of the document.
type level struct {
	o *overlay
	s *editShape
}

// overlayValue writes an overlay: its edits and those of the overlays it
// was made from over the map at the bottom.
func (w *engWriter) overlayValue(o *overlay) bool {
	if o.done != nil {
		return w.value(o.done)
	}
	var levels []level
	base := any(o)
	for {
		ov, ok := base.(*overlay)
		if !ok {
			break
		}
		if ov.done != nil {
			base = ov.done
			break
		}
		levels = append(levels, level{ov, ov.shape})
		base = ov.base
	}
	slices.Reverse(levels)
	return w.stacked(base, levels)
}

// stacked writes base (a map, a record view's object, or no map) with
// the levels' edits applied in order (applyEdits' semantics for each).
func (w *engWriter) stacked(base any, levels []level) bool {
	// The edited keys, on a scratch stack (nested calls push above).
	mark := len(w.keys)
	for _, l := range levels {
		for _, k := range l.s.keys {
			if !slices.Contains(w.keys[mark:], k) {
				w.keys = append(w.keys, k)
			}
		}
	}
	extra := w.keys[mark:]
	entries, isView := w.viewEntries(base, extra)
	if isView {
		defer w.releaseView(entries)
	} else {
		m, _ := asMapValue(base)
		entries = w.enc.Sorted(m, extra...)
		defer w.enc.Release(entries)
	}
	w.keys = w.keys[:mark]
	start := len(w.b)
	w.b = append(w.b, '{')
	count := 0
	for _, e := range entries {
		v, present := e.V, true
		var subs []level
		for _, l := range levels {
			i := l.s.index(e.K)
			if i < 0 {
				continue
			}
			if kid := l.s.kids[i]; kid != nil {
				_, isMap := asMapShape(v)
				if (isMap || subs != nil) && present {
					if l.o.active(kid) {
						subs = append(subs, level{l.o, kid})
					}
					continue
				}
				if l.o.live(kid) {
					v, present, subs = nil, true, []level{{l.o, kid}}
				}
				continue
			}
			switch j := l.s.leaf[i]; {
			case j < 0:
				v, present, subs = nil, false, nil
			case l.o.has(j):
				v, present, subs = l.o.vals[j], true, nil
			}
		}
		if !present {
			continue
		}
		mark := w.member(count, e.K)
		var ok bool
		if subs != nil {
			var sub any = v
			switch v.(type) {
			case *jsonObject, *fastjson.Value:
			default:
				sub, _ = asMapValue(v)
			}
			ok = w.stacked(sub, subs)
		} else {
			ok = w.value(v)
		}
		count = w.endMember(mark, ok, count)
	}
	return w.closeObject(start, count)
}

// asMapShape reports whether v is a map or an overlay, without applying it.
func asMapShape(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any, *overlay, *enriched, *jsonObject:
		return v, true
	case *fastjson.Value: // a member of a record view, in the writer
		return v, x.Type() == fastjson.TypeObject
	}
	return nil, false
}
