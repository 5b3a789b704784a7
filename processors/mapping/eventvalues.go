package mapping

import (
	"bytes"
	"net/netip"
	"slices"
	"time"

	"github.com/valyala/fastjson"
)

// computed is a value the event program computes from the record, held
// without boxing it in an interface (which would allocate for nearly
// every record): a string (empty: none), a failure, or, rarely, any other
// document value (to_string of a list).
type computed struct {
	s     string
	fail  *Failure
	other any
}

// write appends the value as docWriter.native would (a failure is
// collected at f.path) and reports whether anything was appended.
func (w *docWriter) computed(c computed) bool {
	switch {
	case c.fail != nil:
		return w.native(c.fail)
	case c.other != nil:
		return w.native(c.other)
	}
	return w.str(c.s)
}

// computedOf wraps a value the conversion functions returned.
func computedOf(v any) computed {
	switch x := v.(type) {
	case nil:
		return computed{}
	case string:
		return computed{s: x}
	case *Failure:
		return computed{fail: x}
	}
	return computed{other: v}
}

// eventRecord is what the event program reads from a record: the sorted
// entries of the objects it looks into, and the values it computes first.
type eventRecord struct {
	root, user, obo, http []entry
	ip                    computed // client_ip checked: an address, "" or a failure
	created               computed // es_date(created)
	userPK                computed // to_string(user.pk)
}

// readEvent looks the record up as event.cel's bindings do. created is
// formatted into w.created, for this record.
func (w *docWriter) readEvent(rec *fastjson.Object) eventRecord {
	var r eventRecord
	r.root = w.sorted(rec)
	r.user = w.sortedAt(r.root, "user")
	r.obo = w.sortedAt(r.user, "on_behalf_of")
	r.http = w.sortedAt(w.sortedAt(r.root, "context"), "http_request")
	if v := find(r.root, "client_ip"); v != nil && v.Type() != fastjson.TypeNull {
		ip, isString := "", v.Type() == fastjson.TypeString
		if isString {
			ip = text(v)
		}
		if _, err := netip.ParseAddr(ip); !isString || (ip != "" && err != nil) {
			r.ip.fail = fail("authentik.event.client_ip: not an IP address: %s", preview(w.value(v)))
		} else {
			r.ip.s = ip
		}
	}
	r.created = w.date(find(r.root, "created"), &w.created)
	if pk := find(r.user, "pk"); pk != nil {
		r.userPK = w.toString(pk)
	}
	return r
}

// timestamp appends @timestamp: created when it is a date, else the
// collection time.
func (w *docWriter) timestamp(r *eventRecord, collected time.Time) {
	if r.created.s != "" {
		w.str(r.created.s)
		return
	}
	w.b = append(w.b, '"')
	w.b = collected.UTC().AppendFormat(w.b, dateLayout)
	w.b = append(w.b, '"')
}

// convert applies a conversion to a record value.
func (w *docWriter) convert(c conversion, v *fastjson.Value) computed {
	switch c {
	case convString:
		return w.toString(v)
	case convDate:
		return w.date(v, &w.scratch)
	case convPK:
		if v.Type() != fastjson.TypeObject {
			return computedOf(w.value(v))
		}
		if pk := v.Get("pk"); pk != nil {
			return w.toString(pk)
		}
		return computed{}
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return computed{other: true}
	case fastjson.TypeFalse:
		return computed{other: false}
	}
	return computedOf(toBool(w.value(v)))
}

// toString is to_string of a record value. A string is itself and a whole
// number of up to 17 digits its own text (as int64 it prints the same);
// anything else takes toString.
func (w *docWriter) toString(v *fastjson.Value) computed {
	switch v.Type() {
	case fastjson.TypeString:
		return computed{s: text(v)}
	case fastjson.TypeNumber:
		if t := w.numberText(v); canonicalInt(t) {
			return computed{s: unsafeString(t)}
		}
	}
	return computedOf(toString(w.value(v)))
}

// numberText returns the text of a record number, copied into w.texts (a
// view of it: valid for this record).
func (w *docWriter) numberText(v *fastjson.Value) []byte {
	start := len(w.texts)
	w.texts = v.MarshalTo(w.texts)
	return w.texts[start:len(w.texts):len(w.texts)]
}

// canonicalInt reports whether t, a JSON number's text, is the text
// strconv gives its int64 value: whole, up to 17 digits, not -0.
func canonicalInt(t []byte) bool {
	return len(t) > 0 && len(t) <= 18 && bytes.IndexAny(t, ".eE") < 0 && !(len(t) == 2 && t[0] == '-' && t[1] == '0')
}

// date is es_date of a record value (nil: missing). A date is formatted
// into buf, whose next use overwrites it.
func (w *docWriter) date(v *fastjson.Value, buf *[]byte) computed {
	if v == nil || v.Type() != fastjson.TypeString {
		return computedOf(esDate(w.value(v)))
	}
	s := text(v)
	if s == "" {
		return computed{}
	}
	if d, ok := appendUTCDate((*buf)[:0], s); ok {
		*buf = d
		return computed{s: unsafeString(d)}
	}
	t, err := parseISO8601(s)
	if err != nil {
		return computedOf(esDate(s))
	}
	*buf = t.UTC().AppendFormat((*buf)[:0], dateLayout)
	return computed{s: unsafeString(*buf)}
}

// renderRaw appends a record value to l as append_unique does (see
// renderUnique) without converting it first.
func (w *docWriter) renderRaw(l []string, v *fastjson.Value) []string {
	if v == nil {
		return l
	}
	switch v.Type() {
	case fastjson.TypeString:
		return addString(l, text(v))
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if e.Type() != fastjson.TypeArray {
				l = w.renderRaw(l, e)
			}
		}
		return l
	case fastjson.TypeNumber:
		t := w.numberText(v)
		if canonicalInt(t) {
			return addString(l, unsafeString(t))
		}
		s, _ := renderString(number(t))
		return addString(l, s)
	case fastjson.TypeTrue:
		return addString(l, "true")
	case fastjson.TypeFalse:
		return addString(l, "false")
	}
	return l // null, object
}

// renderComputed appends a computed value to l as append_unique does.
func renderComputed(l []string, c computed) []string {
	switch {
	case c.fail != nil:
		return l
	case c.other != nil:
		return renderUnique(l, c.other)
	}
	return addString(l, c.s)
}

// renderUnique is appendUniqueNative on strings.
func renderUnique(l []string, value any) []string {
	if vs, ok := value.([]any); ok {
		for _, v := range vs {
			if s, ok := renderString(v); ok {
				l = addString(l, s)
			}
		}
		return l
	}
	if s, ok := renderString(value); ok {
		l = addString(l, s)
	}
	return l
}

func addString(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}
