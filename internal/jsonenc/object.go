package jsonenc

import "strconv"

// Object appends a JSON object whose keys the caller writes in order; it
// leaves out empty strings and, when no key was written, the whole object.
type Object struct {
	B     []byte // the buffer being appended to
	start int    // where the object starts in B
}

// StartObject starts an object at the end of b.
func StartObject(b []byte) Object { return Object{B: append(b, '{'), start: len(b)} }

// Key appends a key (and the comma before it); the caller appends the value.
func (o *Object) Key(k string) {
	if len(o.B) > o.start+1 {
		o.B = append(o.B, ',')
	}
	o.B = AppendString(o.B, k)
	o.B = append(o.B, ':')
}

// String appends a key and its string value, unless the value is empty.
func (o *Object) String(k, v string) {
	if v != "" {
		o.Key(k)
		o.B = AppendString(o.B, v)
	}
}

// End closes the object and returns the buffer, without the object when it
// has no key.
func (o *Object) End() []byte {
	if len(o.B) == o.start+1 {
		return o.B[:o.start]
	}
	return append(o.B, '}')
}

// AppendInt appends n in decimal.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
