package esdouble

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// dynamicField maps the unmapped field at path from its first value tok
// (not null, not an array), as Elasticsearch's dynamic mapping does: the
// JSON type (with date_detection and numeric_detection for strings) is
// matched against the dynamic templates in order, the first match gives
// the mapping; without a match the defaults apply (string → text with a
// keyword multi-field ignoring values above 256 characters, integer →
// long, fraction → float, boolean, object).
func (p *docParser) dynamicField(path string, tok json.Token) *field {
	kind := dynamicKind(tok, p.m.dateDetection, p.m.numericDetection)
	for _, dt := range p.m.templates {
		if dt.matches(path, kind) {
			f := mergeField(nil, dt.resolved(nameOf(path), kind))
			if d, ok := tok.(json.Delim); ok && d == '{' && !f.isObject() && f.typ != "flattened" && f.typ != "geo_point" {
				continue // a leaf template does not take an object
			}
			p.add(path, f)
			return f
		}
	}
	f := defaultDynamic(kind)
	p.add(path, f)
	return f
}

// dynamicKind is the match_mapping_type of a value: object, string, date,
// long, double or boolean.
func dynamicKind(tok json.Token, dateDetection, numericDetection bool) string {
	switch t := tok.(type) {
	case json.Delim:
		return "object"
	case bool:
		return "boolean"
	case json.Number:
		if isIntegral(string(t)) {
			return "long"
		}
		return "double"
	case string:
		if dateDetection && isDynamicDate(t) {
			return "date"
		}
		if numericDetection {
			if _, err := strconv.ParseInt(t, 10, 64); err == nil {
				return "long"
			}
			if _, err := strconv.ParseFloat(t, 64); err == nil {
				return "double"
			}
		}
	}
	return "string"
}

// defaultDynamic is the mapping Elasticsearch gives a new field without a
// matching dynamic template.
func defaultDynamic(kind string) *field {
	switch kind {
	case "object":
		return &field{typ: "object", props: map[string]*field{}}
	case "string":
		return &field{typ: "text", coerce: true, fields: map[string]*field{
			"keyword": {typ: "keyword", ignoreAbove: 256, coerce: true}}}
	case "double":
		return &field{typ: "float", coerce: true}
	}
	return &field{typ: kind, coerce: true}
}

// matches reports whether the template applies to the field at path whose
// value is of the given kind.
func (dt dynamicTemplate) matches(path, kind string) bool {
	if len(dt.matchType) > 0 && !slices.Contains(dt.matchType, "*") && !slices.Contains(dt.matchType, kind) {
		return false
	}
	name := nameOf(path)
	if len(dt.match) > 0 && !slices.ContainsFunc(dt.match, func(p string) bool { return dt.nameMatch(p, name) }) {
		return false
	}
	if slices.ContainsFunc(dt.unmatch, func(p string) bool { return dt.nameMatch(p, name) }) {
		return false
	}
	if len(dt.pathMatch) > 0 && !slices.ContainsFunc(dt.pathMatch, func(p string) bool { return match(p, path) }) {
		return false
	}
	return !slices.ContainsFunc(dt.pathUnmatch, func(p string) bool { return match(p, path) })
}

func (dt dynamicTemplate) nameMatch(pattern, name string) bool {
	if dt.regex {
		re, err := regexp.Compile(pattern)
		return err == nil && re.MatchString(name)
	}
	return match(pattern, name)
}

// resolved returns the template's mapping with {name} and {dynamic_type}
// replaced; without a type, the value's own kind decides.
func (dt dynamicTemplate) resolved(name, kind string) map[string]any {
	dynType := kind
	if kind == "double" {
		dynType = "float"
	}
	if kind == "string" {
		dynType = "text"
	}
	out := substitute(dt.mapping, name, dynType).(map[string]any)
	if _, ok := out["type"]; !ok && kind != "object" {
		out["type"] = dynType
	}
	return out
}

func substitute(v any, name, dynType string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substitute(e, name, dynType)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, name, dynType)
		}
		return out
	case string:
		return strings.NewReplacer("{name}", name, "{dynamic_type}", dynType).Replace(x)
	case nil:
		return map[string]any{}
	}
	return v
}
