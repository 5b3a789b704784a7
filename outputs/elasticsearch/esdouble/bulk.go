package esdouble

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// op is one action of a bulk request with its source.
type op struct {
	action       string // create or index
	index, id    string
	source       []byte
	hasTimestamp bool
	err          *itemError // set when the document is rejected before storing
	status       int        // the status that goes with err
}

// itemError is Elasticsearch's error object in an item result.
type itemError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Index  string `json:"index,omitempty"`
	Shard  string `json:"shard,omitempty"`
}

// itemResult is one item of a bulk response, in Elasticsearch's field order.
type itemResult struct {
	Index       string  `json:"_index"`
	ID          string  `json:"_id"`
	Version     int     `json:"_version,omitempty"`
	Result      string  `json:"result,omitempty"`
	Shards      *shards `json:"_shards,omitempty"`
	SeqNo       *int64  `json:"_seq_no,omitempty"`
	PrimaryTerm int     `json:"_primary_term,omitempty"`
	// FailureStore is "used" when the document went to the failure store.
	FailureStore string     `json:"failure_store,omitempty"`
	Status       int        `json:"status"`
	Error        *itemError `json:"error,omitempty"`
}

type shards struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

// item is an action name and its result: {"create": {...}}.
type item struct {
	action string
	result itemResult
}

func (it item) MarshalJSON() ([]byte, error) {
	res, err := json.Marshal(it.result)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, `{%q:%s}`, it.action, res), nil
}

// bulk serves POST /_bulk and /<index>/_bulk.
func (d *Double) bulk(w http.ResponseWriter, r *http.Request, defaultIndex string) {
	start := time.Now()
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	body, err := readBody(r, buf)
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", "failed to read the request body: "+err.Error())
		return
	}
	d.remember(r, body)
	if d.tooLarge(len(body)) {
		writeError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
			fmt.Sprintf("request body is too large: %d bytes", len(body)))
		return
	}
	if reason := d.badRequest(); reason != "" {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception", reason)
		return
	}
	if status, after := d.requestFault(); status != 0 {
		writeRequestFault(w, status, after)
		return
	}
	ops, err := parseBulk(body, defaultIndex)
	if err != nil {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return
	}
	if len(ops) == 0 {
		// BulkRequest.validate: a body without actions is refused.
		writeError(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	rule := d.mappingRule()
	for i := range ops {
		validate(&ops[i], rule)
	}
	items, hasErrors := d.apply(ops)
	writeJSON(w, http.StatusOK, struct {
		Took   int64  `json:"took"`
		Errors bool   `json:"errors"`
		Items  []item `json:"items"`
	}{time.Since(start).Milliseconds(), hasErrors, items})
}

// bufPool recycles request body buffers: stored documents are copied out
// of them (see index.store), so a buffer is free once the answer is sent.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 64<<20 {
		b.Reset()
		bufPool.Put(b)
	}
}

// readBody reads a request body into buf, decompressing gzip.
func readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	var src io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		src = zr
	}
	_, err := buf.ReadFrom(src)
	return buf.Bytes(), err
}

func (d *Double) remember(r *http.Request, body []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.record == 0 {
		return
	}
	if len(d.requests) >= d.record {
		d.requests = d.requests[1:]
	}
	d.requests = append(d.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: bytes.Clone(body)})
}

func (d *Double) tooLarge(n int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.faults.MaxContentLength > 0 && n > d.faults.MaxContentLength {
		d.stats.TooLarge++
		return true
	}
	return false
}

func (d *Double) mappingRule() *MappingRule {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Mapping
}

// actionLine is the metadata line of a bulk action.
type actionLine struct {
	Create, Index, Update, Delete *struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	}
}

// parseBulk splits an NDJSON bulk body into operations. Like
// Elasticsearch it requires the final newline and rejects unknown actions.
func parseBulk(body []byte, defaultIndex string) ([]op, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("request body is required")
	}
	if body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("The bulk request must be terminated by a newline [\\n]")
	}
	var ops []op
	lineNo := 0
	for len(body) > 0 {
		line, rest, _ := bytes.Cut(body, []byte{'\n'})
		body = rest
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a actionLine
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT", lineNo)
		}
		o, needsSource, err := opFor(a, defaultIndex, lineNo)
		if err != nil {
			return nil, err
		}
		if needsSource {
			src, rest, found := bytes.Cut(body, []byte{'\n'})
			if !found {
				return nil, fmt.Errorf("The bulk request must be terminated by a newline [\\n]")
			}
			body = rest
			lineNo++
			o.source = src
		}
		ops = append(ops, o)
	}
	return ops, nil
}

func opFor(a actionLine, defaultIndex string, lineNo int) (op, bool, error) {
	meta, action := a.Create, "create"
	switch {
	case a.Create != nil:
	case a.Index != nil:
		meta, action = a.Index, "index"
	case a.Update != nil:
		meta, action = a.Update, "update"
	case a.Delete != nil:
		meta, action = a.Delete, "delete"
	default:
		return op{}, false, fmt.Errorf("Malformed action/metadata line [%d], expected one of [create, delete, index, update]", lineNo)
	}
	o := op{action: action, index: meta.Index, id: meta.ID}
	if o.index == "" {
		o.index = defaultIndex
	}
	if action == "update" || action == "delete" {
		o.err = &itemError{Type: "illegal_argument_exception", Reason: "esdouble supports only create and index"}
		o.status = http.StatusBadRequest
	}
	if o.index == "" {
		return op{}, false, fmt.Errorf("Validation Failed: 1: index is missing;")
	}
	return o, action != "delete", nil
}

// validate checks what Elasticsearch checks before storing: the index
// name, the document's JSON and the mapping rule.
func validate(o *op, rule *MappingRule) {
	if o.err != nil {
		return
	}
	if reason := invalidIndexName(o.index); reason != "" {
		o.err, o.status = &itemError{Type: "invalid_index_name_exception", Reason: reason, Index: o.index}, 400
		return
	}
	if len(o.source) == 0 || o.source[0] != '{' || !json.Valid(o.source) {
		o.err, o.status = &itemError{Type: "mapper_parsing_exception", Reason: "failed to parse"}, 400
		return
	}
	o.hasTimestamp = hasTopLevelKey(o.source, "@timestamp")
	if rule != nil {
		if reason := rule.violation(o.source, o.id); reason != "" {
			o.err, o.status = &itemError{Type: "mapper_parsing_exception", Reason: reason}, 400
		}
	}
}

// apply stores the operations under the lock and builds the items.
func (d *Double) apply(ops []op) ([]item, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.BulkRequests++
	items := make([]item, len(ops))
	hasErrors := false
	for i := range ops {
		res := d.applyOne(&ops[i])
		items[i] = item{action: ops[i].action, result: res}
		hasErrors = hasErrors || res.Error != nil
	}
	return items, hasErrors
}

// applyOne stores one operation (lock held) in the order Elasticsearch
// decides: request validation, data stream rules, shard rejection (429),
// parsing against the mappings (which adds the document's new fields),
// then the version check.
func (d *Double) applyOne(o *op) itemResult {
	fail := func(status int, e *itemError, index string) itemResult {
		if status == http.StatusTooManyRequests {
			d.stats.Rejected++
		} else if status != http.StatusConflict {
			d.stats.ItemErrors++
			if len(d.rejections) < maxRejections {
				d.rejections = append(d.rejections, Rejection{Index: index, ID: o.id, Status: status, Type: e.Type, Reason: e.Reason})
			}
		}
		return itemResult{Index: index, ID: o.id, Status: status, Error: e}
	}
	if o.err != nil {
		return fail(o.status, o.err, o.index)
	}
	ix := d.indexFor(o.index)
	if ix.dataStream && o.action != "create" {
		return fail(400, &itemError{Type: "illegal_argument_exception",
			Reason: "only write ops with an op_type of create are allowed in data streams"}, ix.backing)
	}
	if ix.dataStream && !o.hasTimestamp {
		e := &itemError{Type: "document_parsing_exception",
			Reason: "[1:2] failed to parse: data stream timestamp field [@timestamp] is missing"}
		if ix.failures != nil {
			return d.storeFailure(ix, o, e)
		}
		return fail(400, e, ix.backing)
	}
	if d.rejectItem() {
		return fail(http.StatusTooManyRequests, &itemError{Type: "es_rejected_execution_exception",
			Reason: "rejected execution of primary operation [coordinating_and_primary_bytes=0, " +
				"replica_bytes=0, all_bytes=0, primary_operation_bytes=0, max_coordinating_and_primary_bytes=0]"},
			ix.backing)
	}
	if o.id == "" {
		o.id = d.autoID()
	}
	if perr := ix.mapping.index(o.source, o.id); perr != nil {
		e := &itemError{Type: perr.typ, Reason: perr.reason, Index: ix.backing}
		if ix.failures != nil {
			return d.storeFailure(ix, o, e)
		}
		return fail(http.StatusBadRequest, e, ix.backing)
	}
	pos, exists := ix.ids[o.id]
	if exists && o.action == "create" {
		d.stats.Duplicates++
		return fail(http.StatusConflict, &itemError{Type: "version_conflict_engine_exception",
			Reason: fmt.Sprintf("[%s]: version conflict, document already exists (current version [1])", o.id),
			Index:  ix.backing, Shard: "0"}, ix.backing)
	}
	d.seqNo++
	seq := d.seqNo
	res := itemResult{Index: ix.backing, ID: o.id, Version: 1, Result: "created",
		Shards: &shards{Total: 2, Successful: 1}, SeqNo: &seq, PrimaryTerm: 1, Status: http.StatusCreated}
	if exists {
		ix.docs[pos].Source = ix.store(o.source)
		res.Result, res.Status = "updated", http.StatusOK
		return res
	}
	ix.ids[o.id] = len(ix.docs)
	ix.docs = append(ix.docs, Doc{ID: o.id, Source: ix.store(o.source)})
	d.stats.Created++
	return res
}

// indexFor returns the index or data stream, creating it on first write as
// Elasticsearch does (a data stream when a template says so).
func (d *Double) indexFor(name string) *index {
	if ix := d.indices[name]; ix != nil {
		return ix
	}
	ix := &index{name: name, backing: name, ids: map[string]int{}, mapping: d.templates.mappingsFor(name)}
	if d.templates.dataStream(name) {
		ix.dataStream = true
		ix.backing = ".ds-" + name + "-" + d.now().UTC().Format("2006.01.02") + "-000001"
		if d.templates.failureStore(name) && !d.noFailureStore {
			ix.failures = &index{name: name + "::failures", ids: map[string]int{},
				backing: ".fs-" + name + "-" + d.now().UTC().Format("2006.01.02") + "-000001"}
			d.indices[ix.failures.name] = ix.failures
		}
	}
	d.indices[name] = ix
	return ix
}

// autoID makes a 20-character id like Elasticsearch's time-based UUIDs.
func (d *Double) autoID() string {
	d.idSeq++
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], uint64(d.now().UnixNano()))
	binary.BigEndian.PutUint64(b[7:], d.idSeq)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// arenaChunk is the size of the blocks documents are copied into: one
// allocation per megabyte stored instead of one per document.
const arenaChunk = 1 << 20

// store copies a source into the index's arena and returns the copy.
func (ix *index) store(src []byte) json.RawMessage {
	if len(ix.arena)+len(src) > cap(ix.arena) {
		ix.arena = make([]byte, 0, max(arenaChunk, len(src)))
	}
	start := len(ix.arena)
	ix.arena = append(ix.arena, src...)
	return ix.arena[start:len(ix.arena):len(ix.arena)]
}
