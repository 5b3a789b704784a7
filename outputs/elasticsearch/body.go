package elasticsearch

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"sync"

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
// It is pooled: a body of a previous call is reused, so a steady stream of
// batches allocates no new buffers.
type bulkBody struct {
	ndjson []byte // action and source lines of every encoded event
	items  []int  // items[i] is the index in the Write slice of the i-th document
	ends   []int  // ends[i] is where the i-th document's lines end in ndjson
	gz     bytes.Buffer
	enc    encoder
}

// maxPooledBody keeps a rare huge batch from pinning its memory in the pool.
const maxPooledBody = 32 << 20

var bodyPool = sync.Pool{New: func() any { return new(bulkBody) }}

func getBody() *bulkBody { return bodyPool.Get().(*bulkBody) }

func putBody(b *bulkBody) {
	if cap(b.ndjson) > maxPooledBody || b.gz.Cap() > maxPooledBody {
		return
	}
	b.ndjson, b.items, b.ends = b.ndjson[:0], b.items[:0], b.ends[:0]
	b.gz.Reset()
	bodyPool.Put(b)
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
	keys := enc.sortedKeys(doc, "data_stream", "event")
	defer enc.release(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch k {
		case "data_stream":
			b = append(b, r.dataStream...)
		case "event":
			b, err = enc.appendEventObject(b, doc[k], r.dataset)
		default:
			b, err = enc.appendJSON(b, doc[k])
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
	keys := enc.sortedKeys(m, "dataset")
	defer enc.release(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if k == "dataset" {
			b = append(b, dataset...)
			continue
		}
		if b, err = enc.appendJSON(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// gzipPools holds one pool of writers per compression level.
var gzipPools [gzip.BestCompression + 1]sync.Pool

// compress fills b.gz with documents [lo, hi) gzipped at level.
func (b *bulkBody) compress(lo, hi, level int) error {
	b.gz.Reset()
	w, _ := gzipPools[level].Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(&b.gz, level); err != nil {
			return err
		}
	} else {
		w.Reset(&b.gz)
	}
	defer gzipPools[level].Put(w)
	if _, err := w.Write(b.ndjson[b.start(lo):b.ends[hi-1]]); err != nil {
		return err
	}
	return w.Close()
}
