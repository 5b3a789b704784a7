package elasticsearch

import (
	"akship/internal/jsonenc"
)

// encoder encodes documents: akship's JSON encoder (internal/jsonenc),
// whose key-sorting stack is reused from document to document; an encoder
// is used by one goroutine at a time (it lives in a bulkBody or a scratch).
// The document-level parts (data_stream, event.dataset) are in body.go.
type encoder struct {
	jsonenc.Encoder
}

// entry is a map key and its value (see jsonenc.Entry).
type entry = jsonenc.Entry

// appendJSON appends the JSON encoding of v to b: maps with their keys
// sorted, encoding/json's formats for strings and numbers (see jsonenc).
func (enc *encoder) appendJSON(b []byte, v any) ([]byte, error) { return enc.Append(b, v) }

// sorted pushes m's entries, plus entries with a nil value for the extra
// keys absent from m, in key order; release pops them.
func (enc *encoder) sorted(m map[string]any, extra ...string) []entry {
	return enc.Sorted(m, extra...)
}

func (enc *encoder) release(entries []entry) { enc.Release(entries) }

// appendString appends s as a JSON string, as encoding/json does without
// HTML escaping.
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }
