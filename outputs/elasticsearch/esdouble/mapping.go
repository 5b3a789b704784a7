package esdouble

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// field is one node of an index's mapping: a leaf field (keyword, long,
// ip, …) with its parameters, or an object with its properties.
type field struct {
	typ         string // "object" for objects; nested is kept as "nested"
	ignoreAbove int
	value       any               // constant_keyword's value; nil until set
	coerce      bool              // numeric coercion (true unless "coerce": false)
	dynamic     string            // objects: "true", "false", "strict", "runtime"; "" inherits
	props       map[string]*field // objects
	fields      map[string]*field // multi-fields of a leaf
}

// isObject reports whether the field holds sub-fields.
func (f *field) isObject() bool { return f.typ == "object" || f.typ == "nested" }

// count is the number of fields the node adds to the index's total field
// count: itself, its multi-fields and, for objects, everything below.
func (f *field) count() int {
	n := 1 + len(f.fields)
	for _, p := range f.props {
		n += p.count()
	}
	return n
}

// dynamicTemplate is one entry of "dynamic_templates".
type dynamicTemplate struct {
	name                   string
	matchType              []string // match_mapping_type; empty = any
	match, unmatch         []string
	pathMatch, pathUnmatch []string
	regex                  bool // match_pattern: regex
	mapping                map[string]any
}

// mappings is an index's mapping: the root object, its dynamic templates
// and detection settings, and the total fields limit of its settings.
type mappings struct {
	root             *field
	templates        []dynamicTemplate
	dateDetection    bool
	numericDetection bool
	fieldLimit       int
	fieldCount       int
}

// newMappings returns an empty mapping with Elasticsearch's defaults:
// dynamic mapping on, date_detection on, numeric_detection off and at
// most 1000 fields (index.mapping.total_fields.limit).
func newMappings() *mappings {
	return &mappings{root: &field{typ: "object", dynamic: "true", props: map[string]*field{}},
		dateDetection: true, fieldLimit: 1000}
}

// rawMappings is the JSON of a "mappings" object.
type rawMappings struct {
	Dynamic          any                         `json:"dynamic"`
	DateDetection    *bool                       `json:"date_detection"`
	NumericDetection *bool                       `json:"numeric_detection"`
	DynamicTemplates []map[string]map[string]any `json:"dynamic_templates"`
	Properties       map[string]map[string]any   `json:"properties"`
}

// merge applies one template's "mappings" on top of m, as Elasticsearch
// composes an index template from its component templates in order:
// properties merge field by field, a dynamic template replaces the one of
// the same name or is appended, settings given later win.
func (m *mappings) merge(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var r rawMappings
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.Dynamic != nil {
		m.root.dynamic = dynamicValue(r.Dynamic)
	}
	if r.DateDetection != nil {
		m.dateDetection = *r.DateDetection
	}
	if r.NumericDetection != nil {
		m.numericDetection = *r.NumericDetection
	}
	for _, entry := range r.DynamicTemplates {
		for name, body := range entry {
			dt := parseDynamicTemplate(name, body)
			if i := slices.IndexFunc(m.templates, func(t dynamicTemplate) bool { return t.name == name }); i >= 0 {
				m.templates[i] = dt
			} else {
				m.templates = append(m.templates, dt)
			}
		}
	}
	for name, def := range r.Properties {
		m.define(name, def)
	}
	m.fieldCount = m.root.count() - 1
	return nil
}

// define adds or updates the field at a (possibly dotted) path.
func (m *mappings) define(path string, def map[string]any) { defineIn(m.root, path, def) }

// defineIn adds or updates the field at a dotted path below obj, creating
// the objects on the way.
func defineIn(obj *field, path string, def map[string]any) {
	segs := strings.Split(path, ".")
	for _, s := range segs[:len(segs)-1] {
		next := obj.props[s]
		if next == nil || !next.isObject() {
			next = &field{typ: "object", props: map[string]*field{}}
			obj.props[s] = next
		}
		obj = next
	}
	name := segs[len(segs)-1]
	obj.props[name] = mergeField(obj.props[name], def)
}

// mergeField builds a field from its JSON definition, keeping the
// properties an object already had.
func mergeField(old *field, def map[string]any) *field {
	typ, _ := def["type"].(string)
	props, hasProps := def["properties"].(map[string]any)
	if typ == "" && (hasProps || def["dynamic"] != nil || old == nil || old.isObject()) {
		typ = "object"
	}
	f := &field{typ: typ, coerce: true}
	if f.isObject() {
		f.props = map[string]*field{}
		if old != nil && old.isObject() {
			f.props, f.dynamic = old.props, old.dynamic
		}
		if d, ok := def["dynamic"]; ok {
			f.dynamic = dynamicValue(d)
		}
		for name, sub := range props {
			if subDef, ok := sub.(map[string]any); ok {
				defineIn(f, name, subDef)
			}
		}
		return f
	}
	f.ignoreAbove = intParam(def["ignore_above"])
	f.value = def["value"]
	if c, ok := def["coerce"].(bool); ok {
		f.coerce = c
	}
	if multi, ok := def["fields"].(map[string]any); ok {
		f.fields = map[string]*field{}
		for name, sub := range multi {
			if subDef, ok := sub.(map[string]any); ok {
				f.fields[name] = mergeField(nil, subDef)
			}
		}
	}
	return f
}

// dynamicValue reads a "dynamic" parameter: a boolean or a string.
func dynamicValue(v any) string {
	switch d := v.(type) {
	case bool:
		return strconv.FormatBool(d)
	case string:
		return d
	}
	return ""
}

// intParam reads a numeric mapping parameter given as a number or string.
func intParam(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

func parseDynamicTemplate(name string, body map[string]any) dynamicTemplate {
	dt := dynamicTemplate{name: name, regex: body["match_pattern"] == "regex"}
	dt.matchType = stringList(body["match_mapping_type"])
	dt.match = stringList(body["match"])
	dt.unmatch = stringList(body["unmatch"])
	dt.pathMatch = stringList(body["path_match"])
	dt.pathUnmatch = stringList(body["path_unmatch"])
	dt.mapping, _ = body["mapping"].(map[string]any)
	return dt
}

// stringList reads a parameter that is a string or a list of strings.
func stringList(v any) []string {
	switch s := v.(type) {
	case string:
		return []string{s}
	case []any:
		var out []string
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

// lookup returns the field at a dotted path, or nil.
func (m *mappings) lookup(path string) *field {
	f := m.root
	for s := range strings.SplitSeq(path, ".") {
		if f == nil || !f.isObject() {
			return nil
		}
		f = f.props[s]
	}
	return f
}

// settingsLimit reads index.mapping.total_fields.limit from a settings
// object (nested or dotted keys); 0 when absent.
func settingsLimit(raw json.RawMessage) int {
	var s map[string]any
	if json.Unmarshal(raw, &s) != nil {
		return 0
	}
	flat := map[string]any{}
	flattenSettings("", s, flat)
	for _, k := range []string{"index.mapping.total_fields.limit", "mapping.total_fields.limit"} {
		if n := intParam(flat[k]); n > 0 {
			return n
		}
	}
	return 0
}

func flattenSettings(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flattenSettings(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = v
	}
}
