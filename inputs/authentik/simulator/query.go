package simulator

import (
	"bytes"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// lastValue returns a query parameter the way Django's QueryDict.get does:
// the last occurrence wins.
func lastValue(q url.Values, key string) (string, bool) {
	vs, ok := q[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// charFilter returns a django-filter CharFilter value; empty means the
// filter is not applied.
func charFilter(q url.Values, key string) (string, bool) {
	v, _ := lastValue(q, key)
	return v, v != ""
}

// boolFilter parses a django-filter BooleanFilter (DRF BooleanWidget):
// true/false/1/0 in any case; anything else disables the filter.
func boolFilter(q url.Values, key string) (value, ok bool) {
	v, _ := lastValue(q, key)
	switch strings.ToLower(v) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// includeFlag implements authentik's include_users/include_groups: only the
// literal "true" (any case) counts, and an absent parameter means true.
func includeFlag(q url.Values, key string) bool {
	v, ok := lastValue(q, key)
	return !ok || strings.EqualFold(v, "true")
}

// orderKey is one term of an ordering.
type orderKey struct {
	field string
	desc  bool
}

// parseOrdering implements DRF's OrderingFilter: comma-separated terms, one
// leading "-" for descending, unknown names dropped silently, the default
// when nothing valid remains. Unlike authentik, ties are then broken by pk in
// the direction of the last key, so the simulator's order is total.
func parseOrdering(q url.Values, valid map[string]bool, def orderKey) []orderKey {
	var keys []orderKey
	if raw, _ := lastValue(q, "ordering"); raw != "" {
		for _, term := range strings.Split(raw, ",") {
			term = strings.TrimSpace(term)
			name, desc := strings.CutPrefix(term, "-")
			if valid[name] {
				keys = append(keys, orderKey{field: name, desc: desc})
			}
		}
	}
	if len(keys) == 0 {
		keys = []orderKey{def}
	}
	if last := keys[len(keys)-1]; last.field != "pk" {
		keys = append(keys, orderKey{field: "pk", desc: last.desc})
	}
	return keys
}

// column is one sort key's values for the rows being ordered.
type column interface {
	cmp(i, j int) int
}

type intColumn []int64

func (c intColumn) cmp(i, j int) int {
	switch {
	case c[i] < c[j]:
		return -1
	case c[i] > c[j]:
		return 1
	}
	return 0
}

type strColumn []string

func (c strColumn) cmp(i, j int) int { return strings.Compare(c[i], c[j]) }

type uuidColumn [][16]byte

func (c uuidColumn) cmp(i, j int) int { return bytes.Compare(c[i][:], c[j][:]) }

// ipColumn orders like PostgreSQL inet (IPv4 before IPv6); null (the zero
// Addr) sorts as the largest value, like PostgreSQL's NULLS LAST/FIRST.
type ipColumn []netip.Addr

func (c ipColumn) cmp(i, j int) int {
	a, b := c[i], c[j]
	switch {
	case !a.IsValid() && !b.IsValid():
		return 0
	case !a.IsValid():
		return 1
	case !b.IsValid():
		return -1
	}
	return a.Compare(b)
}

// nullMax stands for SQL NULL in integer columns: PostgreSQL sorts NULL as
// larger than every value.
const nullMax = int64(^uint64(0) >> 1)

// sortRows returns the row indices 0..n-1 ordered by keys.
func sortRows(n int, keys []orderKey, col func(field string) column) []int32 {
	cols := make([]column, len(keys))
	for i, k := range keys {
		cols[i] = col(k.field)
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		for i, c := range cols {
			if r := c.cmp(int(a), int(b)); r != 0 {
				if keys[i].desc {
					return -r
				}
				return r
			}
		}
		return 0
	})
	return perm
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// validationError renders DRF's {"field": ["message"]} 400 body.
func validationError(field, msg string) response {
	return jsonResponse(400, record{{field, []string{msg}}})
}

// invalidChoice is django's ChoiceField message.
func invalidChoice(value string) string {
	return "Select a valid choice. " + value + " is not one of the available choices."
}
