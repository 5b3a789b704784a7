package authentik

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
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

// maxDepth is encoding/json's nesting limit; deeper bodies take the slow
// path, which reports it.
const maxDepth = 10000

// scanner is a validating single-pass JSON reader over a page body. Its
// methods return false for invalid JSON and for anything the fast path
// leaves to encoding/json.
type scanner struct {
	data  []byte
	i     int
	depth int
}

// scanPage is the fast path of decodePage: it fills page and returns true
// only when the body is valid JSON, an object with exactly one
// "pagination" object and one "results" array (exact key spelling), and
// encoding/json would decode it to the same page.
func scanPage(body []byte, page *Page) bool {
	s := scanner{data: body}
	s.ws()
	if !s.eat('{') {
		return false
	}
	var havePagination, haveResults bool
	s.ws()
	if s.eat('}') {
		return false // no pagination, no results
	}
	for {
		key, ok := s.key()
		if !ok {
			return false
		}
		switch key {
		case "pagination":
			if havePagination || !s.pagination(&page.Pagination) {
				return false
			}
			havePagination = true
		case "results":
			if haveResults || !s.results(page) {
				return false
			}
			haveResults = true
		default:
			if strings.EqualFold(key, "pagination") || strings.EqualFold(key, "results") || !s.value() {
				return false
			}
		}
		s.ws()
		if s.eat(',') {
			s.ws()
			continue
		}
		if !s.eat('}') {
			return false
		}
		s.ws()
		return s.i == len(s.data) && havePagination && haveResults
	}
}

// key reads an object key and the colon after it. Keys with escapes or
// non-ASCII bytes are refused: encoding/json folds some of them onto
// ASCII names (ſ onto s, K onto k), which the fast path does not mimic.
func (s *scanner) key() (string, bool) {
	start := s.i + 1
	if s.peek() != '"' {
		return "", false
	}
	escaped, ok := s.str()
	if !ok || escaped {
		return "", false
	}
	k := s.data[start : s.i-1]
	for _, c := range k {
		if c >= 0x80 {
			return "", false
		}
	}
	s.ws()
	if !s.eat(':') {
		return "", false
	}
	s.ws()
	return string(k), true
}

// pagination decodes the pagination object with encoding/json: it is
// small, and its numbers must be read exactly as before.
func (s *scanner) pagination(p *Pagination) bool {
	start := s.i
	if s.peek() != '{' || !s.value() {
		return false
	}
	return json.Unmarshal(s.data[start:s.i], p) == nil
}

// results slices each element of the results array out of the body.
func (s *scanner) results(page *Page) bool {
	if !s.eat('[') {
		return false // null or not a list: the slow path says which
	}
	page.Results, page.keys = page.Results[:0], page.keys[:0]
	if page.Results == nil {
		page.Results = []json.RawMessage{}
	}
	s.ws()
	if s.eat(']') {
		return true
	}
	for {
		start := s.i
		var k recordKey
		var ok bool
		if s.peek() == '{' {
			ok = s.record(&k)
		} else {
			ok = s.value()
		}
		if !ok {
			return false
		}
		// The capacity ends at the record, so no append can reach into
		// the rest of the body.
		page.Results = append(page.Results, s.data[start:s.i:s.i])
		page.keys = append(page.keys, k)
		s.ws()
		if s.eat(',') {
			s.ws()
			continue
		}
		return s.eat(']')
	}
}

// record validates a record object and notes its pk and created when both
// are plain strings (or absent, or null, which encoding/json leaves empty).
func (s *scanner) record(k *recordKey) bool {
	s.i++ // '{'
	k.sure = true
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		start := s.i + 1
		if s.peek() != '"' {
			return false
		}
		escaped, ok := s.str()
		if !ok {
			return false
		}
		name := s.data[start : s.i-1]
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		var dst *string
		switch {
		case escaped || hasNonASCII(name):
			k.sure = false // might fold onto pk or created
		case string(name) == "pk":
			dst = &k.pk
		case string(name) == "created":
			dst = &k.created
		case strings.EqualFold(string(name), "pk") || strings.EqualFold(string(name), "created"):
			k.sure = false
		}
		vstart := s.i
		c := s.peek()
		if !s.value() {
			return false
		}
		if dst != nil {
			switch {
			case c == 'n' && s.i-vstart == 4: // null leaves the field as it is
			case c != '"':
				k.sure = false // a type error for encoding/json
			default:
				v := s.data[vstart+1 : s.i-1]
				if hasByte(v, '\\') || !utf8.Valid(v) { // encoding/json would change it
					k.sure = false
				} else {
					*dst = string(v)
				}
			}
		}
		s.ws()
		if s.eat(',') {
			s.ws()
			continue
		}
		return s.eat('}')
	}
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func (s *scanner) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value skips one JSON value, checking its syntax.
func (s *scanner) value() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

func (s *scanner) object() bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // '{'
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		if _, ok := s.str(); !ok {
			return false
		}
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		if !s.value() {
			return false
		}
		s.ws()
		if s.eat(',') {
			s.ws()
			continue
		}
		return s.eat('}')
	}
}

func (s *scanner) array() bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // '['
	s.ws()
	if s.eat(']') {
		return true
	}
	for {
		if !s.value() {
			return false
		}
		s.ws()
		if s.eat(',') {
			s.ws()
			continue
		}
		return s.eat(']')
	}
}

// plainStringByte marks the bytes a string can hold as they are: not a
// control character, quote or backslash. (Invalid UTF-8 is valid here, as
// for encoding/json, which keeps raw bytes as they are.)
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str skips a string starting at its opening quote and reports whether it
// held escapes.
func (s *scanner) str() (escaped, ok bool) {
	d := s.data
	i := s.i + 1
	for {
		for i < len(d) && plainStringByte[d[i]] {
			i++
		}
		if i >= len(d) {
			return false, false
		}
		switch d[i] {
		case '"':
			s.i = i + 1
			return escaped, true
		case '\\':
			escaped = true
			if i+1 >= len(d) {
				return false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return false, false
				}
				i += 6
			default:
				return false, false
			}
		default: // a control character
			return false, false
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	d, i := s.data, s.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	s.i = i
	return true
}

func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}
