package elasticsearch

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/gzip"

	"akship/agent"
)

// route is what the output writes for one dataset, encoded once: the start
// of the action line, the data_stream object and the event.dataset value.
type route struct {
	index      string
	actionHead []byte // {"create":{"_index":"logs-authentik.event-default"
	dataStream []byte // {"dataset":"authentik.event","namespace":"default","type":"logs"}
	dataset    []byte // "authentik.event"
}

func newRoute(ds agent.Dataset, namespace string) *route {
	index := "logs-" + ds.DataStreamDataset() + "-" + namespace
	r := &route{index: index}
	r.actionHead = appendString([]byte(`{"create":{"_index":`), index)
	r.dataStream = fmt.Appendf(nil, `{"dataset":%s,"namespace":%s,"type":"logs"}`,
		appendString(nil, ds.DataStreamDataset()), appendString(nil, namespace))
	r.dataset = appendString(nil, ds.DataStreamDataset())
	return r
}

// bulkBody is one Write call's documents encoded as a bulk NDJSON body.
// Bodies are reused through the output's free list (see Output.getBody),
// so a steady stream of batches allocates no new buffers.
type bulkBody struct {
	ndjson []byte // action and source lines of every encoded event
	items  []int  // items[i] is the index in the Write slice of the i-th document
	ends   []int  // ends[i] is where the i-th document's lines end in ndjson
	gz     bytes.Buffer
	gzw    *gzip.Writer // nil until the first compressed request
	level  int          // gzw's level
	enc    encoder
}

// maxPooledBody keeps a rare huge batch from pinning its memory.
const maxPooledBody = 32 << 20

// reset empties the body for reuse. It reports false when the body grew
// too large to keep.
func (b *bulkBody) reset() bool {
	if cap(b.ndjson) > maxPooledBody || b.gz.Cap() > maxPooledBody {
		return false
	}
	b.ndjson, b.items, b.ends = b.ndjson[:0], b.items[:0], b.ends[:0]
	b.gz.Reset()
	return true
}

// start returns where the i-th document's lines start in ndjson.
func (b *bulkBody) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

// encode appends the events' action and source lines. An event that cannot
// be encoded (a NaN, a value JSON cannot hold) is recorded in failed as a
// permanent error and left out.
func (b *bulkBody) encode(events []*agent.Event, routeOf func(agent.Dataset) *route, failed map[int]error) {
	for i, e := range events {
		mark := len(b.ndjson)
		var err error
		b.ndjson, err = b.enc.appendEvent(b.ndjson, e, routeOf(e.Dataset))
		if err != nil {
			b.ndjson = b.ndjson[:mark]
			failed[i] = agent.Permanent(fmt.Errorf("encoding the document failed: %w", err))
			continue
		}
		b.items = append(b.items, i)
		b.ends = append(b.ends, len(b.ndjson))
	}
}

// appendEvent appends the action line and the document of one event.
func (enc *encoder) appendEvent(b []byte, e *agent.Event, r *route) ([]byte, error) {
	b = append(b, r.actionHead...)
	if e.ID != "" {
		b = append(b, `,"_id":`...)
		b = appendString(b, e.ID)
	}
	b = append(b, "}}\n"...)
	b, err := enc.appendDocument(b, e.Document(), r)
	return append(b, '\n'), err
}

// appendDocument encodes doc with data_stream replaced and event.dataset
// set, without modifying doc: its maps may be shared with other holders
// of the event (a retry, the dead-letter writer).
func (enc *encoder) appendDocument(b []byte, doc map[string]any, r *route) ([]byte, error) {
	entries := enc.sorted(doc, "data_stream", "event")
	defer enc.release(entries)
	b = append(b, '{')
	var err error
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.k)
		b = append(b, ':')
		switch e.k {
		case "data_stream":
			b = append(b, r.dataStream...)
		case "event":
			b, err = enc.appendEventObject(b, e.v, r.dataset)
		default:
			b, err = enc.appendJSON(b, e.v)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendEventObject encodes the event object with dataset set. A
// non-object event field is kept as it is: Elasticsearch will reject the
// document with a mapping error, which dead-letters it with the reason.
func (enc *encoder) appendEventObject(b []byte, v any, dataset []byte) ([]byte, error) {
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return enc.appendJSON(b, v)
	}
	entries := enc.sorted(m, "dataset")
	defer enc.release(entries)
	b = append(b, '{')
	var err error
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.k)
		b = append(b, ':')
		if e.k == "dataset" {
			b = append(b, dataset...)
			continue
		}
		if b, err = enc.appendJSON(b, e.v); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// compress fills b.gz with documents [lo, hi) gzipped at level. The
// writer is klauspost/compress's gzip, about twice as fast as the standard
// library's at the same level and with smaller output; it stays with the
// body, so its large internal state is allocated once per body.
func (b *bulkBody) compress(lo, hi, level int) error {
	b.gz.Reset()
	if b.gzw == nil || b.level != level {
		w, err := gzip.NewWriterLevel(&b.gz, level)
		if err != nil {
			return err
		}
		b.gzw, b.level = w, level
	} else {
		b.gzw.Reset(&b.gz)
	}
	if _, err := b.gzw.Write(b.ndjson[b.start(lo):b.ends[hi-1]]); err != nil {
		return err
	}
	return b.gzw.Close()
}
