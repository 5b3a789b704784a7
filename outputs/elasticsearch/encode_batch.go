package elasticsearch

import (
	"bytes"
	"errors"

	"akship/agent"
	"akship/internal/jsonenc"
)

// scratch is an encoder with a buffer, reused by Encode calls.
type scratch struct {
	buf  []byte
	ends []int
	enc  encoder
}

// maxScratch keeps a rare huge batch from pinning its buffer.
const maxScratch = 16 << 20

// Encode serialises the events' documents into Encoded and drops their
// Fields and FieldsJSON (agent.Encoder). It runs in the pipeline's processor workers, so
// documents spend their wait for a bulk request as compact bytes instead of
// trees of maps (which the garbage collector would scan at every cycle),
// and the encoding runs in parallel. The documents of a batch share one
// buffer of exactly their size, except those a processor serialised
// (FieldsJSON), which become their own Encoded where their spare capacity
// holds data_stream (see adopt). An event whose document cannot be encoded
// is left as it is, for Write to reject with the reason.
func (o *Output) Encode(events []*agent.Event) {
	var sc *scratch
	select {
	case sc = <-o.scratch:
	default:
		sc = new(scratch)
	}
	sc.buf, sc.ends = sc.buf[:0], sc.ends[:0]
	for _, e := range events {
		mark := len(sc.buf)
		var err error
		switch {
		case e.Encoded != nil:
		case adopt(e, o.routeOf(e.Dataset)):
		default:
			sc.buf, err = sc.enc.appendEvent(sc.buf, e, o.routeOf(e.Dataset))
		}
		if err != nil || e.Encoded != nil {
			sc.buf = sc.buf[:mark]
		}
		sc.ends = append(sc.ends, len(sc.buf))
	}
	// Clone allocates without zeroing what the copy overwrites.
	var all []byte
	if len(sc.buf) > 0 {
		all = bytes.Clone(sc.buf)
	}
	start := 0
	for i, e := range events {
		if end := sc.ends[i]; end > start {
			e.Encoded, e.Fields, e.FieldsJSON = all[start:end:end], nil, nil
			start = end
		}
	}
	if cap(sc.buf) > maxScratch {
		return
	}
	select {
	case o.scratch <- sc:
	default:
	}
}

// appendEvent appends the source of an event's document: its FieldsJSON
// with data_stream added as the last key (the producer of FieldsJSON sets
// event.dataset, see agent.Event), else its Document() encoded by
// appendDocument.
func (enc *encoder) appendEvent(b []byte, e *agent.Event, r *route) ([]byte, error) {
	if e.Fields != nil || e.FieldsJSON == nil {
		return enc.appendDocument(b, e.Document(), r)
	}
	b, ok := jsonenc.AppendWithMember(b, e.FieldsJSON, "data_stream", r.dataStream)
	if !ok {
		return b, errNotObject
	}
	return b, nil
}

var errNotObject = errors.New("the serialised document (FieldsJSON) is not a JSON object")

// adopt turns a document a processor serialised into the event's Encoded
// without copying it, as agent.Event allows: data_stream is appended in
// place, within FieldsJSON's spare capacity. It reports false, changing
// nothing, when the capacity is short or there is no such document.
func adopt(e *agent.Event, r *route) bool {
	doc := e.FieldsJSON
	if e.Fields != nil || doc == nil || cap(doc)-len(doc) < jsonenc.MemberSize("data_stream", r.dataStream) {
		return false
	}
	enc, ok := jsonenc.AppendWithMember(doc[:0], doc, "data_stream", r.dataStream)
	if ok {
		e.Encoded, e.FieldsJSON = enc, nil
	}
	return ok
}
