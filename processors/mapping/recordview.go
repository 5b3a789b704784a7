package mapping

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"akship/internal/jsonenc"
)

// A record view lets the engine read a record's objects where fastjson
// parsed them instead of decoding the whole record into maps first: a
// field read by a compiled leaf is converted when it is read, and the
// writer writes the parts of the record that go to the document (the
// authentik.<dataset> copy) straight from the parsed values. Anything else
// that reads an object of the record as a map, cel-go above all, gets the
// map, decoded once (see asMapValue). The view holds exactly the values
// parseJSON gives, so which one a step sees never changes the document.

// jsonObject is an object of a record view.
type jsonObject struct {
	o *fastjson.Object
	c *converter
	m map[string]any // the object as a map, once something asked for it
	// checked says whether repeats tells if a key appears twice.
	checked, repeats bool
}

// recordView is a parsed record: the parser holding it, the converter of
// its values and its objects' views. It is reused record after record.
type recordView struct {
	p     *fastjson.Parser
	c     converter
	views []jsonObject // the views handed out, so each object has one
}

// maxViews bounds the views kept per record; objects beyond get a view
// each time they are read.
const maxViews = 32

// open parses a record and returns its root object's view; ok is false
// when the record must be decoded by parseJSON instead (not an object, or
// anything parseJSON sends to encoding/json, or invalid UTF-8, which
// decoding repairs string by string).
func (r *recordView) open(data []byte) (*jsonObject, bool) {
	control, high := scanBytes(data)
	if control || hasSurrogateEscape(data) || high && !utf8.Valid(data) || fastjson.ValidateBytes(data) != nil {
		return nil, false
	}
	r.p = parsers.Get()
	v, err := r.p.ParseBytes(data)
	if err != nil || v.Type() != fastjson.TypeObject {
		r.close()
		return nil, false
	}
	// The record's strings are copied into one arena, see parseJSON.
	r.c = converter{arena: make([]byte, 0, len(data)), ascii: true, views: r, num: r.c.num}
	if r.views == nil {
		r.views = make([]jsonObject, 0, maxViews)
	}
	return r.c.lazy(v).(*jsonObject), true
}

// close gives the parser back; nothing may read the views afterwards.
func (r *recordView) close() {
	if r.p != nil {
		parsers.Put(r.p)
	}
	clear(r.views)
	r.views = r.views[:0]
	r.p, r.c = nil, converter{num: r.c.num}
}

// get returns the value of key k, as parseJSON would decode it (the last
// one when the key repeats, as a map keeps it); an object comes as a view.
func (j *jsonObject) get(k string) (any, bool) {
	if j.m != nil {
		v, ok := j.m[k]
		return v, ok
	}
	if !j.checked {
		j.checked, j.repeats = true, repeatsKey(j.o)
	}
	var found *fastjson.Value
	if j.repeats {
		j.o.Visit(func(key []byte, v *fastjson.Value) {
			if string(key) == k {
				found = v
			}
		})
	} else {
		found = j.o.Get(k) // the first, the only one
	}
	if found == nil {
		return nil, false
	}
	return j.c.lazy(found), true
}

// repeatsKey reports whether a key appears twice in o.
func repeatsKey(o *fastjson.Object) bool {
	var keys [16]string
	seen := keys[:0]
	repeats := false
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if repeats {
			return
		}
		for _, s := range seen {
			if s == string(k) {
				repeats = true
				return
			}
		}
		seen = append(seen, unsafeString(k))
	})
	return repeats
}

// lazy converts a value, objects to their views.
func (c *converter) lazy(v *fastjson.Value) any {
	if v.Type() != fastjson.TypeObject {
		return c.convert(v)
	}
	o, _ := v.Object()
	r := c.views
	for i := range r.views {
		if r.views[i].o == o {
			return &r.views[i]
		}
	}
	if len(r.views) == cap(r.views) {
		return &jsonObject{o: o, c: c}
	}
	r.views = append(r.views, jsonObject{o: o, c: c})
	return &r.views[len(r.views)-1]
}

// materialise returns the object as a map, decoded once.
func (j *jsonObject) materialise() map[string]any {
	if j.m == nil {
		j.m = make(map[string]any, j.o.Len())
		j.o.Visit(func(k []byte, e *fastjson.Value) { j.m[j.c.str(k)] = j.c.convert(e) })
	}
	return j.m
}

// getKey reads key k of a map, an overlay or a view; isMap is false for
// anything else.
func getKey(v any, k string) (val any, has, isMap bool) {
	if j, ok := v.(*jsonObject); ok {
		val, has = j.get(k)
		return val, has, true
	}
	m, ok := asMapValue(v)
	if !ok {
		return nil, false, false
	}
	val, has = m[k]
	return val, has, true
}

// viewEntries pushes the members of a parsed object (a *jsonObject not
// yet decoded, or a *fastjson.Value object) onto the writer's stack in key
// byte order, the last one of a repeated key only, with a nil value for
// each extra key the object lacks; the values are *fastjson.Value. ok is
// false for anything else.
func (w *engWriter) viewEntries(v any, extra []string) ([]jsonenc.Entry, bool) {
	var o *fastjson.Object
	switch x := v.(type) {
	case *jsonObject:
		if x.m != nil {
			return nil, false
		}
		o = x.o
	case *fastjson.Value:
		var err error
		if o, err = x.Object(); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	start := len(w.view)
	o.Visit(func(k []byte, e *fastjson.Value) {
		w.view = append(w.view, jsonenc.Entry{K: unsafeString(k), V: e})
	})
	for _, k := range extra {
		if !slices.ContainsFunc(w.view[start:], func(e jsonenc.Entry) bool { return e.K == k }) {
			w.view = append(w.view, jsonenc.Entry{K: k})
		}
	}
	es := w.view[start:]
	slices.SortStableFunc(es, func(a, b jsonenc.Entry) int { return strings.Compare(a.K, b.K) })
	// Keep the last of each run of equal keys.
	out := es[:0]
	for i, e := range es {
		if i+1 < len(es) && es[i+1].K == e.K {
			continue
		}
		out = append(out, e)
	}
	w.view = w.view[:start+len(out)]
	return out, true
}

// releaseView pops entries viewEntries returned.
func (w *engWriter) releaseView(es []jsonenc.Entry) {
	clear(es)
	w.view = w.view[:len(w.view)-len(es)]
}

// viewObject writes a parsed object (see viewEntries).
func (w *engWriter) viewObject(v any) bool {
	es, _ := w.viewEntries(v, nil)
	defer w.releaseView(es)
	start := len(w.b)
	w.b = append(w.b, '{')
	count := 0
	for _, e := range es {
		mark := w.member(count, e.K)
		ok := w.jsonValue(e.V.(*fastjson.Value))
		count = w.endMember(mark, ok, count)
	}
	return w.closeObject(start, count)
}

// jsonValue writes a parsed value without its empty values, as value
// writes its decoded form.
func (w *engWriter) jsonValue(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeString:
		b := v.GetStringBytes()
		if len(b) == 0 {
			return false
		}
		w.b = jsonenc.AppendString(w.b, unsafeString(b))
		return true
	case fastjson.TypeObject:
		return w.viewObject(v)
	case fastjson.TypeArray:
		a, _ := v.Array()
		start := len(w.b)
		w.b = append(w.b, '[')
		count := 0
		for _, e := range a {
			mark := w.element(count)
			count = w.endElement(mark, w.jsonValue(e), count)
		}
		return w.closeList(start, count)
	case fastjson.TypeNumber:
		w.num = v.MarshalTo(w.num[:0])
		return w.value(number(w.num))
	case fastjson.TypeTrue:
		w.b = append(w.b, "true"...)
		return true
	case fastjson.TypeFalse:
		w.b = append(w.b, "false"...)
		return true
	}
	return false
}
