package mapping

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"akship/agent"
)

// writers are reused across records, with their buffers.
var writers = sync.Pool{New: func() any { return new(docWriter) }}

// twinInvalid counts the documents the native twin wrote as invalid JSON
// (a bug, caught before shipping: the map path maps those records); the
// tests require it to stay zero.
var twinInvalid atomic.Int64

// maxPooledWriter keeps a rare huge record from pinning its buffers.
const maxPooledWriter = 1 << 20

// mapJSON maps an event record with the native twin that writes the
// document's JSON (see eventjson.go) and returns a new slice holding it,
// with agent.FieldsJSONSpare bytes of capacity to spare.
// ok is false for a record left to the map path: one that fastjson cannot
// read exactly as encoding/json does (see parseJSON), that is not valid
// UTF-8 (the decoder repairs it, and the map path keeps event.original
// as received), or that is not an object, or whose document came out
// invalid (see twinInvalid). A record with failures is written twice: the first pass finds
// them, the second writes error.message, event.kind and the tags they
// decide, which come before some of the fields they are found in.
func (dm *datasetMapper) mapJSON(raw []byte, collected time.Time) (_ []byte, ok bool) {
	if !plainText(raw) || hasSurrogateEscape(raw) || fastjson.ValidateBytes(raw) != nil {
		return nil, false
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil, false
	}
	obj, _ := v.Object()
	w := writers.Get().(*docWriter)
	defer func() {
		if cap(w.b) <= maxPooledWriter && cap(w.entries) <= maxPooledWriter/32 {
			writers.Put(w)
		}
	}()
	w.reset()
	rec := w.readEvent(obj)
	dm.enrich.appendEvent(w, &rec, raw, collected, dm, nil)
	if len(w.f.failures) > 0 {
		msgs := w.f.messages()
		w.b = w.b[:0]
		w.f = finisher{}
		w.f.path = w.f.stack[:0]
		dm.enrich.appendEvent(w, &rec, raw, collected, dm, msgs)
	}
	if fastjson.ValidateBytes(w.b) != nil {
		// A writer bug must not cost a document: the map path maps the
		// record instead. FuzzMap fails on any such fallback.
		twinInvalid.Add(1)
		return nil, false
	}
	return append(make([]byte, 0, len(w.b)+agent.FieldsJSONSpare), w.b...), true
}

// SWAR constants: a byte of each in every lane of a uint64.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// plainText reports whether raw is valid UTF-8 without control characters
// (see hasControlByte), looking at 8 bytes at a time.
func plainText(raw []byte) bool {
	var seen uint64
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		x := binary.LittleEndian.Uint64(raw[i:])
		if (x-0x20*lanes01)&^x&lanes80 != 0 {
			return false // a byte below 0x20
		}
		seen |= x
	}
	for ; i < len(raw); i++ {
		if raw[i] < 0x20 {
			return false
		}
		seen |= uint64(raw[i])
	}
	return seen&lanes80 == 0 || utf8.Valid(raw)
}
