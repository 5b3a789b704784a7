package mapping

import (
	"unicode/utf8"
	"unsafe"

	"akship/internal/jsonnum"
)

// decoder decodes well-formed JSON in one pass straight into the document
// value types (see parseJSON). It accepts exactly RFC 8259 JSON and gives
// up (ok false) on anything it does not decode itself — a syntax error,
// invalid UTF-8, a \uD800-\uDFFF escape, nesting beyond maxDepth — so that
// encoding/json decides those (its error message, its repairs).
//
// Allocation is per record, not per value where it can be helped: every
// string is copied into one arena sized to the record (an unescaped string
// is never longer than its JSON text, so the arena never grows), strings
// stored as values are boxed in chunks (box), and the members of an object
// or the elements of an array are gathered on a reused stack first, so
// each map and slice is made once at its final size.
type decoder struct {
	data  []byte
	i     int
	depth int
	arena []byte
	boxes []string // the current chunk of boxed strings
	kvs   []member // the members of the objects being decoded
	elems []any    // the elements of the arrays being decoded
}

// member is a decoded object member.
type member struct {
	k string
	v any
}

// maxDepth is the deepest nesting the decoder handles itself.
const maxDepth = 300

// boxChunk is how many strings a chunk of boxed strings holds.
const boxChunk = 16

// eface is the layout of an interface value of type any.
type eface struct {
	typ, data unsafe.Pointer
}

// stringType is the type word of a string held in an any.
var stringType = func() unsafe.Pointer {
	var v any = "type"
	return (*eface)(unsafe.Pointer(&v)).typ
}()

// box returns s as an any without an allocation of its own: the string
// header lives in a chunk shared with other strings of the record, which
// is never written again once a header is in it (as the runtime's own
// boxing, whose copy nobody writes either).
func (d *decoder) box(s string) any {
	if s == "" {
		return ""
	}
	if len(d.boxes) == cap(d.boxes) {
		d.boxes = make([]string, 0, boxChunk)
	}
	d.boxes = append(d.boxes, s)
	e := eface{typ: stringType, data: unsafe.Pointer(&d.boxes[len(d.boxes)-1])}
	return *(*any)(unsafe.Pointer(&e))
}

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i (no leading space).
func (d *decoder) value() (any, bool) {
	if d.i >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return d.box(s), true
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *decoder) literal(word string) bool {
	if len(d.data)-d.i < len(word) || string(d.data[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *decoder) object() (any, bool) {
	if d.depth++; d.depth > maxDepth {
		return nil, false
	}
	d.i++ // {
	base := len(d.kvs)
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		return map[string]any{}, true
	}
	for {
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.kvs = append(d.kvs, member{k, v})
		d.skipSpace()
		if d.i >= len(d.data) {
			return nil, false
		}
		c := d.data[d.i]
		d.i++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, false
		}
		d.skipSpace()
	}
	kvs := d.kvs[base:]
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs { // in order: a repeated key's last value wins
		m[kv.k] = kv.v
	}
	clear(kvs)
	d.kvs = d.kvs[:base]
	d.depth--
	return m, true
}

func (d *decoder) array() (any, bool) {
	if d.depth++; d.depth > maxDepth {
		return nil, false
	}
	d.i++ // [
	base := len(d.elems)
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		return []any{}, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.elems = append(d.elems, v)
		d.skipSpace()
		if d.i >= len(d.data) {
			return nil, false
		}
		c := d.data[d.i]
		d.i++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, false
		}
		d.skipSpace()
	}
	l := append([]any(nil), d.elems[base:]...)
	clear(d.elems[base:])
	d.elems = d.elems[:base]
	d.depth--
	return l, true
}

// str decodes the string at d.i (its opening quote) into the arena.
func (d *decoder) str() (string, bool) {
	d.i++ // "
	start := len(d.arena)
	run := d.i // the start of the bytes not yet copied
	high := false
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.arena = append(d.arena, d.data[run:d.i]...)
			d.i++
			s := d.arena[start:]
			if high && !utf8.Valid(s) {
				return "", false
			}
			return unsafeString(s), true
		case c < 0x20:
			return "", false
		case c >= 0x80:
			high = true
			d.i++
		case c == '\\':
			d.arena = append(d.arena, d.data[run:d.i]...)
			if !d.escape() {
				return "", false
			}
			run = d.i
		default:
			d.i++
		}
	}
	return "", false
}

// escape decodes the escape at d.i (its backslash) into the arena.
func (d *decoder) escape() bool {
	if d.i+1 >= len(d.data) {
		return false
	}
	c := d.data[d.i+1]
	d.i += 2
	switch c {
	case '"', '\\', '/':
		d.arena = append(d.arena, c)
	case 'b':
		d.arena = append(d.arena, '\b')
	case 'f':
		d.arena = append(d.arena, '\f')
	case 'n':
		d.arena = append(d.arena, '\n')
	case 'r':
		d.arena = append(d.arena, '\r')
	case 't':
		d.arena = append(d.arena, '\t')
	case 'u':
		if len(d.data)-d.i < 4 {
			return false
		}
		r := rune(0)
		for _, h := range d.data[d.i : d.i+4] {
			switch {
			case h >= '0' && h <= '9':
				r = r<<4 | rune(h-'0')
			case h >= 'a' && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			case h >= 'A' && h <= 'F':
				r = r<<4 | rune(h-'A'+10)
			default:
				return false
			}
		}
		if r >= 0xD800 && r <= 0xDFFF { // surrogates: encoding/json's rules
			return false
		}
		d.i += 4
		d.arena = utf8.AppendRune(d.arena, r)
	default:
		return false
	}
	return true
}

// number decodes the number at d.i, checked against JSON's grammar.
func (d *decoder) number() (any, bool) {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.data) && d.data[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return nil, false
	}
	integral := true
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		integral = false
		if d.digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		integral = false
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	text := unsafeString(d.data[start:d.i])
	v := jsonnum.Value(text, integral)
	if _, kept := v.(string); kept { // beyond float64: its own copy
		v = string(d.data[start:d.i])
	}
	return v, true
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}
