package mapping

import (
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

// plainText reports whether raw is valid UTF-8 without control characters
// (see hasControlByte), looking at 8 bytes at a time.
func plainText(raw []byte) bool {
	control, high := scanBytes(raw)
	return !control && (!high || utf8.Valid(raw))
}
