package mapping

import (
	"strconv"

	"github.com/valyala/fastjson"

	"akship/internal/jsonenc"
)

// The writer turns an engine's evaluated document into JSON in one walk,
// doing what finish and the extension's merge do to a document of maps
// (see finish.go, deepMerge): a document is written as layers, the
// program's document, the extension's patch over it, and the finishing
// fields over both. Where every layer has an object at a key, the objects
// merge; otherwise the last layer's value replaces the others. Empty values
// (null, "", [] and {}) are dropped as they are written, failures are
// collected with the fields they were removed from, and keys come in
// byte order, so the bytes are those the Elasticsearch output's encoder
// gives for the document of maps.

// layer is a value of one layer of the document.
type layer struct {
	n   *node     // a fixed object of an engine's shape, or nil
	ev  []any     // the engine's evaluated steps, with n
	v   any       // the value, when n is nil
	kv  *kvObject // an object of the finishing fields, when n is nil
	fin bool      // part of the finishing fields (see finishing values)
}

// resolve returns the layer of a node: a fixed object, or a leaf's value.
func resolve(n *node, ev []any) layer {
	for n.kind == nodeBind {
		n = n.body
	}
	if n.kind == nodeLeaf {
		switch x := ev[n.step].(type) {
		case *overlay, *enriched, *jsonObject:
			return layer{v: x}
		}
		return layer{v: native(ev[n.step])}
	}
	return layer{n: n, ev: ev}
}

func (l layer) object() bool {
	if l.n != nil || l.kv != nil {
		return true
	}
	_, ok := asMapShape(l.v)
	return ok
}

// engWriter writes documents; it is reused, one document at a time.
type engWriter struct {
	b     []byte
	stack []layer         // the layers of the members being written
	view  []jsonenc.Entry // the members of parsed objects being written
	keys  []string        // stacked's scratch
	num   []byte          // a number's text
	f     finisher
	enc   jsonenc.Encoder
	fin   finishing
}

func (w *engWriter) reset() {
	w.b = w.b[:0]
	w.f = finisher{}
	w.f.path = w.f.stack[:0]
}

// scratch walks layers for their failures without writing them.
func (w *engWriter) scratch(ls []layer) {
	mark := len(w.b)
	w.layers(ls)
	w.b = w.b[:mark]
}

// layers writes the merged value of ls and reports whether anything was
// written (false for an empty value).
func (w *engWriter) layers(ls []layer) bool {
	last := ls[len(ls)-1]
	lower := ls[:len(ls)-1]
	if last.fin {
		switch x := last.v.(type) {
		case timestampDefault:
			if len(lower) > 0 && w.layers(lower) {
				return true
			}
			w.b = append(w.b, '"')
			w.b = w.fin.collected.UTC().AppendFormat(w.b, dateLayout)
			w.b = append(w.b, '"')
			return true
		case *finalTags:
			return w.tags(lower, *x)
		case errorMessages:
			return w.messages(lower, x)
		}
		// finish replaces what is not an object, after cleaning it.
		if len(lower) > 0 && !lower[len(lower)-1].object() {
			w.scratch(lower)
			ls = ls[len(ls)-1:]
		}
	}
	if !last.object() {
		return w.value(last.v)
	}
	j := len(ls) - 1
	for j > 0 && ls[j-1].object() {
		j--
	}
	if j == len(ls)-1 && !last.fin {
		if last.n != nil {
			return w.fixed(last.n, last.ev, last.fin)
		}
		return w.value(last.v)
	}
	return w.merged(ls[j:])
}

// fixed writes an object of an engine's shape.
func (w *engWriter) fixed(n *node, ev []any, fin bool) bool {
	start := len(w.b)
	w.b = append(w.b, '{')
	count := 0
	for i, k := range n.keys {
		mark := w.member(count, k)
		kid := resolve(n.kids[i], ev)
		var ok bool
		switch {
		case fin:
			kid.fin = true
			base := len(w.stack)
			w.stack = append(w.stack, kid)
			ok = w.layers(w.stack[base:])
			w.stack[base] = layer{}
			w.stack = w.stack[:base]
		case kid.n != nil:
			ok = w.fixed(kid.n, kid.ev, false)
		default:
			ok = w.value(kid.v)
		}
		count = w.endMember(mark, ok, count)
	}
	return w.closeObject(start, count)
}

// keyCursor walks one layer's keys in byte order.
type keyCursor struct {
	l       layer
	keys    []string        // a fixed object's or a kvObject's keys
	entries []jsonenc.Entry // a map's entries
	i       int
}

func (c *keyCursor) key() (string, bool) {
	if c.entries != nil {
		if c.i < len(c.entries) {
			return c.entries[c.i].K, true
		}
		return "", false
	}
	if c.i < len(c.keys) {
		return c.keys[c.i], true
	}
	return "", false
}

// value is the current key's value as a layer.
func (c *keyCursor) value() layer {
	var v layer
	switch {
	case c.entries != nil:
		v = layer{v: c.entries[c.i].V}
	case c.l.n != nil:
		v = resolve(c.l.n.kids[c.i], c.l.ev)
	default:
		v = layer{v: c.l.kv.vals[c.i]}
		if kv, ok := v.v.(*kvObject); ok {
			v = layer{kv: kv}
		}
	}
	v.fin = c.l.fin
	return v
}

// merged writes the deep merge of objects, later layers winning.
func (w *engWriter) merged(ls []layer) bool {
	var cursors [3]keyCursor
	cs := cursors[:len(ls)]
	for i, l := range ls {
		cs[i].l = l
		switch {
		case l.n != nil:
			cs[i].keys = l.n.keys
		case l.kv != nil:
			cs[i].keys = l.kv.keys
		default:
			m, _ := asMapValue(l.v)
			cs[i].entries = w.enc.Sorted(m)
			if cs[i].entries == nil {
				cs[i].entries = []jsonenc.Entry{}
			}
		}
	}
	out := len(w.b)
	w.b = append(w.b, '{')
	count := 0
	for {
		k, any := "", false
		for i := range cs {
			if ck, ok := cs[i].key(); ok && (!any || ck < k) {
				k, any = ck, true
			}
		}
		if !any {
			break
		}
		base := len(w.stack)
		for i := range cs {
			if ck, ok := cs[i].key(); ok && ck == k {
				w.stack = append(w.stack, cs[i].value())
				cs[i].i++
			}
		}
		at := w.stack[base:]
		mark := w.member(count, k)
		ok := w.layers(at)
		clear(at)
		w.stack = w.stack[:base]
		count = w.endMember(mark, ok, count)
	}
	for i := len(cs) - 1; i >= 0; i-- {
		if len(cs[i].entries) > 0 {
			w.enc.Release(cs[i].entries)
		}
	}
	return w.closeObject(out, count)
}

// value writes a document value without its empty values (see
// finisher.clean, whose rules it follows).
func (w *engWriter) value(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		if x == "" {
			return false
		}
		w.b = jsonenc.AppendString(w.b, x)
		return true
	case bool:
		w.b = strconv.AppendBool(w.b, x)
		return true
	case int64:
		w.b = strconv.AppendInt(w.b, x, 10)
		return true
	case float64:
		b, err := jsonenc.AppendFloat(w.b, x, 64)
		if err != nil {
			w.f.add(fail("a computed number is not finite: %v", x))
			return false
		}
		w.b = b
		return true
	case map[string]any:
		return w.object(x)
	case []any:
		return w.list(x)
	case *Failure:
		w.f.add(x)
		w.f.record(x)
		return false
	case celType:
		return w.value(string(x))
	case *overlay:
		return w.overlayValue(x)
	case *enriched:
		return w.enrichedValue(x)
	case *jsonObject:
		if x.m != nil {
			return w.object(x.m)
		}
		return w.viewObject(x)
	case *fastjson.Value:
		return w.jsonValue(x)
	}
	nv := native(v)
	switch nv.(type) {
	case nil, string, bool, int64, float64, map[string]any, []any, *Failure:
		return w.value(nv)
	}
	return false
}

func (w *engWriter) object(m map[string]any) bool {
	entries := w.enc.Sorted(m)
	defer w.enc.Release(entries)
	start := len(w.b)
	w.b = append(w.b, '{')
	count := 0
	for _, e := range entries {
		mark := w.member(count, e.K)
		ok := w.value(e.V)
		count = w.endMember(mark, ok, count)
	}
	return w.closeObject(start, count)
}

func (w *engWriter) list(l []any) bool {
	start := len(w.b)
	w.b = append(w.b, '[')
	return w.closeList(start, w.elements(l, 0))
}

// elements writes the non-empty values of l as array elements after count
// others and returns the new count.
func (w *engWriter) elements(l []any, count int) int {
	for _, v := range l {
		mark := w.element(count)
		count = w.endElement(mark, w.value(v), count)
	}
	return count
}

// element starts an array element after count others; endElement keeps it
// when its value was written (ok), else removes it, and returns the new
// count.
func (w *engWriter) element(count int) int {
	mark := len(w.b)
	if count > 0 {
		w.b = append(w.b, ',')
	}
	return mark
}

func (w *engWriter) endElement(mark int, ok bool, count int) int {
	if ok {
		return count + 1
	}
	w.b = w.b[:mark]
	return count
}

// closeList ends an array begun at start: closed when it has elements,
// else removed (an empty array is dropped).
func (w *engWriter) closeList(start, count int) bool {
	return w.closeWith(start, count, ']')
}

// closeWith ends an object or array begun at start with end, or removes it
// when it holds nothing.
func (w *engWriter) closeWith(start, count int, end byte) bool {
	if count == 0 {
		w.b = w.b[:start]
		return false
	}
	w.b = append(w.b, end)
	return true
}
