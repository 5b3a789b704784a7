package elasticsearch

import (
	"bytes"

	"akship/agent"
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
// Fields (agent.Encoder). It runs in the pipeline's processor workers, so
// documents spend their wait for a bulk request as compact bytes instead of
// trees of maps (which the garbage collector would scan at every cycle),
// and the encoding runs in parallel. The documents of a batch share one
// buffer of exactly their size. An event whose document cannot be encoded
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
		if e.Encoded == nil {
			sc.buf, err = sc.enc.appendDocument(sc.buf, e.Document(), o.routeOf(e.Dataset))
		}
		if err != nil || e.Encoded != nil {
			sc.buf = sc.buf[:mark]
		}
		sc.ends = append(sc.ends, len(sc.buf))
	}
	// Clone allocates without zeroing what the copy overwrites.
	all := bytes.Clone(sc.buf)
	start := 0
	for i, e := range events {
		if end := sc.ends[i]; end > start {
			e.Encoded, e.Fields = all[start:end:end], nil
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
