package simulator

import (
	"strings"
	"unicode"
)

// searchTerms splits a DRF search parameter like DRF's search_smart_split:
// whitespace separates terms, quoted phrases stay together, unquoted terms
// are further split at commas; NUL characters are dropped. Terms come back
// lower-cased for case-insensitive matching.
func searchTerms(raw string) []string {
	raw = strings.ReplaceAll(raw, "\x00", "")
	var terms []string
	for _, tok := range smartSplit(raw) {
		tok = strings.Trim(tok, ",")
		if len(tok) >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[len(tok)-1] == tok[0] {
			terms = append(terms, strings.ToLower(unescapeQuoted(tok)))
			continue
		}
		for _, sub := range strings.Split(tok, ",") {
			if sub = strings.TrimSpace(sub); sub != "" {
				terms = append(terms, strings.ToLower(sub))
			}
		}
	}
	return terms
}

// smartSplit splits at whitespace outside quotes, like Django's smart_split.
func smartSplit(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	escaped := false
	for _, c := range s {
		switch {
		case escaped:
			escaped = false
		case quote != 0 && c == '\\':
			escaped = true
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && unicode.IsSpace(c):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unescapeQuoted(s string) string {
	q := s[:1]
	inner := s[1 : len(s)-1]
	inner = strings.ReplaceAll(inner, "\\"+q, q)
	return strings.ReplaceAll(inner, `\\`, `\`)
}

// termSearch is DRF's SearchFilter: every term must be a case-insensitive
// substring of at least one of the searched fields.
type termSearch struct{ terms []string }

// match reports whether every term occurs in one of the haystacks, which
// are produced lazily (searching big JSON text is the expensive part) and
// must already be lower-cased.
func (s termSearch) match(haystacks []func() string) bool {
	cache := make([]string, len(haystacks))
	done := make([]bool, len(haystacks))
	for _, term := range s.terms {
		found := false
		for i, h := range haystacks {
			if !done[i] {
				cache[i], done[i] = h(), true
			}
			if strings.Contains(cache[i], term) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// matcher is a parsed search parameter: either a DjangoQL expression or a
// plain DRF term search.
type matcher struct {
	ql    qlNode
	terms termSearch
}

// newMatcher parses raw for the given schema. With ql set (2025.8+) it tries
// DjangoQL first and falls back to plain search when the expression does not
// parse or does not fit the schema, as authentik does.
func newMatcher(raw string, ql bool, schema qlSchema) *matcher {
	if raw == "" {
		return nil
	}
	if ql {
		if n, err := parseQL(raw, schema); err == nil {
			return &matcher{ql: n}
		}
	}
	return &matcher{terms: termSearch{terms: searchTerms(raw)}}
}

// match evaluates the search against one row; haystacks is only called for
// plain search.
func (m *matcher) match(row qlRow, haystacks func() []func() string) bool {
	if m.ql != nil {
		return m.ql.eval(row)
	}
	return m.terms.match(haystacks())
}

// createdFrom returns T when the only filter is the search `created >= T`
// in the query language.
func (f *eventFilter) createdFrom() (int64, bool) {
	if f.search == nil || f.action != "" || f.actions != nil || f.clientIP != nil || f.username != nil ||
		f.needContext || f.brandName != nil {
		return 0, false
	}
	c, ok := f.search.ql.(qlCompare)
	if !ok || c.field != "created" || c.op != ">=" || c.val.null {
		return 0, false
	}
	return c.val.n, true
}
