// Package agent is akship's core: the event and batch types, the component
// interfaces, the pipeline that moves batches from inputs through processors
// to the output, and the ordered checkpoint tracker that turns output
// acknowledgements into cursor commits. It depends on no vendor SDK.
package agent

import (
	"context"
	"time"

	"akship/internal/jsonnum"
)

// Dataset labels the kind of record an event is (the authentik input's
// "event", "user", "group"). The core gives it no meaning: it counts events
// per label, and the processors and the output a source is built with use
// it to pick a mapping and a destination. The input that produces events
// owns its labels and their names outside akship.
type Dataset string

// Event is one record on its way to the output.
//
// An input fills Dataset, ID, Raw and Collected; processors fill Fields (the
// ECS document), or FieldsJSON, from Raw. Outputs serialise the document
// and address it by ID; an output that is an Encoder serialises it early,
// into Encoded. An Event belongs to exactly one goroutine at a time: the
// pipeline hands it from stage to stage, so no locking is needed.
type Event struct {
	// Dataset is the kind of record (event, user, group).
	Dataset Dataset
	// ID is the deterministic document id the input derives from the
	// record (a primary key, a fingerprint). Replays of the same record
	// produce the same ID, so the destination absorbs them.
	ID string
	// Raw is the record exactly as the source returned it (compact JSON).
	// It becomes event.original.
	Raw []byte
	// Collected is when the input read the record; it is @timestamp for
	// records that carry no time of their own.
	Collected time.Time
	// Fields is the document to index. Nil until a processor builds it; an
	// output given an event with nil Fields writes the minimal document
	// (see MinimalDocument).
	Fields map[string]any
	// FieldsJSON is the document already serialised, set by a processor
	// that writes the document directly instead of building Fields (the
	// mapping engine: building the tree of maps and encoding it cost
	// several times the mapping itself). It is
	// one compact JSON object (no whitespace around it) holding exactly
	// what Fields would, with event.dataset set to the dataset's
	// DataStreamDataset and no data_stream, which outputs add as they do
	// for Fields. Fields, when set, takes precedence: a processor that
	// changes the document works on Document() and stores the result in
	// Fields, clearing FieldsJSON. The event owns the slice's memory and
	// it is not changed while set; an output's Encode may take it over
	// (clearing FieldsJSON) and append to it in place, within its capacity,
	// which is why processors leave FieldsJSONSpare bytes of capacity.
	FieldsJSON []byte
	// Encoded is the document as serialised by the output's Encode, which
	// then clears Fields and FieldsJSON. It is read-only: several events
	// share one buffer.
	Encoded []byte
}

// FieldsJSONSpare is the capacity a processor leaves after FieldsJSON, so
// that an output can add its keys (data_stream) without copying the
// document; an output copies when it needs more.
const FieldsJSONSpare = 128

// MinimalDocument is the document shipped for an event that no processor
// mapped: the record as event.original and when it was collected. It keeps
// the pipeline useful (and lossless) without a mapping; the output adds
// what names the destination (event.dataset, data_stream) as it does to
// every document.
func (e *Event) MinimalDocument() map[string]any {
	return map[string]any{
		"@timestamp": e.Collected.UTC().Format(time.RFC3339Nano),
		"event":      map[string]any{"original": string(e.Raw)},
	}
}

// Document returns Fields, else the decoded FieldsJSON, else the decoded
// Encoded document when an Encoder took the document (the dead-letter
// path), or the minimal document when nothing mapped the event. A decoded
// document is new at each call; its numbers are int64 when written without
// fraction or exponent and within range, float64 otherwise, as the
// mapping decodes records.
func (e *Event) Document() map[string]any {
	if e.Fields != nil {
		return e.Fields
	}
	for _, enc := range [][]byte{e.FieldsJSON, e.Encoded} {
		if enc == nil {
			continue
		}
		if doc, ok := decodeDocument(enc); ok {
			return doc
		}
	}
	return e.MinimalDocument()
}

// decodeDocument decodes a serialised document, numbers as jsonnum gives
// them (see Document). Anything but one JSON object is refused.
func decodeDocument(b []byte) (map[string]any, bool) {
	v, err := jsonnum.Decode(b)
	doc, ok := v.(map[string]any)
	return doc, err == nil && ok && doc != nil
}

// AckFunc reports the fate of a batch back to the input that produced it.
// It is called exactly once per batch: with nil when every event of the
// batch is durably stored by the output (or dead-lettered with a reason),
// with a non-nil error when the batch was abandoned (shutdown, gave up), in
// which case the input must not move its cursor past the batch.
// AckFunc must be safe to call from any goroutine.
type AckFunc func(ctx context.Context, err error)

// Batch is a group of events that share one acknowledgement, typically the
// records of one API page. A batch may be empty: it then only carries a
// checkpoint (for example the end of a walk) and is acknowledged at once.
type Batch struct {
	Events []*Event
	Ack    AckFunc
}

// MarkError records a processing failure on the event's document the way
// Elastic's ingest pipelines do, so the record still ships and stays
// searchable: error.message gains the message (a list when there are
// several), event.kind becomes pipeline_error and the tag
// preserve_original_event is added once.
func MarkError(e *Event, err error) {
	doc := e.Document()
	e.Fields, e.FieldsJSON = doc, nil
	errObj, _ := doc["error"].(map[string]any)
	if errObj == nil {
		errObj = map[string]any{}
		doc["error"] = errObj
	}
	switch prev := errObj["message"].(type) {
	case nil:
		errObj["message"] = err.Error()
	case string:
		errObj["message"] = []any{prev, err.Error()}
	case []any:
		errObj["message"] = append(prev, err.Error())
	default:
		errObj["message"] = err.Error()
	}
	ev, _ := doc["event"].(map[string]any)
	if ev == nil {
		ev = map[string]any{}
		doc["event"] = ev
	}
	ev["kind"] = "pipeline_error"
	if _, ok := ev["original"]; !ok {
		ev["original"] = string(e.Raw)
	}
	var tags []any
	switch t := doc["tags"].(type) {
	case []any:
		tags = t
	case []string:
		// A processor may build tags as []string; keep them rather than
		// replacing them with the marker tag alone.
		for _, s := range t {
			tags = append(tags, s)
		}
	}
	for _, t := range tags {
		if t == "preserve_original_event" {
			return
		}
	}
	doc["tags"] = append(tags, "preserve_original_event")
}
