package mapping

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"akship/internal/jsonenc"
	"akship/internal/jsonnum"
)

// parsers are reused across records; fastjson's parser keeps its buffers.
var parsers fastjson.ParserPool

// errTrailing marks a record followed by more data.
var errTrailing = errors.New("the record is followed by more data")

// parseJSON decodes one JSON value into the document value types: objects
// to map[string]any, arrays to []any, numbers to int64 when written without
// fraction or exponent and in range, float64 otherwise (their text when
// beyond float64).
//
// Well-formed records take github.com/valyala/fastjson (validated first:
// its parser alone is lenient), about three times faster than
// encoding/json into these types. Everything else — invalid JSON (for
// encoding/json's clear error message), nesting beyond fastjson's 300
// levels, control characters (which fastjson's validator partly lets
// through) and \uD800-\uDFFF escapes (fastjson keeps a lone surrogate as
// text where encoding/json writes U+FFFD) — goes to encoding/json, so the
// result is always exactly encoding/json's (FuzzParseJSON checks this).
func parseJSON(data []byte) (any, error) {
	control, high := scanBytes(data)
	if control || hasSurrogateEscape(data) || fastjson.ValidateBytes(data) != nil {
		return stdParse(data)
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(data)
	if err != nil {
		return stdParse(data)
	}
	// Every string of the record is copied into one arena sized to the
	// record: unescaped strings are never longer than their JSON text, so
	// it never grows and the strings can point into it (one allocation for
	// all of them instead of one each).
	c := converter{arena: make([]byte, 0, len(data)), ascii: !high}
	return c.convert(v), nil
}

// converter copies fastjson values (which live in the pooled parser's
// memory) into the document value types.
type converter struct {
	arena []byte
	ascii bool        // the record has no byte above 0x7f: every string is valid UTF-8
	views *recordView // where objects get their views (see lazy)
	num   []byte      // a number's text, reused
}

// scanBytes looks at data 8 bytes at a time: control reports a byte below
// 0x20 (the scan stops at it), high a byte at or above 0x80 before that.
// JSON allows control characters only as whitespace between tokens, never
// inside strings, which fastjson's validator does not check; compact JSON
// (what authentik sends) holds none, so such records simply take
// encoding/json. Without a high byte every string is valid UTF-8.
func scanBytes(data []byte) (control, high bool) {
	var seen uint64
	i := 0
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		// The lane of the first byte below 0x20 gets its high bit (a
		// borrow can flag later lanes too, never when there is none).
		if (x-0x20*jsonenc.Lanes01)&^x&jsonenc.Lanes80 != 0 {
			return true, seen&jsonenc.Lanes80 != 0
		}
		seen |= x
	}
	for ; i < len(data); i++ {
		if data[i] < 0x20 {
			return true, seen&jsonenc.Lanes80 != 0
		}
		seen |= uint64(data[i])
	}
	return false, seen&jsonenc.Lanes80 != 0
}

// hasSurrogateEscape reports whether data holds a \uD800-\uDFFF escape.
func hasSurrogateEscape(data []byte) bool {
	for {
		i := bytes.Index(data, []byte(`\u`))
		if i < 0 || i+2 >= len(data) {
			return false
		}
		if c := data[i+2]; c == 'd' || c == 'D' {
			if i+3 < len(data) && strings.IndexByte("89abcdefABCDEF", data[i+3]) >= 0 {
				return true
			}
		}
		data = data[i+2:]
	}
}

func (c *converter) convert(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		m := make(map[string]any, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) { m[c.str(k)] = c.convert(e) })
		return m
	case fastjson.TypeArray:
		a, _ := v.Array()
		l := make([]any, len(a))
		for i, e := range a {
			l[i] = c.convert(e)
		}
		return l
	case fastjson.TypeString:
		return c.str(v.GetStringBytes())
	case fastjson.TypeNumber:
		c.num = v.MarshalTo(c.num[:0])
		return number(c.num)
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}

// str copies b into the arena as a string. Invalid UTF-8 (whose repair can
// grow the text) is copied on its own.
func (c *converter) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(c.arena)+len(b) > cap(c.arena) || !c.ascii && !utf8.Valid(b) {
		return validString(b)
	}
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	return unsafeString(c.arena[start:])
}

// validString copies b into a string, replacing each invalid UTF-8 byte
// with U+FFFD as encoding/json does.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b) // RuneError, 1 for an invalid byte
		sb.WriteRune(r)
		b = b[size:]
	}
	return sb.String()
}

// stdParse decodes with encoding/json (exact numbers kept).
func stdParse(data []byte) (any, error) {
	v, err := jsonnum.Decode(data)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, jsonnum.ErrTrailingData):
		return nil, errTrailing
	case errors.As(err, &se):
		return nil, fmt.Errorf("offset %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, fmt.Errorf("offset %d: unexpected end of input", len(data))
	}
	return nil, err
}

// number converts a valid JSON number's text to a document value (see
// jsonnum); text may be reused afterwards.
func number(text []byte) any {
	s := unsafeString(text)
	v := jsonnum.Value(s, jsonnum.Integral(s))
	if _, isText := v.(string); isText {
		return string(text) // a copy: s is text
	}
	return v
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
