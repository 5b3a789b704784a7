package esdouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// invalidIndexName returns Elasticsearch's reason for refusing an index or
// data stream name, or "" when the name is valid.
func invalidIndexName(name string) string {
	prefix := "Invalid index name [" + name + "], "
	switch {
	case name == "":
		return prefix + "must not be empty"
	case strings.ToLower(name) != name:
		return prefix + "must be lowercase"
	case strings.ContainsAny(name, `\/*?"<>| ,#`):
		return prefix + `must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]`
	case strings.Contains(name, ":"):
		return prefix + "must not contain ':'"
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return prefix + "must not start with '_', '-', or '+'"
	case name == "." || name == "..":
		return prefix + "must not be '.' or '..'"
	case len(name) > 255:
		return prefix + "index name is too long, (" + fmt.Sprint(len(name)) + " > 255)"
	}
	return ""
}

// match reports whether name matches pattern, where "*" matches any run
// of characters (Elasticsearch's Regex.simpleMatch): index patterns,
// dynamic templates' match and path_match.
func match(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// hasTopLevelKey reports whether the JSON object src (already validated)
// has the key at its top level, without decoding it.
func hasTopLevelKey(src []byte, key string) bool {
	depth, expectKey := 0, false
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '{':
			depth++
			expectKey = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			end := i + 1
			for end < len(src) && src[end] != '"' {
				if src[end] == '\\' {
					end++
				}
				end++
			}
			if depth == 1 && expectKey {
				if string(src[i+1:min(end, len(src))]) == key {
					return true
				}
				expectKey = false
			}
			i = end
		}
	}
	return false
}

// violation returns the mapper_parsing_exception reason when the document
// breaks the rule, or "".
func (m *MappingRule) violation(src []byte, id string) string {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return ""
	}
	v, ok := lookup(doc, m.Field)
	if !ok || jsonType(v) != m.JSONType {
		return ""
	}
	preview, _ := json.Marshal(v)
	mapped := m.MappedAs
	if mapped == "" {
		mapped = "keyword"
	}
	return fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		m.Field, mapped, id, preview)
}

// lookup finds a dotted path through nested objects and dotted keys.
func lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		if sub, ok := m[path[:i]].(map[string]any); ok {
			if v, ok := lookup(sub, path[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return ""
}
