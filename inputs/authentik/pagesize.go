package authentik

import (
	"fmt"
	"log/slog"
)

// authentik 2026.2+ serves at most pagination_max_page_size records per
// page (100 by default) whatever page_size asks for, silently; page numbers
// then count pages of the size served. So the inputs never compute a page
// number from the size they asked for, only from the size the pagination
// object shows was served.

// served returns the page size authentik really served for this page:
// start_index − 1 is (current − 1) × size on every page after the first,
// and a page that is not the last is full. known is false for a lone last
// page (page 1 with no next), which cannot tell.
func (p Pagination) served() (size int, known bool) {
	switch {
	case p.Current > 1 && p.StartIndex > 1:
		return (p.StartIndex - 1) / (p.Current - 1), true
	case p.Next != 0 && p.EndIndex >= p.StartIndex && p.StartIndex > 0:
		return p.EndIndex - p.StartIndex + 1, true
	}
	return 0, false
}

// repage converts a page number in pages of size from to the page of size
// to holding that page's first record (rounding down: reading a few records
// again is harmless, skipping any is not).
func repage(page, from, to int) int {
	if page <= 1 || from <= 0 || to <= 0 {
		return 1
	}
	return (page-1)*from/to + 1
}

// pageSizes learns the largest page authentik serves to one input.
type pageSizes struct {
	asked int // inputs.*.page_size
	// max is the largest size authentik served when asked for more (0:
	// never seen cut).
	max    int
	logged int // the max last logged
	log    *slog.Logger
	input  string
}

// size is the page size the next request is expected to be served.
func (s *pageSizes) size() int {
	if s.max > 0 && s.max < s.asked {
		return s.max
	}
	return s.asked
}

// observe learns from a page requested with the input's page size and
// returns the size served, if the page tells. The first time authentik is
// seen cutting pages (and whenever its limit changes) it says so at info.
func (s *pageSizes) observe(p Pagination) (size int, known bool) {
	size, known = p.served()
	if !known {
		return 0, false
	}
	switch {
	case size < s.asked:
		s.max = size
	case s.max > 0 && size > s.max:
		s.max = 0 // the limit was raised
	}
	if s.max != 0 && s.max != s.logged {
		s.logged = s.max
		s.log.Info(fmt.Sprintf("authentik serves at most %d per page", s.max), "input", s.input,
			"page_size", s.asked)
	}
	return size, true
}
