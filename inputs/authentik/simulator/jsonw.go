package simulator

import (
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"akship/internal/jsonenc"
)

// kv is one member of a JSON object under construction.
type kv struct {
	k string
	v any
}

// obj is a JSON object that authentik stores in a PostgreSQL jsonb column
// (event user/context/brand, user and group attributes). jsonb does not keep
// insertion order: it sorts keys by length, then bytewise, and the API returns
// them in that order, so obj renders that way too.
type obj []kv

// record is a serializer's output: keys render in the given (field) order.
type record []kv

// jsonNull marks an explicit null where a Go nil would be ambiguous.
var jsonNull = struct{}{}

// encoder appends compact JSON the way DRF's renderer emits it. With pg set it
// instead mimics PostgreSQL's jsonb::text form (", " and ": " separators),
// which is what icontains searches over JSON columns match against.
type encoder struct {
	buf []byte
	pg  bool
}

func (e *encoder) raw(s string) { e.buf = append(e.buf, s...) }

func (e *encoder) comma() {
	e.buf = append(e.buf, ',')
	if e.pg {
		e.buf = append(e.buf, ' ')
	}
}

func (e *encoder) colon() {
	e.buf = append(e.buf, ':')
	if e.pg {
		e.buf = append(e.buf, ' ')
	}
}

// value appends any supported Go value.
func (e *encoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.raw("null")
	case struct{}:
		e.raw("null")
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case float64:
		e.float(x)
	case string:
		e.str(x)
	case obj:
		e.object(sortedJSONB(x))
	case record:
		e.object(x)
	case []any:
		e.list(len(x), func(i int) { e.value(x[i]) })
	case []string:
		e.list(len(x), func(i int) { e.str(x[i]) })
	case []int:
		e.list(len(x), func(i int) { e.buf = strconv.AppendInt(e.buf, int64(x[i]), 10) })
	case []obj:
		e.list(len(x), func(i int) { e.value(x[i]) })
	default:
		panic(fmt.Sprintf("simulator: cannot encode %T", v))
	}
}

func (e *encoder) object(kvs []kv) {
	e.buf = append(e.buf, '{')
	for i, f := range kvs {
		if i > 0 {
			e.comma()
		}
		e.str(f.k)
		e.colon()
		e.value(f.v)
	}
	e.buf = append(e.buf, '}')
}

func (e *encoder) list(n int, item func(int)) {
	e.buf = append(e.buf, '[')
	for i := range n {
		if i > 0 {
			e.comma()
		}
		item(i)
	}
	e.buf = append(e.buf, ']')
}

// float renders like Python's json module: shortest repr, and always with a
// fractional part for integral values (62.0, not 62).
func (e *encoder) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.raw("null")
		return
	}
	start := len(e.buf)
	e.buf = strconv.AppendFloat(e.buf, f, 'f', -1, 64)
	if !strings.ContainsAny(string(e.buf[start:]), ".e") {
		e.buf = append(e.buf, ".0"...)
	}
}

// str appends a JSON string. Like DRF (UNICODE_JSON, Python's json
// module) and PostgreSQL's jsonb output, non-ASCII stays raw UTF-8 and the
// control characters with a short escape (\b \f \n \r \t) use it; like
// DRF, U+2028/U+2029 are escaped.
func (e *encoder) str(s string) { e.buf = jsonenc.AppendString(e.buf, s) }

// jsonbLess orders keys the way PostgreSQL's jsonb stores them.
func jsonbLess(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// sortedJSONB returns o in jsonb key order. Shared objects are built already
// sorted, so the common case only reads o and is safe for concurrent use.
func sortedJSONB(o obj) []kv {
	if slices.IsSortedFunc(o, func(a, b kv) int { return jsonbLess(a.k, b.k) }) {
		return o
	}
	c := slices.Clone(o)
	slices.SortStableFunc(c, func(a, b kv) int { return jsonbLess(a.k, b.k) })
	return c
}

// jsonText renders v in jsonb::text form, for substring searches.
func jsonText(v any) string {
	e := encoder{pg: true}
	e.value(v)
	return string(e.buf)
}

// formatUUID renders a UUID in its canonical dashed form.
func formatUUID(u [16]byte) string { return string(appendUUID(make([]byte, 0, 36), u)) }

// appendUUID appends a UUID in its canonical dashed form.
func appendUUID(b []byte, u [16]byte) []byte {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}

// hexUUID renders a UUID the way authentik stores model references: 32 hex
// digits without dashes.
func hexUUID(u [16]byte) string { return hex.EncodeToString(u[:]) }

// parseUUID accepts the forms Django's UUIDField accepts: dashed, bare hex,
// optionally braced or prefixed with urn:uuid:.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	s = strings.TrimPrefix(strings.ToLower(s), "urn:uuid:")
	s = strings.Trim(s, "{}")
	s = strings.ReplaceAll(s, "-", "")
	if len(s) != 32 {
		return u, false
	}
	if _, err := hex.Decode(u[:], []byte(s)); err != nil {
		return u, false
	}
	return u, true
}

// appendTime formats a timestamp exactly like authentik/DRF: UTC with a Z,
// six fractional digits when the microseconds are non-zero, none otherwise.
func appendTime(b []byte, micros int64) []byte {
	t := time.UnixMicro(micros).UTC()
	if micros%1_000_000 == 0 {
		return t.AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
}

// formatTime is appendTime returning a string.
func formatTime(micros int64) string { return string(appendTime(nil, micros)) }
