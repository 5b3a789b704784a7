package elasticsearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"akship/agent"
	"akship/internal/httpx"
)

// bulkItem is one entry of a bulk response's items, under its action name.
type bulkItem struct {
	Status int        `json:"status"`
	Error  *itemError `json:"error"`
	// FailureStore is "used" when the document could not be indexed and
	// was stored in the data stream's failure store instead.
	FailureStore string `json:"failure_store"`
}

// itemError is Elasticsearch's error object.
type itemError struct {
	Type     string     `json:"type"`
	Reason   string     `json:"reason"`
	CausedBy *itemError `json:"caused_by"`
}

func (e *itemError) String() string {
	if e == nil {
		return "no reason given"
	}
	s := e.Type + ": " + e.Reason
	if e.CausedBy != nil {
		s += " (caused by " + e.CausedBy.String() + ")"
	}
	return s
}

// maxResponseBytes bounds how much of a bulk response is read (a response
// for 100,000 documents with errors stays far below it).
const maxResponseBytes = 256 << 20

// readItems reads a 2xx bulk response for documents [lo, hi) and records
// each document's fate: counted as indexed or duplicate, or entered in
// failed. A document without an answer is retried.
func (o *Output) readItems(r io.Reader, b *bulkBody, lo, hi int, failed map[int]error) error {
	errorsFlag, items, err := parseBulkResponse(io.LimitReader(r, maxResponseBytes), o.failureStore.Load())
	if err != nil {
		return fmt.Errorf("reading the bulk response failed: %w", err)
	}
	if !errorsFlag && items == nil && !o.failureStore.Load() {
		// "errors": false came first: every document was created.
		for i := lo; i < hi; i++ {
			b.docs[i].route.indexed.Inc()
		}
		return nil
	}
	for i := lo; i < hi; i++ {
		idx := b.items[i]
		if i-lo >= len(items) {
			failed[idx] = fmt.Errorf("the bulk response has %d items for %d documents", len(items), hi-lo)
			continue
		}
		if err := itemResult(items[i-lo]); err != nil {
			failed[idx] = err
			continue
		}
		if r := b.docs[i].route; items[i-lo].Status == http.StatusConflict {
			r.duplicates.Inc()
		} else if items[i-lo].FailureStore == "used" {
			r.failureStore.Inc()
			if o.failureStoreUsed.CompareAndSwap(false, true) {
				o.log.Warn("Elasticsearch stored documents it could not index in the data stream's failure store; "+
					"they count as delivered (akship_output_documents_failure_store_total); find them with "+
					"FROM logs-authentik.*::failures", "data_stream", r.index)
			}
		} else {
			r.indexed.Inc()
		}
	}
	return nil
}

// itemResult turns one item into nil (stored, or already there) or an
// error: retryable for 429 and 5xx, permanent for other statuses.
func itemResult(it bulkItem) error {
	switch code := it.Status; {
	case code >= 200 && code < 300, code == http.StatusConflict:
		return nil
	case code == http.StatusTooManyRequests || code >= 500 || code == 0:
		return fmt.Errorf("document not stored (%d %s): %s", code, http.StatusText(code), it.Error)
	default:
		return agent.Permanent(fmt.Errorf("document rejected (%d %s): %s", code, http.StatusText(code), it.Error))
	}
}

// parseBulkResponse reads the top-level keys of a bulk response. When
// "errors" is false before "items" (Elasticsearch's order), it stops there
// and returns nil items: nothing more needs decoding — unless allItems
// asks for them (a document stored in the failure store is not an error
// but must be counted as such). Otherwise it returns
// the items in document order.
func parseBulkResponse(r io.Reader, allItems bool) (errorsFlag bool, items []bulkItem, err error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false, nil, errors.New("the response is not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, nil, err
		}
		switch tok {
		case "errors":
			if err := dec.Decode(&errorsFlag); err != nil {
				return false, nil, err
			}
			if !errorsFlag && items == nil && !allItems {
				return false, nil, nil
			}
		case "items":
			var raw []map[string]bulkItem
			if err := dec.Decode(&raw); err != nil {
				return false, nil, err
			}
			items = make([]bulkItem, len(raw))
			for i, m := range raw {
				for _, it := range m { // one key: the action name
					items[i] = it
				}
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return false, nil, err
			}
		}
	}
	if items == nil {
		items = []bulkItem{}
	}
	return errorsFlag, items, nil
}

// maxErrorBytes bounds how much of an error answer is read.
const maxErrorBytes = 64 << 10

// readError summarises an error answer: Elasticsearch's error type and
// reason, or the start of any other body, quoted.
func readError(r io.Reader) string {
	data := httpx.ReadPrefix(r, maxErrorBytes)
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &env) == nil && len(env.Error) > 0 {
		var ie itemError
		if json.Unmarshal(env.Error, &ie) == nil && ie.Type != "" {
			return ie.String()
		}
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return fmt.Sprintf("%q", s)
		}
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return "empty body"
	}
	if len(text) > 512 {
		text = text[:512] + "…"
	}
	return fmt.Sprintf("%q", text)
}

// drain reads what is left of a body (bounded) and closes it, so the
// connection goes back to the pool instead of being torn down.
func drain(body io.ReadCloser) { httpx.Drain(body, maxResponseBytes) }
