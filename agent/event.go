// Package agent is akship's core: the event and batch types, the component
// interfaces, the pipeline that moves batches from inputs through processors
// to the output, and the ordered checkpoint tracker that turns output
// acknowledgements into cursor commits. It depends on no vendor SDK.
package agent

import (
	"context"
	"fmt"
	"time"

	"akship/internal/jsonenc"
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
// An input fills Dataset, ID, Raw and Collected; a processor writes the
// document from Raw, into Document. The output frames the document (adds
// what names its destination) and addresses it by ID. An Event belongs to
// exactly one goroutine at a time: the pipeline hands it from stage to
// stage, so no locking is needed.
type Event struct {
	// Dataset is the kind of record (see Dataset).
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
	// Document is the document to index, serialised once: one compact
	// JSON object (no whitespace around it) holding everything but
	// data_stream, which the output adds as it frames the document into
	// its request or file; the processor sets event.dataset (an output
	// adds it only to the minimal document). The mapping engine writes the
	// JSON straight into its buffer; a processor that builds a tree of
	// maps stores it with SetDocument. Nil until a processor wrote one:
	// the output then writes the minimal document (MinimalDocument). Its
	// bytes are never changed once set (it may be replaced whole), so an
	// output may keep referring to them while the event is retried.
	Document []byte
}

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

// DecodeDocument returns the document decoded, or the minimal document
// when no processor wrote one (or it is not a JSON object). It is new at
// each call; its numbers are int64 when written without fraction or
// exponent and within range, float64 otherwise, as the mapping decodes
// records.
func (e *Event) DecodeDocument() map[string]any {
	if e.Document != nil {
		v, err := jsonnum.Decode(e.Document)
		if doc, ok := v.(map[string]any); err == nil && ok && doc != nil {
			return doc
		}
	}
	return e.MinimalDocument()
}

// SetDocument serialises doc into Document, keys sorted, for a processor
// that builds the document as a tree of maps. It fails, leaving Document
// as it was, when doc holds a value JSON cannot represent (a NaN, an
// infinity, a channel).
func (e *Event) SetDocument(doc map[string]any) error {
	var enc jsonenc.Encoder
	b, err := enc.Append(nil, doc)
	if err != nil {
		return fmt.Errorf("encoding the document failed: %w", err)
	}
	e.Document = b
	return nil
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
	doc := e.DecodeDocument()
	markError(doc, err, e.Raw)
	// A decoded document and strings: nothing JSON cannot represent.
	_ = e.SetDocument(doc)
}

// markError marks doc as MarkError says; raw is the record, for
// event.original.
func markError(doc map[string]any, err error, raw []byte) {
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
		ev["original"] = string(raw)
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
