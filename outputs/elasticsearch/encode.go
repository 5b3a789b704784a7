package elasticsearch

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// encoder encodes documents. It keeps one growing stack of map keys, so
// sorting the keys of nested objects allocates nothing once warm; an
// encoder is used by one goroutine at a time (it lives in a pooled
// bulkBody).
type encoder struct {
	keys []string
}

// appendJSON appends the JSON encoding of v to b.
//
// It is the fast path for the values documents are made of (maps, slices,
// strings, numbers, booleans, nil): no reflection, no intermediate
// allocations beyond the sorted key list. Map keys are sorted, so a
// document always encodes to the same bytes. Any other type falls back to
// encoding/json, whose output this matches.
func (enc *encoder) appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return appendFloat(b, x, 64)
	case float32:
		return appendFloat(b, float64(x), 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		return append(b, x...), nil
	case map[string]any:
		return enc.appendObject(b, x)
	case []any:
		return enc.appendArray(b, x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return enc.appendObject(b, m)
	case time.Time:
		b = append(b, '"')
		b = x.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, data...), nil
}

func (enc *encoder) appendObject(b []byte, m map[string]any) ([]byte, error) {
	keys := enc.sortedKeys(m)
	defer enc.release(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = enc.appendJSON(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (enc *encoder) appendArray(b []byte, a []any) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = enc.appendJSON(b, v); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// sortedKeys pushes m's keys, plus extra ones absent from m, onto the
// stack in byte order (encoding/json's order) and returns them; release
// pops them. Nested objects push above, so the returned slice stays valid.
func (enc *encoder) sortedKeys(m map[string]any, extra ...string) []string {
	start := len(enc.keys)
	for k := range m {
		enc.keys = append(enc.keys, k)
	}
	for _, k := range extra {
		if _, ok := m[k]; !ok {
			enc.keys = append(enc.keys, k)
		}
	}
	keys := enc.keys[start:]
	slices.Sort(keys)
	return keys
}

// release pops keys returned by sortedKeys.
func (enc *encoder) release(keys []string) {
	enc.keys = enc.keys[:len(enc.keys)-len(keys)]
}

// appendFloat formats like encoding/json: shortest representation,
// exponent only for very large or small magnitudes; NaN and ±Inf are errors.
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters are escaped,
// invalid UTF-8 becomes U+FFFD and U+2028/U+2029 are escaped, as with
// encoding/json; "<", ">" and "&" are left alone (no HTML escaping: the
// body is not HTML).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
