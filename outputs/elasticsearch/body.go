package elasticsearch

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
	"akship/inputs/authentik/datasets"
	"akship/internal/jsonenc"
)

// route is what the output writes for one dataset, encoded once: the start
// of the action line, the data_stream object, and both as patches of a
// document (data_stream replaced, event.dataset set); and the dataset's
// counters of stored documents (set by Output.routeOf; nil in a route
// newRoute made).
type route struct {
	index      string
	actionHead []byte          // {"create":{"_index":"logs-authentik.event-default"
	dataStream []byte          // {"dataset":"authentik.event","namespace":"default","type":"logs"}
	patches    []jsonenc.Patch // data_stream, event.dataset

	indexed, duplicates, failureStore prometheus.Counter
}

func newRoute(ds agent.Dataset, namespace string) *route {
	index := "logs-" + datasets.Qualified(ds) + "-" + namespace
	r := &route{index: index}
	r.actionHead = jsonenc.AppendString([]byte(`{"create":{"_index":`), index)
	r.dataStream = fmt.Appendf(nil, `{"dataset":%s,"namespace":%s,"type":"logs"}`,
		jsonenc.AppendString(nil, datasets.Qualified(ds)), jsonenc.AppendString(nil, namespace))
	r.patches = []jsonenc.Patch{
		{Key: "data_stream", Raw: r.dataStream},
		{Key: "event", Sub: []jsonenc.Patch{{Key: "dataset", Raw: jsonenc.AppendString(nil, datasets.Qualified(ds))}}},
	}
	return r
}

// bulkBody is one Write call's documents ready to be sent as bulk NDJSON.
// Documents an Encode call serialised ahead stay where they are (the
// events' Encoded); the body holds their action lines, the documents Write
// had to encode itself, and the payload of the request being sent, which is
// written straight from those pieces. Bodies are reused through the
// output's free list (see Output.getBody), so a steady stream of batches
// allocates no new buffers.
type bulkBody struct {
	lines   []byte   // action lines, and the documents encoded by Write
	docs    []docRef // the i-th encoded document's pieces
	items   []int    // items[i] is the index in the Write slice of the i-th document
	ends    []int    // ends[i] is the NDJSON size of documents [0, i]
	payload bytes.Buffer
	gzw     *gzip.Writer // nil until the first compressed request
	level   int          // gzw's level
	enc     encoder
}

// docRef locates a document's action line and source: its source is
// encoded when Encode made it, else lines[ownLo:ownHi].
type docRef struct {
	route              *route // the document's dataset's route
	actionLo, actionHi int
	ownLo, ownHi       int
	encoded            []byte
}

// maxPooledBody keeps a rare huge batch from pinning its memory.
const maxPooledBody = 32 << 20

// reset empties the body for reuse. It reports false when the body grew
// too large to keep.
func (b *bulkBody) reset() bool {
	if cap(b.lines) > maxPooledBody || b.payload.Cap() > maxPooledBody {
		return false
	}
	clear(b.docs) // drop the references to the events' documents
	b.lines, b.docs, b.items, b.ends = b.lines[:0], b.docs[:0], b.items[:0], b.ends[:0]
	b.payload.Reset()
	return true
}

// start returns the NDJSON size of the documents before the i-th.
func (b *bulkBody) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

// source returns the i-th document's source.
func (b *bulkBody) source(i int) []byte {
	if d := &b.docs[i]; d.encoded != nil {
		return d.encoded
	}
	d := &b.docs[i]
	return b.lines[d.ownLo:d.ownHi]
}

// encode prepares the events' action lines and sources. An event that
// cannot be encoded (a NaN, a value JSON cannot hold) is recorded in failed
// as a permanent error and left out.
func (b *bulkBody) encode(events []*agent.Event, routeOf func(agent.Dataset) *route, failed map[int]error) {
	for i, e := range events {
		r := routeOf(e.Dataset)
		d := docRef{route: r, actionLo: len(b.lines)}
		b.lines = appendAction(b.lines, e, r)
		d.actionHi = len(b.lines)
		if e.Encoded != nil {
			d.encoded = e.Encoded
		} else {
			var err error
			d.ownLo = len(b.lines)
			if b.lines, err = b.enc.appendEvent(b.lines, e, r); err != nil {
				b.lines = b.lines[:d.actionLo]
				failed[i] = agent.Permanent(fmt.Errorf("encoding the document failed: %w", err))
				continue
			}
			d.ownHi = len(b.lines)
		}
		b.docs = append(b.docs, d)
		b.items = append(b.items, i)
		n := len(b.docs) - 1
		b.ends = append(b.ends, b.start(n)+d.actionHi-d.actionLo+len(b.source(n))+1)
	}
}

// appendAction appends the action line of one event.
func appendAction(b []byte, e *agent.Event, r *route) []byte {
	b = append(b, r.actionHead...)
	if e.ID != "" {
		b = append(b, `,"_id":`...)
		b = jsonenc.AppendString(b, e.ID)
	}
	return append(b, "}}\n"...)
}

var newline = []byte{'\n'}

// writeLines writes the NDJSON lines of documents [lo, hi) to w.
func (b *bulkBody) writeLines(w io.Writer, lo, hi int) error {
	for i := lo; i < hi; i++ {
		d := &b.docs[i]
		if _, err := w.Write(b.lines[d.actionLo:d.actionHi]); err != nil {
			return err
		}
		if _, err := w.Write(b.source(i)); err != nil {
			return err
		}
		if _, err := w.Write(newline); err != nil {
			return err
		}
	}
	return nil
}

// encoder encodes documents: akship's JSON encoder, whose key-sorting stack
// is reused from document to document; an encoder is used by one goroutine
// at a time (it lives in a bulkBody or a scratch).
type encoder struct {
	jsonenc.Encoder
}

// appendDocument encodes doc with data_stream replaced and event.dataset
// set (the route's patches), without modifying doc: its maps may be shared
// with other holders of the event (a retry, the dead-letter writer). A
// non-object event field is kept as it is: Elasticsearch will reject the
// document with a mapping error, which dead-letters it with the reason.
func (enc *encoder) appendDocument(b []byte, doc map[string]any, r *route) ([]byte, error) {
	return enc.AppendPatched(b, doc, r.patches)
}

// makePayload fills b.payload with the request body for documents
// [lo, hi): their NDJSON lines, gzipped at level unless level is 0. The
// gzip writer is klauspost/compress's, about twice as fast as the standard
// library's at the same level and with smaller output; it stays with the
// body, so its large internal state is allocated once per body.
func (b *bulkBody) makePayload(lo, hi, level int) error {
	b.payload.Reset()
	if level == 0 {
		b.payload.Grow(b.ends[hi-1] - b.start(lo))
		return b.writeLines(&b.payload, lo, hi)
	}
	if b.gzw == nil || b.level != level {
		w, err := gzip.NewWriterLevel(&b.payload, level)
		if err != nil {
			return err
		}
		b.gzw, b.level = w, level
	} else {
		b.gzw.Reset(&b.payload)
	}
	if err := b.writeLines(b.gzw, lo, hi); err != nil {
		return err
	}
	return b.gzw.Close()
}
