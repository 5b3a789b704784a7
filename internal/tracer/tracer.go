// Package tracer records HTTP requests and responses as NDJSON, one line
// per exchange, for debugging what akship sends to authentik and
// Elasticsearch and what they answer — akship's equivalent of Filebeat's
// resource.tracer. Credentials are redacted: credential headers, URL
// userinfo and query parameters, credential keys in JSON bodies (gzip
// bodies are decompressed first) and every string registered with
// AddSecret, wherever it appears. Bodies are recorded up to a cap without
// being consumed, and files are rotated by size with bounded backups.
package tracer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Tracer writes the trace of the HTTP clients it wraps. A Tracer made from
// a disabled Config (and a nil *Tracer) traces nothing: Wrap returns the
// transport unchanged. Methods are safe for concurrent use.
type Tracer struct {
	component string
	maxBody   int
	out       *rotator // nil when disabled
	secrets   secrets

	closed  atomic.Bool
	mu      sync.Mutex // guards failed and lastErr
	failed  int
	lastErr error
}

// New creates the tracer for one component (e.g. "inputs.authentik"),
// opening its file. With cfg.Enabled false it returns a tracer that does
// nothing. It fails when the configuration is invalid, the path is empty
// or the file cannot be opened.
func New(cfg Config, component string) (*Tracer, error) {
	t := &Tracer{component: component, maxBody: cfg.MaxBodyBytes}
	if !cfg.Enabled {
		return t, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("tracer: invalid configuration: %w", err)
	}
	if cfg.Path == "" {
		return nil, errors.New("tracer: path is empty")
	}
	out, err := acquire(filePath(cfg.Path, component), cfg.MaxFileBytes, cfg.MaxBackups)
	if err != nil {
		return nil, err
	}
	t.out = out
	return t, nil
}

// filePath substitutes the component for "*" in the path pattern, keeping
// only characters that are safe in a file name.
func filePath(pattern, component string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, component)
	return strings.ReplaceAll(pattern, "*", safe)
}

// Path returns the file the tracer writes to, or "" when it is disabled.
func (t *Tracer) Path() string {
	if t == nil || t.out == nil {
		return ""
	}
	return t.out.path
}

// AddSecret registers a string (an API token, a password, an API key) that
// must never appear in the trace: it is replaced wherever it occurs, also
// in its URL- and JSON-escaped forms. Register every credential the
// process holds, not only the wrapped client's own: a response may echo
// any of them. Secrets shorter than MinSecretLength are not searched for
// in free text (they could be ordinary words); they are redacted only
// where credentials appear (headers, parameters, JSON fields).
func (t *Tracer) AddSecret(s string) {
	if t == nil {
		return
	}
	t.secrets.add(s)
}

// Wrap returns a transport that sends through rt (http.DefaultTransport
// when nil) and traces every exchange. When the tracer is disabled it
// returns rt itself.
func (t *Tracer) Wrap(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t == nil || t.out == nil {
		return rt
	}
	return &transport{t: t, next: rt}
}

// Close stops tracing and closes the file (when no other tracer shares
// it). Requests through wrapped transports still go out, untraced. It
// reports lines that could not be written, so a full disk is noticed.
func (t *Tracer) Close() error {
	if t == nil || t.out == nil || t.closed.Swap(true) {
		return nil
	}
	err := t.out.release()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed > 0 {
		err = errors.Join(err, fmt.Errorf("tracer: %d trace lines could not be written, the last because: %w",
			t.failed, t.lastErr))
	}
	return err
}

// write encodes one trace line, scrubs it once more and appends it. A
// failed write never fails the traced request; it is counted for Close.
func (t *Tracer) write(l *line) {
	if t.closed.Load() {
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(l)
	if err == nil {
		// Fields were scrubbed one by one; this catches a secret in a form
		// the field pass could not see, such as split across escapes.
		_, err = t.out.Write([]byte(t.secrets.scrub(b.String())))
	}
	if err != nil {
		t.mu.Lock()
		t.failed++
		t.lastErr = err
		t.mu.Unlock()
	}
}
