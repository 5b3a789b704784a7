package simulator

import (
	"net/url"
	"strings"
)

// maxPyInt bounds parsed integers; larger values behave the same anyway
// (out of range pages, one page holding everything).
const maxPyInt = 1 << 53

// parsePyInt parses like Python's int(str): surrounding whitespace, an
// optional sign, digits with single underscores between them.
func parsePyInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	n := 0
	for _, c := range s {
		switch {
		case c == '_':
			continue
		case c < '0' || c > '9':
			return 0, false
		}
		if n < maxPyInt {
			n = n*10 + int(c-'0')
		}
	}
	n = min(n, maxPyInt)
	if neg {
		n = -n
	}
	return n, true
}

// pageSize is the page size the request gets (see profile.pageSize).
func (s *Simulator) pageSize(q url.Values) int {
	v, ok := lastValue(q, "page_size")
	return s.prof.pageSize(v, ok)
}

// page is authentik's pagination object plus the slice bounds it selects.
type page struct {
	next, previous, count, current, totalPages, startIndex, endIndex int
	lo, hi                                                           int // results[lo:hi]
}

// paginate implements DRF PageNumberPagination over Django's Paginator for
// count rows in pages of size. ok is false for "Invalid page." (404).
func paginate(q url.Values, count, size int) (p page, ok bool) {
	p.count = count
	p.totalPages = 1
	if count > 0 {
		p.totalPages = (count + size - 1) / size
	}
	raw, _ := lastValue(q, "page")
	switch {
	case raw == "":
		p.current = 1
	case raw == "last":
		p.current = p.totalPages
	default:
		n, valid := parsePyInt(raw)
		if !valid || n < 1 || n > p.totalPages {
			return page{}, false
		}
		p.current = n
	}
	if p.current < p.totalPages {
		p.next = p.current + 1
	}
	p.previous = p.current - 1
	p.lo = min((p.current-1)*size, count)
	p.hi = min(p.lo+size, count)
	if count > 0 {
		p.startIndex = p.lo + 1
		p.endIndex = p.current * size
		if p.current == p.totalPages {
			p.endIndex = count
		}
	}
	return p, true
}

// record renders the pagination object in authentik's key order.
func (p page) record() record {
	return record{
		{"next", p.next}, {"previous", p.previous}, {"count", p.count}, {"current", p.current},
		{"total_pages", p.totalPages}, {"start_index", p.startIndex}, {"end_index", p.endIndex},
	}
}

// listBody renders {"pagination": …, "results": […]} and, when
// autocomplete is set (2025.8+ events and users, 2026.2+ every list),
// "autocomplete": {}. results appends each item.
func listBody(p page, autocomplete bool, n int, item func(e *encoder, i int)) []byte {
	e := encoder{buf: make([]byte, 0, 256+n*1024)}
	e.raw(`{"pagination":`)
	e.value(p.record())
	e.raw(`,"results":[`)
	for i := range n {
		if i > 0 {
			e.raw(",")
		}
		item(&e, i)
	}
	e.raw("]")
	if autocomplete {
		e.raw(`,"autocomplete":{}`)
	}
	e.raw("}")
	return e.buf
}

var errInvalidPage = jsonResponse(404, record{{"detail", "Invalid page."}})
