package tracer

import (
	"encoding/json"
	"strings"
)

// jsonFrame is an object or array the JSON scanner is inside.
type jsonFrame struct {
	object bool
	// wantKey is set in an object where the next string is a key.
	wantKey bool
	// key is the last key read, as written (quoted).
	key string
}

// looksLikeJSON reports whether text starts like a JSON object or array
// (NDJSON included).
func looksLikeJSON(text string) bool {
	t := strings.TrimLeft(text, " \t\r\n")
	return t != "" && (t[0] == '{' || t[0] == '[')
}

// redactJSON replaces the values of credential keys in JSON text — one
// document or NDJSON, whole or cut short at the body cap — and keeps every
// other byte as it was. A value under a credential key is replaced whole,
// however deep it goes (an object under "token" disappears entirely); null
// and "" are kept, as they hold nothing. The scanner is tolerant rather
// than validating: a body cut inside a redacted value ends with the marker,
// never with the start of the secret.
func redactJSON(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	var stack []jsonFrame
	top := func() *jsonFrame {
		if len(stack) == 0 {
			return nil
		}
		return &stack[len(stack)-1]
	}
	pending := false // the next value belongs to a credential key
	hidden := 0      // depth inside a redacted object or array
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '"':
			end := stringEnd(text, i)
			s := text[i:end]
			i = end
			if hidden > 0 {
				continue
			}
			if f := top(); f != nil && f.object && f.wantKey {
				f.key = s
				b.WriteString(s)
				continue
			}
			b.WriteString(jsonValue(s, pending))
			pending = false
		case c == ':':
			i++
			if hidden > 0 {
				continue
			}
			if f := top(); f != nil && f.object {
				f.wantKey = false
				pending = secretJSONKey.MatchString(unquote(f.key))
			}
			b.WriteByte(c)
		case c == '{' || c == '[':
			i++
			switch {
			case hidden > 0:
				hidden++
			case pending:
				b.WriteString(`"` + redacted + `"`)
				hidden, pending = 1, false
			default:
				stack = append(stack, jsonFrame{object: c == '{', wantKey: c == '{'})
				b.WriteByte(c)
			}
		case c == '}' || c == ']':
			i++
			if hidden > 0 {
				hidden--
				continue
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			b.WriteByte(c)
		case c == ',':
			i++
			if hidden > 0 {
				continue
			}
			if f := top(); f != nil && f.object {
				f.wantKey = true
			}
			pending = false
			b.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			if hidden == 0 {
				b.WriteByte(c)
			}
		default: // a number, true, false, null, or stray text
			end := scalarEnd(text, i)
			s := text[i:end]
			i = end
			if hidden == 0 {
				b.WriteString(jsonValue(s, pending))
				pending = false
			}
		}
	}
	return b.String()
}

// jsonValue returns a scalar as written, or the redaction marker when it
// belongs to a credential key and holds something.
func jsonValue(s string, hide bool) string {
	if !hide || s == "null" || s == `""` {
		return s
	}
	return `"` + redacted + `"`
}

// stringEnd returns the index just after the string starting at text[i]
// (a quote), or len(text) when it is not terminated.
func stringEnd(text string, i int) int {
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(text)
}

// scalarEnd returns the index just after the unquoted token at text[i].
func scalarEnd(text string, i int) int {
	j := i + 1
	for j < len(text) && !strings.ContainsRune(",:{}[]\" \t\r\n", rune(text[j])) {
		j++
	}
	return j
}

// unquote decodes a quoted key ("pass\u0077ord" is a password too); a key
// cut short is used as written.
func unquote(quoted string) string {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err == nil {
		return s
	}
	return strings.Trim(quoted, `"`)
}
