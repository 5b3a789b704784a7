package esdouble

import (
	"encoding/json"
	"net/http"
)

// SetFailureStoreSupport makes the double a cluster with data stream
// failure stores (true, the default: version 8.19.7) or without (false:
// version 8.18.8, and index templates that configure one are refused as
// 8.18 refuses the unknown field).
func (d *Double) SetFailureStoreSupport(supported bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.noFailureStore = !supported
}

// storeFailure keeps a document the data stream could not index in its
// failure store, as a failure document (@timestamp, document, error), and
// answers 201 with "failure_store": "used" (lock held).
func (d *Double) storeFailure(ix *index, o *op, e *itemError) itemResult {
	if o.id == "" {
		o.id = d.autoID()
	}
	doc, _ := json.Marshal(map[string]any{
		"@timestamp": d.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"document":   map[string]any{"id": o.id, "index": ix.name, "source": json.RawMessage(o.source)},
		"error":      map[string]any{"type": e.Type, "message": e.Reason},
	})
	fs := ix.failures
	fs.ids[o.id] = len(fs.docs)
	fs.docs = append(fs.docs, Doc{ID: o.id, Source: fs.store(doc)})
	d.stats.FailureStored++
	d.seqNo++
	seq := d.seqNo
	return itemResult{Index: fs.backing, ID: o.id, Version: 1, Result: "created", Shards: &shards{Total: 2, Successful: 1},
		SeqNo: &seq, PrimaryTerm: 1, FailureStore: "used", Status: http.StatusCreated}
}
