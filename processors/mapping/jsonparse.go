package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"akship/internal/jsonnum"
)

// errTrailing marks a record followed by more data.
var errTrailing = errors.New("the record is followed by more data")

// decoders keep their stacks from record to record.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

// parseJSON decodes one JSON value into the document value types: objects
// to map[string]any, arrays to []any, numbers to int64 when written without
// fraction or exponent and in range, float64 otherwise (their text when
// beyond float64).
//
// Well-formed JSON takes the decoder of jsondec.go, one pass with a few
// allocations per record. Everything it gives up on — invalid JSON (for
// encoding/json's clear error message), invalid UTF-8 and \uD800-\uDFFF
// escapes (which encoding/json repairs to U+FFFD), nesting beyond 300
// levels — goes to encoding/json, so the result is always exactly
// encoding/json's (FuzzParseJSON checks this). The strings are copies:
// data may change once parseJSON has returned.
func parseJSON(data []byte) (any, error) {
	d := decoders.Get().(*decoder)
	d.data, d.i, d.depth = data, 0, 0
	d.arena = make([]byte, 0, len(data))
	d.boxes = nil
	d.skipSpace()
	v, ok := d.value()
	if ok {
		d.skipSpace()
		ok = d.i == len(data)
	}
	clear(d.kvs) // what a failed decode left
	clear(d.elems)
	*d = decoder{kvs: d.kvs[:0], elems: d.elems[:0]}
	decoders.Put(d)
	if ok {
		return v, nil
	}
	return stdParse(data)
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
	s := string(text)
	return jsonnum.Value(s, jsonnum.Integral(s))
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
