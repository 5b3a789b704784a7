package mapping

import (
	"math"
	"slices"
	"strings"

	"github.com/valyala/fastjson"

	"akship/internal/jsonenc"
)

// docWriter appends a document's JSON straight from a record's fastjson
// value, in the form finish and the Elasticsearch output give a document
// of maps: keys sorted (one per key, the last, as a decoder keeps), empty
// values (null, "", [] and {}) left out, encoding/json's string and number
// formats (internal/jsonenc). A key is written tentatively and rolled back
// when its value turns out empty. Failures written as values are removed
// and collected in f, as finish does; f.path is the path of the value
// being written, for their messages. A docWriter is used by one goroutine
// at a time and reused (see writers).
type docWriter struct {
	b       []byte
	f       finisher
	entries []entry // stack of sorted object entries (see sorted)
	enc     jsonenc.Encoder
	conv    converter // for the rare values converted to Go values whole
	created []byte    // the record's created date, formatted
	scratch []byte    // another date, formatted
	// texts holds copies of record numbers' texts for this record. It only
	// grows, so earlier views stay valid when it moves.
	texts []byte
}

// entry is an object key, unescaped, and its value.
type entry struct {
	k string // a view of the parser's memory
	v *fastjson.Value
}

// reset prepares the writer for a new document.
func (w *docWriter) reset() {
	w.b = w.b[:0]
	w.entries = w.entries[:0]
	w.texts = w.texts[:0]
	w.f = finisher{}
	w.f.path = w.f.stack[:0]
}

// key appends k as the next key of the object being written and returns
// where it starts, for a rollback.
func (w *docWriter) key(k string) int {
	mark := len(w.b)
	if w.b[mark-1] != '{' {
		w.b = append(w.b, ',')
	}
	w.b = jsonenc.AppendString(w.b, k)
	w.b = append(w.b, ':')
	return mark
}

// open appends the opening bracket c and returns where it is.
func (w *docWriter) open(c byte) int {
	w.b = append(w.b, c)
	return len(w.b) - 1
}

// close appends the closing bracket c of the object or array opened at
// mark, or removes it when it stayed empty; it reports whether it is kept.
func (w *docWriter) close(mark int, c byte) bool {
	if len(w.b) == mark+1 {
		w.b = w.b[:mark]
		return false
	}
	w.b = append(w.b, c)
	return true
}

// element starts the next element of the array being written and returns
// where it starts, for a rollback.
func (w *docWriter) element() int {
	mark := len(w.b)
	if w.b[mark-1] != '[' {
		w.b = append(w.b, ',')
	}
	return mark
}

// raw appends a record value without its empty parts and reports whether
// anything was appended.
func (w *docWriter) raw(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeString:
		return w.str(text(v))
	case fastjson.TypeNumber:
		w.number(v)
		return true
	case fastjson.TypeTrue:
		w.b = append(w.b, "true"...)
		return true
	case fastjson.TypeFalse:
		w.b = append(w.b, "false"...)
		return true
	case fastjson.TypeObject:
		o, _ := v.Object()
		es := w.sorted(o)
		defer w.pop(es)
		mark := w.open('{')
		for _, e := range es {
			if k := w.key(e.k); !w.raw(e.v) {
				w.b = w.b[:k]
			}
		}
		return w.close(mark, '}')
	case fastjson.TypeArray:
		a, _ := v.Array()
		mark := w.open('[')
		for _, e := range a {
			if m := w.element(); !w.raw(e) {
				w.b = w.b[:m]
			}
		}
		return w.close(mark, ']')
	}
	return false
}

// str appends a non-empty string.
func (w *docWriter) str(s string) bool {
	if s == "" {
		return false
	}
	w.b = jsonenc.AppendString(w.b, s)
	return true
}

// number appends a record number as the decoder and encoder would give
// it: its text when that is what they give back (a whole number of up to
// 17 digits, nearly always), else the value number() makes of it,
// encoded.
func (w *docWriter) number(v *fastjson.Value) {
	start := len(w.b)
	w.b = v.MarshalTo(w.b)
	if t := w.b[start:]; !canonicalInt(t) {
		n := number(t)
		w.b = w.b[:start]
		w.native(n)
	}
}

// text returns a record string: a view of the parser's memory, so it must
// not outlive the document being written. Records are valid UTF-8 (see
// mapJSON), so it is the string the decoder gives.
func text(v *fastjson.Value) string { return unsafeString(v.GetStringBytes()) }

// sorted pushes the object's entries on the stack, sorted by key, one per
// key (the last, as a decoder keeps), and returns them; pop releases them.
// Nested objects push above, so the returned slice stays valid.
func (w *docWriter) sorted(o *fastjson.Object) []entry {
	start := len(w.entries)
	o.Visit(func(k []byte, v *fastjson.Value) {
		w.entries = append(w.entries, entry{unsafeString(k), v})
	})
	es := w.entries[start:]
	if len(es) > 12 {
		slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(a.k, b.k) })
	} else {
		for i := 1; i < len(es); i++ { // insertion sort: stable
			for j := i; j > 0 && es[j].k < es[j-1].k; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
	}
	n := 0
	for i := range es {
		if i+1 < len(es) && es[i+1].k == es[i].k {
			continue // a later duplicate wins
		}
		es[n] = es[i]
		n++
	}
	w.entries = w.entries[:start+n]
	return es[:n:n]
}

// pop releases entries returned by sorted.
func (w *docWriter) pop(es []entry) {
	w.entries = w.entries[:len(w.entries)-len(es)]
}

// sortedAt returns the sorted entries of the object at key k of es, or nil
// when k is missing or not an object (x.?k of a map, as lookupPath).
func (w *docWriter) sortedAt(es []entry, k string) []entry {
	v := find(es, k)
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return w.sorted(o)
}

// find returns the value of key k in sorted entries, or nil.
func find(es []entry, k string) *fastjson.Value {
	for _, e := range es {
		if e.k == k {
			return e.v
		}
		if e.k > k {
			break
		}
	}
	return nil
}

// value returns a record value as the decoder gives it (see parseJSON);
// nil for a missing value. Strings are views (see text); objects and
// arrays are copied, which only rare shapes of records need.
func (w *docWriter) value(v *fastjson.Value) any {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		return text(v)
	case fastjson.TypeNumber:
		var buf [32]byte
		return number(v.MarshalTo(buf[:0]))
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeObject, fastjson.TypeArray:
		return w.conv.convert(v)
	}
	return nil
}

// native appends a value the mapping computed (the document value types
// and failures) without its empty parts, as finisher.clean keeps it, and
// reports whether anything was appended. A failure is collected at f.path
// and appended as nothing.
func (w *docWriter) native(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return w.str(x)
	case bool:
		if x {
			w.b = append(w.b, "true"...)
		} else {
			w.b = append(w.b, "false"...)
		}
		return true
	case int64:
		w.b = jsonenc.AppendInt(w.b, x)
		return true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			w.f.add(fail("a computed number is not finite: %v", x))
			return false
		}
		w.b, _ = jsonenc.AppendFloat(w.b, x, 64)
		return true
	case map[string]any:
		es := w.enc.Sorted(x)
		defer w.enc.Release(es)
		mark := w.open('{')
		for _, e := range es {
			w.f.path = append(w.f.path, e.K)
			if k := w.key(e.K); !w.native(e.V) {
				w.b = w.b[:k]
			}
			w.f.path = w.f.path[:len(w.f.path)-1]
		}
		return w.close(mark, '}')
	case []any:
		mark := w.open('[')
		for _, e := range x {
			if m := w.element(); !w.native(e) {
				w.b = w.b[:m]
			}
		}
		return w.close(mark, ']')
	case *Failure:
		w.f.add(x)
		w.f.record(x)
		return false
	}
	switch n := native(v).(type) {
	case string, bool, int64, float64, map[string]any, []any, *Failure:
		return w.native(n)
	}
	return false
}
