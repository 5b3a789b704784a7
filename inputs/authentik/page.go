package authentik

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Page is one decoded list response. Results hold each record's bytes as
// authentik sent them; they share the response body (read-only, never
// copied), so a page costs one buffer however many records it has.
// Unknown top-level keys (autocomplete, 2025.8+) are ignored.
type Page struct {
	Pagination Pagination        `json:"pagination"`
	Results    []json.RawMessage `json:"results"`
	// keys holds the pk and created strings of each record, read during
	// the same pass (nil when the page was decoded by the slow path).
	keys []recordKey
}

// recordKey is what the single pass learnt of a record's top-level pk and
// created. When sure is false the record needs a full decode to tell
// (escaped or non-string values, a record that is not an object, keys
// encoding/json would match case-insensitively).
type recordKey struct {
	pk, created string
	sure        bool
}

// decodePage decodes a list response, insisting on the envelope authentik
// always sends, so a truncated or foreign body is not mistaken for an
// empty page.
//
// The common case takes one pass over the body (scanPage), which checks
// the whole body is valid JSON and slices the records out of it. Anything
// unusual, including every invalid body, goes to decodePageSlow, the
// encoding/json decoder, so results and error messages are exactly its.
func decodePage(body []byte, page *Page) error {
	if scanPage(body, page) {
		return nil
	}
	*page = Page{}
	return decodePageSlow(body, page)
}

// decodePageSlow is decodePage with encoding/json.
func decodePageSlow(body []byte, page *Page) error {
	var probe struct {
		Pagination *Pagination      `json:"pagination"`
		Results    *json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return fmt.Errorf("invalid JSON page (%d bytes): %w", len(body), err)
	}
	if probe.Pagination == nil || probe.Results == nil {
		return fmt.Errorf("response is not an authentik list page (no pagination or results)")
	}
	page.Pagination = *probe.Pagination
	if err := json.Unmarshal(*probe.Results, &page.Results); err != nil {
		return fmt.Errorf("results is not a list: %w", err)
	}
	return nil
}

// recordKeyAt returns the pk and created of record i, decoding the record
// when the single pass could not tell.
func (p *Page) recordKeyAt(i int) (pk, created string, err error) {
	if i < len(p.keys) && p.keys[i].sure {
		return p.keys[i].pk, p.keys[i].created, nil
	}
	var r struct {
		PK      string `json:"pk"`
		Created string `json:"created"`
	}
	if err := json.Unmarshal(p.Results[i], &r); err != nil {
		return "", "", fmt.Errorf("event is not a JSON object: %w", err)
	}
	return r.PK, r.Created, nil
}

// scanPage is the fast path of decodePage, on github.com/tidwall/gjson: it
// fills page and returns true only when the body is valid JSON, an object
// with exactly one "pagination" object and one "results" array (exact key
// spelling), and encoding/json would decode it to the same page. Records
// are slices of the body (gjson reports each value's offset), so a page
// costs no copy per record.
func scanPage(body []byte, page *Page) bool {
	// The body is never written after it was read, so gjson may work on
	// it in place rather than on a copy.
	text := unsafe.String(unsafe.SliceData(body), len(body))
	if !gjson.Valid(text) {
		return false // the slow path reports why
	}
	root := gjson.Parse(text)
	if !root.IsObject() {
		return false
	}
	var pagination, results gjson.Result
	ok := true
	root.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Raw == `"pagination"` && !pagination.Exists():
			pagination = v
		case k.Raw == `"results"` && !results.Exists():
			results = v
		case strings.EqualFold(k.Str, "pagination") || strings.EqualFold(k.Str, "results") || strings.IndexByte(k.Raw, '\\') >= 0:
			ok = false // a duplicate or a key encoding/json might fold onto these
		}
		return ok
	})
	if !ok || !pagination.IsObject() || !results.IsArray() ||
		json.Unmarshal([]byte(pagination.Raw), &page.Pagination) != nil {
		return false
	}
	return sliceResults(body, results, page)
}

// sliceResults slices each element of the results array out of the body
// and notes its pk and created.
func sliceResults(body []byte, results gjson.Result, page *Page) bool {
	page.Results, page.keys = page.Results[:0], page.keys[:0]
	if page.Results == nil {
		page.Results = []json.RawMessage{}
	}
	ok := true
	results.ForEach(func(_, v gjson.Result) bool {
		start, end := v.Index, v.Index+len(v.Raw)
		if start <= 0 || end > len(body) {
			ok = false // gjson could not tell the offset
			return false
		}
		// The capacity ends at the record, so no append can reach into the
		// rest of the body.
		page.Results = append(page.Results, body[start:end:end])
		page.keys = append(page.keys, recordKeyOf(v))
		return true
	})
	return ok
}

// recordKeyOf notes a record's pk and created when both are plain strings
// (or absent, or null, which encoding/json leaves empty) under their exact
// names; anything encoding/json would read differently (escapes, other
// types, keys it would fold onto these names, duplicates) leaves the key
// unsure, for a full decode.
func recordKeyOf(v gjson.Result) recordKey {
	if !v.IsObject() {
		return recordKey{}
	}
	k := recordKey{sure: true}
	var seenPK, seenCreated bool
	v.ForEach(func(name, val gjson.Result) bool {
		var dst *string
		switch {
		case strings.IndexByte(name.Raw, '\\') >= 0 || hasNonASCII([]byte(name.Raw)):
			k.sure = false // might fold onto pk or created
		case name.Str == "pk":
			dst, seenPK = &k.pk, !seenPK
			k.sure = k.sure && seenPK
		case name.Str == "created":
			dst, seenCreated = &k.created, !seenCreated
			k.sure = k.sure && seenCreated
		case strings.EqualFold(name.Str, "pk") || strings.EqualFold(name.Str, "created"):
			k.sure = false
		}
		if dst != nil {
			switch {
			case val.Type == gjson.Null: // leaves the field as it is
			case val.Type != gjson.String || strings.IndexByte(val.Raw, '\\') >= 0 || !utf8.ValidString(val.Raw):
				k.sure = false // a type error, or text encoding/json would change
			default:
				*dst = val.Str
			}
		}
		return k.sure
	})
	if !k.sure {
		return recordKey{}
	}
	return k
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
