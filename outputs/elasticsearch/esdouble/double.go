// Package esdouble is an in-process Elasticsearch test double: enough of the
// REST API for akship's output, tests, benchmarks and reliability suite,
// answering in Elasticsearch's exact shapes.
//
// It serves GET / (cluster info), POST /_bulk and /<index>/_bulk (gzip,
// create and index actions, data streams with 409 on a duplicate create),
// GET /<index>/_count, and stores index templates, component templates and
// ILM policies. Every answer carries "X-Elastic-Product: Elasticsearch".
// Faults are injected at run time (SetFaults, SetDown), deterministically
// for a given seed. All methods are safe for concurrent use.
package esdouble

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Version is the Elasticsearch version the double claims to be. It has
// data stream failure stores (generally available since 8.19 and 9.1).
const Version = "8.19.7"

// VersionWithoutFailureStore is the version claimed after
// SetFailureStoreSupport(false): the last release without failure stores.
const VersionWithoutFailureStore = "8.18.8"

// Doc is a stored document.
type Doc struct {
	ID string
	// Source is the document exactly as sent. It aliases the double's
	// storage: do not modify it.
	Source json.RawMessage
}

// Stats counts what the double has seen since it was created.
type Stats struct {
	Requests      int // HTTP requests, every endpoint
	BulkRequests  int // bulk requests that reached item processing
	Created       int // documents stored
	Duplicates    int // creates answered 409
	Rejected      int // items answered 429 (injected)
	ItemErrors    int // items answered another 4xx (mapping, data stream rules)
	RequestErrors int // requests answered 500/503 (injected)
	TooLarge      int // requests answered 413
	BadRequests   int // requests answered 400 (injected, Faults.BadRequest)
	Refused       int // connections dropped while down
	Unauthorized  int // requests answered 401
	FailureStored int // documents kept in a failure store (answered 201 "failure_store": "used")
}

// Request is a recorded request (see Record).
type Request struct {
	Method, Path, Query string
	Header              http.Header
	// Body is the decompressed body.
	Body []byte
}

// Double is the fake Elasticsearch cluster; it is an http.Handler.
type Double struct {
	mu        sync.Mutex
	indices   map[string]*index
	templates templateStore
	stats     Stats
	faults    Faults
	rng       *rand.Rand
	down      bool
	auth      string
	record    int
	requests  []Request
	seqNo     int64
	idSeq     uint64
	now       func() time.Time
	// noFailureStore plays a cluster without data stream failure stores.
	noFailureStore bool
	// rejections keeps the first maxRejections item errors other than
	// 409 and 429, for tests to show why documents were refused.
	rejections []Rejection
}

// Rejection is a document answered with an item error (not 409 or 429).
type Rejection struct {
	Index, ID    string
	Status       int
	Type, Reason string
}

// maxRejections bounds the rejections kept.
const maxRejections = 100

// Rejections returns the first item errors (at most 100) other than 409
// duplicates and 429 rejections, oldest first.
func (d *Double) Rejections() []Rejection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.rejections)
}

// index is a data stream or a plain index.
type index struct {
	name       string
	dataStream bool
	backing    string // the name answered in item results
	ids        map[string]int
	docs       []Doc
	arena      []byte // the current block sources are copied into
	// mapping is fixed from the templates when the index is created and
	// grows with every document that maps a new field.
	mapping *mappings
	// failures is the data stream's failure store, when enabled.
	failures *index
}

// New returns an empty cluster without faults.
func New() *Double {
	d := &Double{
		indices:   map[string]*index{},
		templates: newTemplateStore(),
		now:       time.Now,
	}
	d.SetFaults(Faults{})
	return d
}

// SetAuth makes every request need exactly this Authorization header
// (e.g. "ApiKey abc", "Basic …"); others get 401. Empty disables the check.
func (d *Double) SetAuth(authorization string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.auth = authorization
}

// Record keeps the last n requests for Requests; 0 stops recording.
func (d *Double) Record(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.record = n
	if len(d.requests) > n {
		d.requests = slices.Clone(d.requests[len(d.requests)-n:])
	}
}

// Requests returns the recorded requests, oldest first.
func (d *Double) Requests() []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.requests)
}

// Stats returns the counters.
func (d *Double) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Docs returns the documents of an index or data stream, in the order they
// were stored.
func (d *Double) Docs(name string) []Doc {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ix := d.indices[name]; ix != nil {
		return slices.Clone(ix.docs)
	}
	return nil
}

// Count returns the number of documents in an index or data stream; the
// name may be a pattern with "*".
func (d *Double) Count(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ix := range d.indices {
		if match(name, ix.name) {
			n += len(ix.docs)
		}
	}
	return n
}

// Indices lists the names of the indices and data streams, sorted.
func (d *Double) Indices() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.indices {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// ServeHTTP answers one request.
func (d *Double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if d.refuse(w) {
		return
	}
	d.delay()
	if !d.authorized(r) {
		writeError(w, http.StatusUnauthorized, "security_exception",
			"missing authentication credentials for REST request ["+r.URL.Path+"]")
		return
	}
	d.route(w, r)
}

func (d *Double) route(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(path, "/")
	switch {
	case path == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		d.info(w)
	case parts[len(parts)-1] == "_bulk" && len(parts) <= 2 && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		d.bulk(w, r, strings.Join(parts[:len(parts)-1], ""))
	case len(parts) == 2 && parts[1] == "_count" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		d.count(w, parts[0])
	case len(parts) == 2 && (parts[0] == "_index_template" || parts[0] == "_component_template"):
		d.template(w, r, parts[0], parts[1])
	case len(parts) == 3 && parts[0] == "_ilm" && parts[1] == "policy":
		d.template(w, r, "_ilm/policy", parts[2])
	default:
		writeError(w, http.StatusBadRequest, "illegal_argument_exception",
			"no handler found for uri ["+r.URL.Path+"] and method ["+r.Method+"]")
	}
}

func (d *Double) authorized(r *http.Request) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.Requests++
	if d.auth == "" || r.Header.Get("Authorization") == d.auth {
		return true
	}
	d.stats.Unauthorized++
	return false
}

func (d *Double) info(w http.ResponseWriter) {
	d.mu.Lock()
	version := Version
	if d.noFailureStore {
		version = VersionWithoutFailureStore
	}
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         "esdouble-0",
		"cluster_name": "esdouble",
		"cluster_uuid": "ZXNkb3VibGUtY2x1c3Rlcg",
		"version": map[string]any{
			"number": version, "build_flavor": "default", "build_type": "docker",
			"lucene_version": "9.12.2", "minimum_wire_compatibility_version": "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func (d *Double) count(w http.ResponseWriter, name string) {
	d.mu.Lock()
	exists := false
	for _, ix := range d.indices {
		exists = exists || match(name, ix.name)
	}
	d.mu.Unlock()
	if !exists && !strings.Contains(name, "*") {
		writeError(w, http.StatusNotFound, "index_not_found_exception", "no such index ["+name+"]")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count":   d.Count(name),
		"_shards": map[string]int{"total": 1, "successful": 1, "skipped": 0, "failed": 0},
	})
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers in Elasticsearch's error shape.
func writeError(w http.ResponseWriter, status int, typ, reason string) {
	cause := map[string]string{"type": typ, "reason": reason}
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	})
}
