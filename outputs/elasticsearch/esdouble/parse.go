package esdouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// docParser indexes one document against an index's mappings as
// Elasticsearch's DocumentParser does: field by field in document order,
// each value checked against its mapping, unmapped fields mapped
// dynamically. New mappings are collected in added and only become part
// of the index when the whole document parsed (a rejected document adds
// no field).
type docParser struct {
	dec   *json.Decoder
	m     *mappings
	id    string
	added map[string]*field // dotted path → field created by this document
	order []string          // paths of added, in creation order
}

// parseError is a rejection: Elasticsearch's error type and reason.
type parseError struct {
	typ, reason string
}

func (e *parseError) Error() string { return e.reason }

// index parses src against m. On success the document's new fields are
// added to m; on failure m is unchanged and the error says why.
func (m *mappings) index(src []byte, id string) *parseError {
	p := &docParser{dec: json.NewDecoder(bytes.NewReader(src)), m: m, id: id, added: map[string]*field{}}
	p.dec.UseNumber()
	if _, err := p.dec.Token(); err != nil { // the opening '{', checked by the caller
		return p.fail("failed to parse: " + err.Error())
	}
	if err := p.object(m.root, "", m.root.dynamic); err != nil {
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

// fail makes a document_parsing_exception whose reason starts with the
// position of the parser, as Elasticsearch's does ("[1:57] …").
func (p *docParser) fail(reason string) *parseError {
	return &parseError{typ: "document_parsing_exception",
		reason: fmt.Sprintf("[1:%d] %s", p.dec.InputOffset()+1, reason)}
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

// object parses the members of an object whose '{' was read.
func (p *docParser) object(obj *field, path, dynamic string) *parseError {
	if obj.dynamic != "" {
		dynamic = obj.dynamic
	}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.fail("failed to parse: " + err.Error())
		}
		key, _ := tok.(string)
		if key == "" || strings.Trim(key, ".") == "" {
			return p.fail(fmt.Sprintf("field name cannot be an empty string or contain only dots [%s]", key))
		}
		if err := p.member(path, key, dynamic); err != nil {
			return err
		}
	}
	_, err := p.dec.Token() // '}'
	if err != nil {
		return p.fail("failed to parse: " + err.Error())
	}
	return nil
}

// member parses the value of one key; a dotted key ("a.b") is a path
// through objects, as Elasticsearch expands it.
func (p *docParser) member(path, key, dynamic string) *parseError {
	segs := strings.Split(key, ".")
	for _, s := range segs[:len(segs)-1] {
		full := join(path, s)
		f := p.resolve(full)
		if f == nil {
			if dynamic == "strict" {
				return p.strict(path, s)
			}
			if dynamic != "true" {
				return p.skip()
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
	return p.value(join(path, segs[len(segs)-1]), dynamic)
}

// value parses the next value, of the field at path.
func (p *docParser) value(path, dynamic string) *parseError {
	tok, err := p.dec.Token()
	if err != nil {
		return p.fail("failed to parse: " + err.Error())
	}
	f := p.resolve(path)
	if f == nil {
		if tok == nil {
			return nil // a null maps nothing
		}
		switch dynamic {
		case "strict":
			return p.strict(parentOf(path), nameOf(path))
		case "false", "runtime":
			return p.skipRest(tok)
		}
		if d, ok := tok.(json.Delim); ok && d == '[' {
			return p.dynamicArray(path, dynamic)
		}
		f = p.dynamicField(path, tok)
	}
	return p.parseAs(f, path, tok, dynamic)
}

// parseAs checks the value starting with tok against the field f.
func (p *docParser) parseAs(f *field, path string, tok json.Token, dynamic string) *parseError {
	if d, ok := tok.(json.Delim); ok {
		switch {
		case d == '[' && f.typ != "geo_point":
			return p.array(f, path, dynamic)
		case d == '{' && f.isObject():
			return p.object(f, path, dynamic)
		case d == '{' && f.typ == "flattened":
			_, err := p.collect(tok)
			return err
		}
		v, err := p.collect(tok)
		if err != nil {
			return err
		}
		if f.typ == "geo_point" {
			if reason := checkGeoPoint(v); reason != "" {
				return p.fieldError(f, path, reason, v)
			}
			return nil
		}
		return p.fieldError(f, path, "", v)
	}
	if tok == nil {
		return nil
	}
	if f.isObject() {
		return p.fail(fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value",
			path, nameOf(path)))
	}
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

// array parses the elements of an array whose '[' was read: each element
// is a value of the same field.
func (p *docParser) array(f *field, path, dynamic string) *parseError {
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.fail("failed to parse: " + err.Error())
		}
		if err := p.parseAs(f, path, tok, dynamic); err != nil {
			return err
		}
	}
	_, _ = p.dec.Token() // ']'
	return nil
}

// dynamicArray parses an array of an unmapped field: its first non-null
// element decides the mapping, the others must fit it.
func (p *docParser) dynamicArray(path, dynamic string) *parseError {
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.fail("failed to parse: " + err.Error())
		}
		f := p.resolve(path)
		if f == nil {
			if tok == nil {
				continue
			}
			if d, ok := tok.(json.Delim); ok && d == '[' {
				if err := p.dynamicArray(path, dynamic); err != nil {
					return err
				}
				continue
			}
			f = p.dynamicField(path, tok)
		}
		if err := p.parseAs(f, path, tok, dynamic); err != nil {
			return err
		}
	}
	_, _ = p.dec.Token() // ']'
	return nil
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
		"[1:%d] mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed",
		p.dec.InputOffset()+1, name, parent)}
}

// skip consumes the next value without indexing it.
func (p *docParser) skip() *parseError {
	tok, err := p.dec.Token()
	if err != nil {
		return p.fail("failed to parse: " + err.Error())
	}
	return p.skipRest(tok)
}

// skipRest consumes the rest of a value that started with tok.
func (p *docParser) skipRest(tok json.Token) *parseError {
	_, err := p.collect(tok)
	return err
}

// collect reads the rest of a value that started with tok into Go values
// (objects as ordered pairs, for the preview).
func (p *docParser) collect(tok json.Token) (any, *parseError) {
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	var out []any
	var obj []pair
	for p.dec.More() {
		var key string
		if d == '{' {
			k, err := p.dec.Token()
			if err != nil {
				return nil, p.fail("failed to parse: " + err.Error())
			}
			key, _ = k.(string)
		}
		t, err := p.dec.Token()
		if err != nil {
			return nil, p.fail("failed to parse: " + err.Error())
		}
		v, perr := p.collect(t)
		if perr != nil {
			return nil, perr
		}
		if d == '{' {
			obj = append(obj, pair{key, v})
		} else {
			out = append(out, v)
		}
	}
	if _, err := p.dec.Token(); err != nil && err != io.EOF {
		return nil, p.fail("failed to parse: " + err.Error())
	}
	if d == '{' {
		return obj, nil
	}
	return out, nil
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
