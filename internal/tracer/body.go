package tracer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
)

// capture is the start of a body, read for the trace.
type capture struct {
	// data is at most limit+1 bytes: one more than recorded, to tell a
	// body of exactly limit bytes from a longer one.
	data []byte
	// more is set when the body goes on beyond limit.
	more bool
	// err is a read error other than EOF; the real reader sees it too.
	err error
}

// peek reads up to limit+1 bytes of body and returns them with a body that
// yields the same bytes and error to the real reader: the buffered start,
// then whatever was not read. Closing it closes the original. Memory is
// bounded by limit, whatever the body's size.
func peek(body io.ReadCloser, limit int) (capture, io.ReadCloser) {
	data, err := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	c := capture{data: data, more: len(data) > limit, err: err}
	var rest io.Reader = body
	if err != nil {
		// Hand the reader the error at the point it happened.
		rest = errReader{err}
	}
	return c, &replayBody{Reader: io.MultiReader(bytes.NewReader(data), rest), closer: body}
}

// replayBody is a body whose start was read for the trace.
type replayBody struct {
	io.Reader
	closer io.Closer
}

// Close closes the original body.
func (b *replayBody) Close() error { return b.closer.Close() }

// errReader fails every read with err.
type errReader struct{ err error }

// Read returns the error.
func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// bodyRecord is a body as the trace shows it.
type bodyRecord struct {
	// Content is the body's text, capped and redacted.
	Content string `json:"content"`
	// Bytes is the body's length as declared (Content-Length), when known.
	Bytes int64 `json:"bytes,omitempty"`
	// Truncated marks a body longer than max_body_bytes: Content holds
	// only its start.
	Truncated bool `json:"truncated,omitempty"`
	// Encoding is "gzip" when the body was decompressed for the trace.
	Encoding string `json:"encoding,omitempty"`
	// Error is why the body could not be read or decoded.
	Error string `json:"error,omitempty"`
}

// record turns a captured body into its trace form: decompressed when the
// headers say gzip, capped at limit, redacted.
func (t *Tracer) record(c capture, h http.Header, declared int64, limit int) *bodyRecord {
	rec := &bodyRecord{Truncated: c.more}
	if declared > 0 {
		rec.Bytes = declared
	}
	data := c.data[:min(len(c.data), limit)]
	if strings.EqualFold(strings.TrimSpace(h.Get("Content-Encoding")), "gzip") && len(data) > 0 {
		rec.Encoding = "gzip"
		plain, more, err := gunzip(data, limit)
		data = plain
		rec.Truncated = rec.Truncated || more
		// A body cut at the cap ends mid-stream; that is expected.
		if err != nil && !(c.more && errors.Is(err, io.ErrUnexpectedEOF)) {
			rec.Error = "decompressing failed: " + err.Error()
		}
	}
	if c.err != nil {
		rec.Error = redactText("reading failed: "+c.err.Error(), &t.secrets)
	}
	rec.Content = redactBody(string(data), h.Get("Content-Type"), &t.secrets)
	return rec
}

// gunzip decompresses at most limit bytes of a gzip stream, reporting
// whether there was more; decompression bombs stop at the limit.
func gunzip(data []byte, limit int) ([]byte, bool, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, err
}
