package esdouble

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults are the failures the double injects. The zero value injects none.
type Faults struct {
	// Seed makes the random choices repeatable: the same seed and the same
	// sequence of requests give the same faults.
	Seed uint64
	// ItemRejectRate is the fraction of bulk items answered 429
	// es_rejected_execution_exception (a full write queue).
	ItemRejectRate float64
	// RequestErrorRate is the fraction of requests answered 500 or 503
	// (chosen at random, half each) before anything is stored.
	RequestErrorRate float64
	// RetryAfter, when positive, is sent as Retry-After (whole seconds) with
	// injected 503 answers.
	RetryAfter time.Duration
	// MaxContentLength answers 413 to bulk bodies larger than this many
	// bytes after decompression (Elasticsearch's http.max_content_length);
	// 0 = no limit.
	MaxContentLength int
	// Mapping rejects documents whose field has a given JSON type, as a
	// mapping conflict does.
	Mapping *MappingRule
	// Latency delays every answer.
	Latency time.Duration
	// BadRequest, when not empty, answers every bulk request 400
	// illegal_argument_exception with this reason before reading it, as
	// Elasticsearch answers a request-level mistake such as an unrecognized
	// URL parameter.
	BadRequest string
}

// MappingRule rejects a document with 400 mapper_parsing_exception when the
// field at Field (dotted path, through nested objects or dotted keys) holds
// a JSON value of type JSONType: "string", "number", "bool", "object",
// "array" or "null".
type MappingRule struct {
	Field    string
	JSONType string
	// MappedAs is the field type named in the reason, e.g. "boolean".
	MappedAs string
}

// SetFaults replaces the injected faults and reseeds the random source.
func (d *Double) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
	d.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
}

// SetDown makes the double drop every connection without answering, as a
// crashed node or a refused connection looks to a client (true), or serve
// again (false).
func (d *Double) SetDown(down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = down
}

// refuse drops the connection while the double is down. Where the
// connection cannot be taken over it answers 503 instead.
func (d *Double) refuse(w http.ResponseWriter) bool {
	d.mu.Lock()
	down := d.down
	if down {
		d.stats.Refused++
	}
	d.mu.Unlock()
	if !down {
		return false
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
	}
	writeError(w, http.StatusServiceUnavailable, "unavailable_shards_exception", "the node is down")
	return true
}

func (d *Double) delay() {
	d.mu.Lock()
	l := d.faults.Latency
	d.mu.Unlock()
	if l > 0 {
		time.Sleep(l)
	}
}

// badRequest returns the reason every bulk request is answered 400 with,
// or "" when requests are served.
func (d *Double) badRequest() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.faults.BadRequest != "" {
		d.stats.BadRequests++
	}
	return d.faults.BadRequest
}

// requestFault decides whether a bulk request fails as a whole: it returns
// 0, 500 or 503.
func (d *Double) requestFault() (status int, retryAfter time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.faults.RequestErrorRate <= 0 || d.rng.Float64() >= d.faults.RequestErrorRate {
		return 0, 0
	}
	d.stats.RequestErrors++
	if d.rng.IntN(2) == 0 {
		return http.StatusInternalServerError, 0
	}
	return http.StatusServiceUnavailable, d.faults.RetryAfter
}

// writeRequestFault answers an injected request failure.
func writeRequestFault(w http.ResponseWriter, status int, retryAfter time.Duration) {
	if status == http.StatusServiceUnavailable {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
		}
		writeError(w, status, "cluster_block_exception",
			"blocked by: [SERVICE_UNAVAILABLE/2/no master];")
		return
	}
	writeError(w, status, "node_not_connected_exception", "[esdouble-1][127.0.0.1:9300] Node not connected")
}

// rejectItem decides (with the lock held) whether one item is answered 429.
func (d *Double) rejectItem() bool {
	return d.faults.ItemRejectRate > 0 && d.rng.Float64() < d.faults.ItemRejectRate
}
