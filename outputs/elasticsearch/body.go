package elasticsearch

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
	"akship/internal/datasets"
	"akship/internal/jsonenc"
)

// route is what the output writes for one dataset, encoded once: the start
// of the action line, the data_stream object, the tail that frames a
// serialised document with it, and the patches of the minimal document
// (data_stream replaced, event.dataset set); and the dataset's
// counters of stored documents (set by Output.routeOf; nil in a route
// newRoute made).
type route struct {
	index      string
	actionHead []byte          // {"create":{"_index":"logs-authentik.event-default"
	dataStream []byte          // {"dataset":"authentik.event","namespace":"default","type":"logs"}
	tail       []byte          // ,"data_stream":{…}} closing a document without its closing brace
	patches    []jsonenc.Patch // data_stream, event.dataset

	indexed, duplicates, failureStore prometheus.Counter
}

func newRoute(ds agent.Dataset, namespace string) *route {
	index := "logs-" + datasets.Qualified(ds) + "-" + namespace
	r := &route{index: index}
	r.actionHead = jsonenc.AppendString([]byte(`{"create":{"_index":`), index)
	r.dataStream = fmt.Appendf(nil, `{"dataset":%s,"namespace":%s,"type":"logs"}`,
		jsonenc.AppendString(nil, datasets.Qualified(ds)), jsonenc.AppendString(nil, namespace))
	r.tail = append(append([]byte(`,"data_stream":`), r.dataStream...), '}')
	r.patches = []jsonenc.Patch{
		{Key: "data_stream", Raw: r.dataStream},
		{Key: "event", Sub: []jsonenc.Patch{{Key: "dataset", Raw: jsonenc.AppendString(nil, datasets.Qualified(ds))}}},
	}
	return r
}

// bulkBody is one Write call's documents ready to be sent as bulk NDJSON.
// The events' serialised documents stay where they are (agent.Event's
// Document); the body holds their action lines, the minimal documents of
// events no processor mapped, which it encodes itself, and the payload of
// the request being sent, which is written straight from those pieces: a
// document is framed by writing it without its closing brace, then its
// route's tail. Bodies are reused through the
// output's free list (see Output.getBody), so a steady stream of batches
// allocates no new buffers.
type bulkBody struct {
	lines   []byte   // action lines, and the documents encoded by Write (minimal ones)
	docs    []docRef // the i-th encoded document's pieces
	items   []int    // items[i] is the index in the Write slice of the i-th document
	ends    []int    // ends[i] is the NDJSON size of documents [0, i]
	payload bytes.Buffer
	gzw     *gzip.Writer // nil until the first compressed request
	level   int          // gzw's level
	enc     encoder
}

// docRef locates a document's action line and source: its source is doc
// (the event's document without its closing brace) followed by the
// route's tail, or, when doc is nil, lines[ownLo:ownHi].
type docRef struct {
	route              *route // the document's dataset's route
	actionLo, actionHi int
	ownLo, ownHi       int
	doc                []byte
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

// sourceLen returns the size of the i-th document's source.
func (b *bulkBody) sourceLen(i int) int {
	if d := &b.docs[i]; d.doc != nil {
		return len(d.doc) + len(d.route.tail)
	}
	return b.docs[i].ownHi - b.docs[i].ownLo
}

// writeSource writes the i-th document's source to w.
func (b *bulkBody) writeSource(w io.Writer, i int) error {
	d := &b.docs[i]
	if d.doc == nil {
		_, err := w.Write(b.lines[d.ownLo:d.ownHi])
		return err
	}
	if _, err := w.Write(d.doc); err != nil {
		return err
	}
	_, err := w.Write(d.route.tail)
	return err
}

// encode prepares the events' action lines and sources. An event whose
// document is not a JSON object is recorded in failed as a permanent
// error and left out.
func (b *bulkBody) encode(events []*agent.Event, routeOf func(agent.Dataset) *route, failed map[int]error) {
	for i, e := range events {
		r := routeOf(e.Dataset)
		d := docRef{route: r, actionLo: len(b.lines)}
		b.lines = appendAction(b.lines, e, r)
		d.actionHi = len(b.lines)
		if doc := e.Document; len(doc) > 2 && doc[0] == '{' && doc[len(doc)-1] == '}' {
			d.doc = doc[:len(doc)-1]
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
		b.ends = append(b.ends, b.start(n)+d.actionHi-d.actionLo+b.sourceLen(n)+1)
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
		if err := b.writeSource(w, i); err != nil {
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
// at a time (it lives in a bulkBody).
type encoder struct {
	jsonenc.Encoder
}

// appendEvent appends the source of an event's document: its Document
// with data_stream added as the last key (the processor that wrote it set
// event.dataset), else the minimal document with data_stream and
// event.dataset set (the route's patches).
func (enc *encoder) appendEvent(b []byte, e *agent.Event, r *route) ([]byte, error) {
	if e.Document == nil {
		return enc.AppendPatched(b, e.MinimalDocument(), r.patches)
	}
	b, ok := jsonenc.AppendWithMember(b, e.Document, "data_stream", r.dataStream)
	if !ok {
		return b, errNotObject
	}
	return b, nil
}

var errNotObject = errors.New("the document is not a JSON object")

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
