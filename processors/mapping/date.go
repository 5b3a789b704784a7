package mapping

import (
	"fmt"
	"time"
)

// dateLayout is how the reference writes dates: UTC, milliseconds
// (truncated, not rounded), a Z.
const dateLayout = "2006-01-02T15:04:05.000Z"

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

// esDate normalises a date the way the reference's date processor with the
// ISO8601 format does; absent and empty values pass through (the processor
// skips them) and anything unparseable becomes a failure.
func esDate(v any) any {
	switch x := native(v).(type) {
	case nil, *Failure:
		return x
	case string:
		if x == "" {
			return x
		}
		t, err := parseISO8601(x)
		if err != nil {
			return fail("unable to parse date %s: %v", preview(x), err)
		}
		return formatDate(t)
	}
	if s, ok := renderString(v); ok {
		return esDate(s)
	}
	return fail("unable to parse date %s: not a string", preview(v))
}

// parseISO8601 parses the ISO 8601 forms Elasticsearch's "iso8601" format
// accepts: yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]]]]] with 1 to 9 fraction
// digits (after '.' or ','), then an optional zone: Z, ±HH, ±HHmm or
// ±HH:mm. Without a zone the time is UTC.
func parseISO8601(s string) (time.Time, error) {
	p := dateParser{s: s}
	f := [6]int{0, 1, 1, 0, 0, 0} // year, month, day, hour, minute, second
	nanos := 0
	f[0] = p.digits(4)
	if p.accept('-') {
		f[1] = p.digits(2)
		if p.accept('-') {
			f[2] = p.digits(2)
			if p.accept('T') {
				f[3] = p.digits(2)
				if p.accept(':') {
					f[4] = p.digits(2)
					if p.accept(':') {
						f[5] = p.digits(2)
						if p.accept('.') || p.accept(',') {
							nanos = p.fraction()
						}
					}
				}
			}
		}
	}
	loc := p.zone()
	if p.err != nil {
		return time.Time{}, p.err
	}
	if p.i != len(s) {
		return time.Time{}, fmt.Errorf("unexpected %q at position %d", s[p.i:], p.i+1)
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], nanos, loc)
	if t.Month() != time.Month(f[1]) || t.Day() != f[2] || t.Hour() != f[3] || t.Minute() != f[4] || t.Second() != f[5] {
		return time.Time{}, fmt.Errorf("a field is out of range")
	}
	return t, nil
}

// dateParser reads a date left to right, keeping the first error.
type dateParser struct {
	s   string
	i   int
	err error
}

func (p *dateParser) accept(c byte) bool {
	if p.err == nil && p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dateParser) digits(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		if p.err != nil {
			return 0
		}
		if p.i >= len(p.s) || p.s[p.i] < '0' || p.s[p.i] > '9' {
			p.err = fmt.Errorf("expected %d digits at position %d", n, p.i+1-k)
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// fraction reads 1 to 9 digits of a second as nanoseconds.
func (p *dateParser) fraction() int {
	start, v := p.i, 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && p.i-start < 9 {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	n := p.i - start
	if n == 0 {
		p.err = fmt.Errorf("expected fraction digits at position %d", p.i+1)
	}
	for ; n < 9; n++ {
		v *= 10
	}
	return v
}

// zone reads an optional zone designator.
func (p *dateParser) zone() *time.Location {
	if p.err != nil || p.accept('Z') || p.i >= len(p.s) {
		return time.UTC
	}
	sign := 1
	switch {
	case p.accept('+'):
	case p.accept('-'):
		sign = -1
	default:
		return time.UTC // the caller reports the unexpected text
	}
	h, m := p.digits(2), 0
	if p.accept(':') || (p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		m = p.digits(2)
	}
	if h > 18 || m > 59 {
		p.err = fmt.Errorf("zone offset out of range")
	}
	return time.FixedZone("", sign*(h*3600+m*60))
}
