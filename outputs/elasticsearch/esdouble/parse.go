package esdouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// docParser indexes one document against an index's mappings as
// Elasticsearch's DocumentParser does: field by field in document order,
// each value checked against its mapping, unmapped fields mapped
// dynamically. New mappings are collected in added and only become part
// of the index when the whole document parsed (a rejected document adds
// no field).
type docParser struct {
	src   []byte
	m     *mappings
	id    string
	added map[string]*field // dotted path → field created by this document
	order []string          // paths of added, in creation order
	key   string            // the key being parsed, for the position in messages
}

// parseError is a rejection: Elasticsearch's error type and reason.
type parseError struct {
	typ, reason string
}

func (e *parseError) Error() string { return e.reason }

// parsers recycles the JSON parsers: a document's values are walked once
// and dropped before the parser is returned.
var parsers fastjson.ParserPool

// index parses src against m. On success the document's new fields are
// added to m; on failure m is unchanged and the error says why.
func (m *mappings) index(src []byte, id string) *parseError {
	p := &docParser{src: src, m: m, id: id, added: map[string]*field{}}
	pa := parsers.Get()
	defer parsers.Put(pa)
	v, err := pa.ParseBytes(src)
	if err != nil {
		return p.fail("failed to parse: " + err.Error())
	}
	obj, err := v.Object()
	if err != nil {
		return p.fail("failed to parse: the document is not an object")
	}
	if err := p.object(m.root, "", m.root.dynamic, obj); err != nil {
		return err
	}
	newFields := 0
	for _, path := range p.order {
		newFields += 1 + len(p.added[path].fields)
	}
	if newFields > 0 && m.fieldCount+newFields > m.fieldLimit {
		return p.fail(fmt.Sprintf("Limit of total fields [%d] has been exceeded while adding new fields [%d]",
			m.fieldLimit, newFields))
	}
	for _, path := range p.order {
		parent, name := m.root, path
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			parent, name = m.lookup(path[:i]), path[i+1:]
		}
		parent.props[name] = p.added[path]
	}
	m.fieldCount += newFields
	return nil
}

// fail makes a document_parsing_exception whose reason starts with a
// position, as Elasticsearch's does ("[1:57] …"). The column is just after
// the first occurrence of the key being parsed (Elasticsearch reports the
// parser's position after the value): close, not exact.
func (p *docParser) fail(reason string) *parseError {
	return &parseError{typ: "document_parsing_exception", reason: fmt.Sprintf("[1:%d] %s", p.column(), reason)}
}

// column finds the key being parsed in the source.
func (p *docParser) column() int {
	if i := bytes.Index(p.src, []byte(`"`+p.key+`"`)); i >= 0 {
		return i + len(p.key) + 3
	}
	return 1
}

// resolve returns the field at path: created by this document, or mapped.
func (p *docParser) resolve(path string) *field {
	if f := p.added[path]; f != nil {
		return f
	}
	return p.m.lookup(path)
}

// add records a field this document maps dynamically.
func (p *docParser) add(path string, f *field) {
	p.added[path] = f
	p.order = append(p.order, path)
}

// object parses the members of an object, in document order.
func (p *docParser) object(obj *field, path, dynamic string, o *fastjson.Object) *parseError {
	if obj.dynamic != "" {
		dynamic = obj.dynamic
	}
	var perr *parseError
	o.Visit(func(k []byte, v *fastjson.Value) {
		if perr != nil {
			return
		}
		key := string(k)
		p.key = key
		if key == "" || strings.Trim(key, ".") == "" {
			perr = p.fail(fmt.Sprintf("field name cannot be an empty string or contain only dots [%s]", key))
			return
		}
		perr = p.member(path, key, dynamic, v)
	})
	return perr
}

// member parses the value of one key; a dotted key ("a.b") is a path
// through objects, as Elasticsearch expands it.
func (p *docParser) member(path, key, dynamic string, v *fastjson.Value) *parseError {
	if strings.IndexByte(key, '.') < 0 {
		return p.value(join(path, key), dynamic, v)
	}
	segs := strings.Split(key, ".")
	for _, s := range segs[:len(segs)-1] {
		full := join(path, s)
		f := p.resolve(full)
		if f == nil {
			if dynamic == "strict" {
				return p.strict(path, s)
			}
			if dynamic != "true" {
				return nil // kept in _source only
			}
			f = &field{typ: "object", props: map[string]*field{}}
			p.add(full, f)
		} else if !f.isObject() {
			return p.fail(fmt.Sprintf("Could not dynamically add mapping for field [%s]. Existing mapping for [%s] "+
				"must be of type object but found [%s].", join(path, key), full, f.typ))
		} else if f.dynamic != "" {
			dynamic = f.dynamic
		}
		path = full
	}
	return p.value(join(path, segs[len(segs)-1]), dynamic, v)
}

// value parses v, the value of the field at path.
func (p *docParser) value(path, dynamic string, v *fastjson.Value) *parseError {
	f := p.resolve(path)
	if f == nil {
		switch {
		case v.Type() == fastjson.TypeNull:
			return nil // a null maps nothing
		case dynamic == "strict":
			return p.strict(parentOf(path), nameOf(path))
		case dynamic == "false" || dynamic == "runtime":
			return nil
		case v.Type() == fastjson.TypeArray:
			return p.dynamicArray(path, dynamic, v)
		}
		f = p.dynamicField(path, tokenOf(v))
	}
	return p.parseAs(f, path, v, dynamic)
}

// parseAs checks the value v against the field f.
func (p *docParser) parseAs(f *field, path string, v *fastjson.Value, dynamic string) *parseError {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeArray:
		if f.typ != "geo_point" {
			for _, e := range v.GetArray() {
				if err := p.parseAs(f, path, e, dynamic); err != nil {
					return err
				}
			}
			return nil
		}
	case fastjson.TypeObject:
		switch {
		case f.isObject():
			o, _ := v.Object()
			return p.object(f, path, dynamic, o)
		case f.typ == "flattened":
			return nil
		case f.typ != "geo_point":
			return p.fieldError(f, path, "", toGo(v))
		}
	}
	if f.typ == "geo_point" && (v.Type() == fastjson.TypeObject || v.Type() == fastjson.TypeArray) {
		if reason := checkGeoPoint(toGo(v)); reason != "" {
			return p.fieldError(f, path, reason, toGo(v))
		}
		return nil
	}
	if f.isObject() {
		return p.fail(fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value",
			path, nameOf(path)))
	}
	tok := tokenOf(v)
	if reason := checkValue(f, path, tok); reason != "" {
		return p.fieldError(f, path, reason, tok)
	}
	for name, sub := range f.fields {
		if reason := checkValue(sub, path+"."+name, tok); reason != "" {
			return p.fieldError(sub, path+"."+name, reason, tok)
		}
	}
	return nil
}

// dynamicArray parses an array of an unmapped field: its first non-null
// element decides the mapping, the others must fit it.
func (p *docParser) dynamicArray(path, dynamic string, v *fastjson.Value) *parseError {
	for _, e := range v.GetArray() {
		f := p.resolve(path)
		if f == nil {
			switch e.Type() {
			case fastjson.TypeNull:
				continue
			case fastjson.TypeArray:
				if err := p.dynamicArray(path, dynamic, e); err != nil {
					return err
				}
				continue
			}
			f = p.dynamicField(path, tokenOf(e))
		}
		if err := p.parseAs(f, path, e, dynamic); err != nil {
			return err
		}
	}
	return nil
}

// tokenOf gives a scalar as encoding/json's tokens (string, json.Number,
// bool, nil), an object or array as its opening delimiter.
func tokenOf(v *fastjson.Value) json.Token {
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		return json.Number(v.MarshalTo(nil))
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeObject:
		return json.Delim('{')
	case fastjson.TypeArray:
		return json.Delim('[')
	}
	return nil
}

// toGo converts a value for previews: objects as ordered pairs.
func toGo(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		var out []pair
		o.Visit(func(k []byte, e *fastjson.Value) { out = append(out, pair{string(k), toGo(e)}) })
		return out
	case fastjson.TypeArray:
		var out []any
		for _, e := range v.GetArray() {
			out = append(out, toGo(e))
		}
		return out
	}
	return tokenOf(v)
}

// fieldError words a value the field cannot take as Elasticsearch does.
func (p *docParser) fieldError(f *field, path, reason string, v any) *parseError {
	msg := fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		path, f.typ, p.id, preview(v))
	if f.typ == "date" {
		msg = fmt.Sprintf("failed to parse field [%s] of type [date] in document with id '%s'. Preview of field's value: '%s'",
			path, p.id, preview(v))
	}
	if reason != "" {
		msg += " (caused by: " + reason + ")"
	}
	return p.fail(msg)
}

func (p *docParser) strict(parent, name string) *parseError {
	if parent == "" {
		parent = "_doc"
	}
	return &parseError{typ: "strict_dynamic_mapping_exception", reason: fmt.Sprintf(
		"[1:%d] mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", p.column(), name, parent)}
}

// pair is one member of a collected object.
type pair struct {
	key string
	val any
}

// preview renders a value as Elasticsearch's "Preview of field's value"
// does: Java's toString of the parsed map or list.
func preview(v any) string {
	switch x := v.(type) {
	case []pair:
		parts := make([]string, len(x))
		for i, kv := range x {
			parts[i] = kv.key + "=" + preview(kv.val)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = preview(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func parentOf(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func nameOf(path string) string { return path[strings.LastIndexByte(path, '.')+1:] }
