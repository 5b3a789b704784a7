package elasticsearch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"akship/agent"
	"akship/internal/httpx"
)

// Write sends the events with bulk requests of at most bulk_max_docs
// documents and bulk_max_bytes uncompressed bytes, and reports their fate
// as agent.Output documents: nil when all were stored or already present
// (409), a *agent.PartialError naming the failed ones, or, when no document
// got an answer, the request's error itself (so its Retry-After reaches the
// pipeline).
func (o *Output) Write(ctx context.Context, events []*agent.Event) error {
	if len(events) == 0 {
		return nil
	}
	body := o.getBody()
	defer o.putBody(body)
	w := &writeCall{body: body, events: events, failed: map[int]error{}}
	body.encode(events, o.routeOf, w.failed)
	answered := len(w.failed) > 0
	for lo := 0; lo < len(body.items); {
		hi := o.chunkEnd(w, lo)
		err := o.send(ctx, w, lo, hi)
		if err == nil {
			answered = true
			lo = hi
			continue
		}
		if errors.Is(err, errRefused) {
			// The server refused a request and has accepted none yet:
			// the next chunks would most likely be refused too. They wait
			// for the backoff with the refused ones.
			markFailed(body, hi, len(body.items), fmt.Errorf("not sent: %w", err), w.failed)
			break
		}
		// A request-level failure: the server is unwell or unreachable, so
		// sending the remaining chunks now would most likely fail too.
		if !answered && len(w.failed) == 0 {
			return err
		}
		markFailed(body, lo, len(body.items), err, w.failed)
		break
	}
	err := o.settleRejected(w)
	o.splits.settle(events, w.failed)
	if err != nil && len(w.failed) == 0 {
		return err
	}
	if len(w.failed) == 0 {
		return nil
	}
	return &agent.PartialError{Failed: w.failed}
}

// writeCall is one Write call's state shared by its requests.
type writeCall struct {
	body   *bulkBody
	events []*agent.Event
	failed map[int]error // keyed by Write index
	// rejected are the documents (body positions) a request of their own
	// had answered 400, with the server's reason; settleRejected decides
	// whether they or the request were at fault.
	rejected []rejection
}

// rejection is a lone document answered 400.
type rejection struct {
	pos int
	msg string
}

// settleRejected decides the fate of the documents answered 400 alone. A
// 400 may be the document's fault (VictoriaLogs's answer to a timestamp it
// cannot parse) or the request's (Elasticsearch's answer to an unrecognized
// parameter, which no splitting avoids). Once the server accepted a
// request from this output, in this call or before, the request is sound,
// so the documents are rejected permanently. Otherwise every document got
// 400, even alone: that is a request-level mistake, reported as a
// retryable error (recorded for the rejected documents and returned) so
// that the pipeline waits with the server's reason, as it does for 404,
// instead of dead-lettering everything.
func (o *Output) settleRejected(w *writeCall) error {
	if len(w.rejected) == 0 {
		return nil
	}
	if o.accepted.Load() {
		for _, r := range w.rejected {
			w.failed[w.body.items[r.pos]] = agent.Permanent(fmt.Errorf(
				"the server rejected the document with 400 Bad Request: %s", r.msg))
		}
		return nil
	}
	err := fmt.Errorf("bulk request failed with 400 Bad Request: %s (every document was rejected, "+
		"alone too, so the request is at fault: check output.elasticsearch's hosts and parameters)",
		w.rejected[0].msg)
	if len(w.failed) > 0 {
		for _, r := range w.rejected {
			w.failed[w.body.items[r.pos]] = err
		}
	}
	return err
}

// chunkEnd returns the end of the chunk starting at document lo: at most
// bulk_max_docs documents, bulk_max_bytes bytes, and the request size each
// document was last refused at, halved (see splitHints).
func (o *Output) chunkEnd(w *writeCall, lo int) int {
	b := w.body
	limit := o.cfg.BulkMaxDocs
	if o.splits.active() {
		limit = min(limit, o.splits.limitFor(w.events[b.items[lo]]))
	}
	hi := lo + 1
	for hi < len(b.items) && hi-lo < limit && b.ends[hi]-b.start(lo) <= o.cfg.BulkMaxBytes {
		if o.splits.active() {
			if limit = min(limit, o.splits.limitFor(w.events[b.items[hi]])); hi-lo >= limit {
				break
			}
		}
		hi++
	}
	return hi
}

// send posts documents [lo, hi) of the body and records the failed ones in
// w.failed. It returns a request-level error when the server gave no
// per-document answer.
//
// A 413 (body too large) or 400 (a document the server cannot parse, e.g.
// VictoriaLogs's answer to a bad timestamp) to several documents splits
// them, once per backoff step: they are recorded as retryable failures
// that the pipeline resends after its backoff in requests of half the
// size, so a culprit is isolated in log2(n) steps while a server refusing
// everything sees one request per step, never a storm. When the server has
// accepted no request of this output yet, send returns errRefused so that
// Write stops there. A single document answered 413 is rejected
// permanently, one answered 400 is left to settleRejected.
func (o *Output) send(ctx context.Context, w *writeCall, lo, hi int) error {
	b := w.body
	res, err := o.post(ctx, b, lo, hi)
	if err != nil {
		return err
	}
	defer drain(res.Body)
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		o.accepted.Store(true)
		return o.readItems(res.Body, b, lo, hi, w.failed)
	case code == http.StatusRequestEntityTooLarge || code == http.StatusBadRequest:
		msg := readError(res.Body)
		if hi-lo == 1 && code == http.StatusBadRequest {
			w.rejected = append(w.rejected, rejection{pos: lo, msg: msg})
			if !o.accepted.Load() {
				return fmt.Errorf("%w with 400 Bad Request: %s", errRefused, msg)
			}
			return nil
		}
		if hi-lo == 1 {
			w.failed[b.items[lo]] = agent.Permanent(fmt.Errorf("the server rejected the document with %d %s: %s",
				code, http.StatusText(code), msg))
			return nil
		}
		half := (hi - lo + 1) / 2
		refused := fmt.Errorf("the server refused a request of %d documents with %d %s: %s; they are resent "+
			"after a backoff in requests of at most %d", hi-lo, code, http.StatusText(code), msg, half)
		for i := lo; i < hi; i++ {
			o.splits.set(w.events[b.items[i]], half)
		}
		markFailed(b, lo, hi, refused, w.failed)
		if !o.accepted.Load() {
			return fmt.Errorf("%w: %w", errRefused, refused)
		}
		return nil
	default:
		return requestError(res)
	}
}

// errRefused marks a request refused (400, 413) before the server has
// accepted any request of this output.
var errRefused = errors.New("the server refused the first request")

func markFailed(b *bulkBody, lo, hi int, err error, failed map[int]error) {
	for i := lo; i < hi; i++ {
		failed[b.items[i]] = err
	}
}

// post compresses documents [lo, hi) and posts them to /_bulk. The payload
// stays valid until the next makePayload, after the answer was read.
func (o *Output) post(ctx context.Context, b *bulkBody, lo, hi int) (*http.Response, error) {
	if err := b.makePayload(lo, hi, o.cfg.CompressionLevel); err != nil {
		return nil, fmt.Errorf("compressing the bulk body failed: %w", err)
	}
	payload := b.payload.Bytes()
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.bulkURL, bytes.NewReader(payload))
	if err != nil {
		cancel()
		return nil, err
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
	req.Header.Set("Content-Type", "application/x-ndjson")
	if o.cfg.CompressionLevel > 0 {
		req.Header.Set("Content-Encoding", "gzip")
	}
	start := time.Now()
	res, err := o.perform(req)
	o.duration.Observe(time.Since(start).Seconds())
	o.bytesSent.Add(float64(len(payload)))
	if err != nil {
		cancel()
		if m := o.mistake(err); m != nil {
			return nil, m
		}
		return nil, fmt.Errorf("bulk request failed: %w", err)
	}
	o.answered.Store(true)
	o.log.Debug("bulk request", "documents", hi-lo, "bytes", len(payload), "status", res.StatusCode,
		"duration", time.Since(start))
	// The body must stay readable after post returns: cancel on close.
	res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// cancelOnClose releases a request's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// requestError classifies a non-2xx answer that carries no per-document
// results. Authentication failures and server trouble are retryable (the
// pipeline keeps retrying with backoff, so nothing is dropped while an
// operator fixes credentials); a missing endpoint too, since it is a
// configuration problem, not one of the documents. Any other 4xx is
// permanent.
func requestError(res *http.Response) error {
	code := res.StatusCode
	var err error
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("bulk request refused: %s", authMessage(res))
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		err = fmt.Errorf("bulk request failed with %d %s: %s (is the host's path right? "+
			"VictoriaLogs needs http://host:9428/insert/elasticsearch)", code, http.StatusText(code), readError(res.Body))
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 || code < 200:
		err = fmt.Errorf("bulk request failed with %d %s: %s", code, http.StatusText(code), readError(res.Body))
	default:
		return agent.Permanent(fmt.Errorf("bulk request rejected with %d %s: %s",
			code, http.StatusText(code), readError(res.Body)))
	}
	if after, ok := httpx.RetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
		return agent.WithRetryAfter(err, after)
	}
	return err
}

// authMessage explains a 401 or 403 answer.
func authMessage(res *http.Response) string {
	if res.StatusCode == http.StatusUnauthorized {
		return fmt.Sprintf("401 Unauthorized: Elasticsearch did not accept the credentials; check api_key, "+
			"username/password or bearer_token (%s)", readError(res.Body))
	}
	return fmt.Sprintf("403 Forbidden: the credentials lack a privilege; akship needs auto_configure and "+
		"create_doc on logs-authentik.*-* (%s)", readError(res.Body))
}
