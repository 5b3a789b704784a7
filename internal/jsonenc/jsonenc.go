// Package jsonenc appends JSON without reflection: the encoder of the
// documents akship ships (maps with sorted keys, slices, strings, numbers),
// and the string and number formats it uses, which match encoding/json's
// (without HTML escaping). The Elasticsearch output encodes mapped
// documents with it, and the mapping engine writes its documents
// with the same string and number formats, so both give the same bytes.
package jsonenc

import (
	"encoding/json"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Encoder encodes documents made of maps, slices and JSON scalars. It
// keeps one growing stack of map entries, so sorting the keys of nested
// objects allocates nothing once warm; an Encoder is used by one goroutine
// at a time. The zero value is ready to use.
type Encoder struct {
	entries []Entry
}

// Entry is a map key and its value, taken in one pass over the map so that
// encoding in key order needs no second lookup per key.
type Entry struct {
	K string
	V any
}

// Append appends the JSON encoding of v to b.
//
// It is the fast path for the values documents are made of (maps, slices,
// strings, numbers, booleans, nil): no reflection, no intermediate
// allocations beyond the sorted key list. Map keys are sorted, so a
// document always encodes to the same bytes. Any other type falls back to
// encoding/json, whose output this matches.
func (enc *Encoder) Append(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return AppendFloat(b, x, 64)
	case float32:
		return AppendFloat(b, float64(x), 32)
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
		return enc.appendObject(b, x, nil)
	case []any:
		return enc.appendArray(b, x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, s)
		}
		return append(b, ']'), nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return enc.appendObject(b, m, nil)
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

// Patch changes a document while AppendPatched encodes it, leaving the
// document itself as it is.
type Patch struct {
	// Key is the key patched; it is added when the object lacks it.
	Key string
	// Raw is the JSON written as Key's value when Sub is nil.
	Raw []byte
	// Sub patches the object at Key, or a new one when Key is missing or
	// null; a value there that is not an object is written as it is.
	Sub []Patch
}

// AppendPatched appends m as Append would, with patches applied to its
// keys.
func (enc *Encoder) AppendPatched(b []byte, m map[string]any, patches []Patch) ([]byte, error) {
	return enc.appendObject(b, m, patches)
}

func (enc *Encoder) appendObject(b []byte, m map[string]any, patches []Patch) ([]byte, error) {
	start := enc.push(m)
	for i := range patches {
		enc.pushMissing(m, patches[i].Key)
	}
	entries := enc.sortFrom(start)
	defer enc.Release(entries)
	b = append(b, '{')
	var err error
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, e.K)
		b = append(b, ':')
		if p := findPatch(patches, e.K); p != nil {
			b, err = enc.appendPatch(b, e.V, p)
		} else {
			b, err = enc.Append(b, e.V)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (enc *Encoder) appendPatch(b []byte, v any, p *Patch) ([]byte, error) {
	if p.Sub == nil {
		return append(b, p.Raw...), nil
	}
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return enc.Append(b, v)
	}
	return enc.appendObject(b, m, p.Sub)
}

func findPatch(patches []Patch, k string) *Patch {
	for i := range patches {
		if patches[i].Key == k {
			return &patches[i]
		}
	}
	return nil
}

func (enc *Encoder) appendArray(b []byte, a []any) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = enc.Append(b, v); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// Sorted pushes m's entries, plus entries with a nil value for the extra
// keys absent from m, onto the stack in key byte order (encoding/json's
// order) and returns them; Release pops them. Nested objects push above,
// so the returned slice stays valid.
func (enc *Encoder) Sorted(m map[string]any, extra ...string) []Entry {
	start := enc.push(m)
	for _, k := range extra {
		enc.pushMissing(m, k)
	}
	return enc.sortFrom(start)
}

// push pushes m's entries and returns where they start.
func (enc *Encoder) push(m map[string]any) int {
	start := len(enc.entries)
	for k, v := range m {
		enc.entries = append(enc.entries, Entry{k, v})
	}
	return start
}

// pushMissing pushes an entry with a nil value for k when m lacks k.
func (enc *Encoder) pushMissing(m map[string]any, k string) {
	if _, ok := m[k]; !ok {
		enc.entries = append(enc.entries, Entry{K: k})
	}
}

// sortFrom sorts the entries pushed from start and returns them.
func (enc *Encoder) sortFrom(start int) []Entry {
	entries := enc.entries[start:]
	sortEntries(entries)
	return entries
}

// sortEntries sorts by key: insertion sort for the small objects documents
// are mostly made of, the standard library's sort beyond.
func sortEntries(es []Entry) {
	if len(es) > 12 {
		slices.SortFunc(es, func(a, b Entry) int {
			if a.K != "" && b.K != "" && a.K[0] != b.K[0] {
				return int(a.K[0]) - int(b.K[0])
			}
			return strings.Compare(a.K, b.K)
		})
		return
	}
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && keyLess(es[j].K, es[j-1].K); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// keyLess is a < b, deciding by the first bytes without a call into the
// runtime's string comparison when they differ (as keys mostly do).
func keyLess(a, b string) bool {
	if a != "" && b != "" && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// Release pops entries returned by Sorted, clearing them so the stack does
// not keep documents reachable.
func (enc *Encoder) Release(entries []Entry) {
	clear(entries)
	enc.entries = enc.entries[:len(enc.entries)-len(entries)]
}

// AppendFloat formats like encoding/json: shortest representation,
// exponent only for very large or small magnitudes; NaN and ±Inf are errors.
func AppendFloat(b []byte, f float64, bits int) ([]byte, error) {
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

// plain marks the bytes that stand for themselves in a JSON string: ASCII
// from space on, except the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SWAR constants: a byte of each in every lane of a uint64.
const (
	Lanes01 = 0x0101010101010101
	Lanes80 = 0x8080808080808080
)

// special8 returns, for the 8 bytes of x (one per lane), a mask whose
// lowest set bit is the high bit of the first byte that is not plain:
// below 0x20, at or above 0x80, a quote or a backslash; 0 when all are
// plain. (A borrow can flag a lane after a special one, never before.)
func special8(x uint64) uint64 {
	below20 := (x - 0x20*Lanes01) &^ x
	quote := x ^ '"'*Lanes01
	backslash := x ^ '\\'*Lanes01
	quote = (quote - Lanes01) &^ quote
	backslash = (backslash - Lanes01) &^ backslash
	return (x | below20 | quote | backslash) & Lanes80
}

// AppendString appends s as a JSON string. Control characters are escaped,
// invalid UTF-8 becomes U+FFFD and U+2028/U+2029 are escaped, as with
// encoding/json; "<", ">" and "&" are left alone (no HTML escaping: the
// body is not HTML). Plain ASCII is skipped 8 bytes at a time, up to the
// first byte that is not plain, so text full of quotes (event.original)
// does not go byte by byte.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			w := s[i : i+8]
			m := special8(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		switch {
		case plain[c]:
			i++
		case c < utf8.RuneSelf:
			b = append(b, s[start:i]...)
			b = appendEscape(b, c)
			i++
			start = i
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				start = i + size
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
				start = i + size
			}
			i += size
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscape appends the escape of an ASCII byte that is not plain.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
