package config

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// validateTree calls Validate on v and every section below it, deepest
// first, locating each problem at its key in n when the file has it (n is
// nil for a section the file leaves out; at is then the nearest section the
// file has). Sections are struct fields, map values and list items.
func (d *Decoder) validateTree(n, at *yaml.Node, path string, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Map:
		d.validateMap(n, at, path, v)
		return
	case reflect.Slice:
		if !mayValidate(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			var c *yaml.Node
			if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				c = n.Content[i]
			}
			d.validateTree(c, cmp.Or(c, at), fmt.Sprintf("%s.%d", path, i), v.Index(i))
		}
		return
	case reflect.Struct:
	default:
		return
	}
	for f := range yamlFields(v.Type()) {
		if f.inline {
			d.validateTree(n, at, path, v.Field(f.index))
			continue
		}
		c := child(n, f.name)
		d.validateTree(c, cmp.Or(c, at), join(path, f.name), v.Field(f.index))
	}
	d.validate(n, at, path, v)
}

// validateMap validates the values of a map section (such as named inputs)
// in key order, so the errors come out in a stable order.
func (d *Decoder) validateMap(n, at *yaml.Node, path string, v reflect.Value) {
	if !mayValidate(v.Type().Elem()) {
		return
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range keys {
		c := child(n, k.String())
		elem := v.MapIndex(k)
		if elem.Kind() == reflect.Pointer {
			d.validateTree(c, cmp.Or(c, at), join(path, k.String()), elem)
			continue
		}
		// Map values are not addressable: validate a copy and store it
		// back, in case Validate normalises what it checks.
		cp := reflect.New(elem.Type()).Elem()
		cp.Set(elem)
		d.validateTree(c, cmp.Or(c, at), join(path, k.String()), cp)
		v.SetMapIndex(k, cp)
	}
}

// mayValidate reports whether values of type t can hold a section.
func mayValidate(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return mayValidate(t.Elem())
	case reflect.Struct:
		return true
	}
	return false
}

// child returns the value node of key in mapping n, or nil when n lacks it.
func child(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return nil
}

func (d *Decoder) validate(n, at *yaml.Node, path string, v reflect.Value) {
	if !v.Addr().Type().Implements(validatorType) {
		return
	}
	err := v.Addr().Interface().(Validator).Validate()
	for _, e := range Errors(err) {
		loc, key := at, ""
		var fe *FieldError
		if errors.As(e, &fe) {
			key, e = fe.Key, fe.Err
			if n != nil {
				loc, _ = walk(n, fe.Key)
			}
		}
		le := &LocatedError{File: d.File, Path: join(path, key), Err: e}
		if loc != nil {
			le.Line, le.Column = loc.Line, loc.Column
		}
		d.errs = append(d.errs, le)
	}
}

// walk follows the dot-separated key from n, through mappings by key and
// sequences by index. It returns the node the key names and true, or the
// deepest node on the way and false when the file does not write the whole
// key (a missing required key is reported where its section starts).
func walk(n *yaml.Node, key string) (*yaml.Node, bool) {
	for rest := key; rest != ""; {
		var head string
		head, rest, _ = strings.Cut(rest, ".")
		next := step(n, head)
		if next == nil {
			return n, false
		}
		n = next
	}
	return n, true
}

// step returns the value of key in mapping n, or the element it numbers in
// sequence n; nil when there is none.
func step(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.SequenceNode {
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
		return nil
	}
	return child(n, key)
}
