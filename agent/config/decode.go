// Package config loads akship's YAML configuration strictly: unknown keys,
// wrong types and invalid values are errors that name the key, the file and
// the line. It also provides the Secret type and ${ENV} expansion.
package config

import (
	"encoding"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decoder decodes YAML nodes into configuration structs.
//
// Struct fields are matched by their `yaml:"name"` tag (fields without a tag
// are not configurable; `yaml:",inline"` flattens an embedded struct). Scalars
// go through ${ENV} expansion before conversion. time.Duration accepts Go
// duration strings ("30s", "5m"). Types implementing encoding.TextUnmarshaler
// decode from the scalar text. When everything decoded, the Validate method
// of every section (if it has one) runs, deepest first, and its problems are
// reported at the values they name.
type Decoder struct {
	// File is the name used in error messages.
	File string
	// Env looks up environment variables for ${NAME} expansion. Nil means
	// no variable is defined.
	Env func(string) (string, bool)

	errs []error
}

// Defaulter is implemented by optional sections (held by pointer, such as
// one output among several): when the YAML names the section, the decoder
// allocates it and calls SetDefaults before decoding the keys given.
type Defaulter interface {
	SetDefaults()
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	validatorType       = reflect.TypeFor[Validator]()
	defaulterType       = reflect.TypeFor[Defaulter]()
)

// Decode decodes node into out, which must be a non-nil pointer, and returns
// every problem found joined together (nil if none). Values already in out
// that the YAML does not mention are kept, so callers pre-fill defaults.
func (d *Decoder) Decode(node *yaml.Node, out any) error {
	d.errs = nil
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("config.Decode needs a non-nil pointer, got %T", out)
	}
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	d.value(node, "", v.Elem())
	if len(d.errs) == 0 {
		// Validate only what decoded cleanly, but every section, including
		// those the file leaves out (they may be required).
		d.validateTree(node, node, "", v.Elem())
	}
	return errors.Join(d.errs...)
}

func (d *Decoder) fail(n *yaml.Node, path string, format string, args ...any) {
	e := &LocatedError{File: d.File, Path: path, Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func join(path, key string) string {
	if key == "" {
		return path
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// value decodes n into v (addressable) and validates it.
func (d *Decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		// "key:" with nothing after it keeps the default. For an optional
		// section with defaults (a nil pointer to a Defaulter, such as
		// "output: {file: }") naming it is enough to enable it with them.
		if v.Kind() == reflect.Pointer && v.IsNil() && v.Type().Implements(defaulterType) {
			v.Set(reflect.New(v.Type().Elem()))
			v.Interface().(Defaulter).SetDefaults()
		}
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			if d, ok := v.Interface().(Defaulter); ok {
				d.SetDefaults()
			}
		}
		d.value(n, path, v.Elem())
		return
	}
	if v.Addr().Type().Implements(textUnmarshalerType) {
		d.text(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		d.anything(n, path, v)
	case reflect.Struct:
		d.structure(n, path, v)
	case reflect.Map:
		d.mapping(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	default:
		d.scalar(n, path, v)
	}
}

func (d *Decoder) text(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalarText(n, path)
	if !ok {
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		d.fail(n, path, "%v", err)
	}
}

func (d *Decoder) scalarText(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a single value, got %s", kindName(n))
		return "", false
	}
	s, err := Expand(n.Value, d.Env)
	if err != nil {
		d.fail(n, path, "%v", err)
		return "", false
	}
	return s, true
}

func (d *Decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of keys, got %s", kindName(n))
		return
	}
	fields := structFields(v)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		kp := join(path, key)
		if seen[key] {
			d.fail(k, kp, "key given twice")
			continue
		}
		seen[key] = true
		f, ok := fields[key]
		if !ok {
			d.fail(k, kp, "unknown key%s", suggest(key, fields))
			continue
		}
		d.value(val, kp, f)
	}
}

// yamlKey is a configurable struct field: its index, its YAML key, and
// whether it is inlined.
type yamlKey struct {
	index  int
	name   string
	inline bool
}

// yamlFields yields the configurable fields of struct type t in order: those
// exported and tagged yaml, but not "-". A tag without a name keys the
// field by its lower-cased name.
func yamlFields(t reflect.Type) iter.Seq[yamlKey] {
	return func(yield func(yamlKey) bool) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag, tagged := sf.Tag.Lookup("yaml")
			if !tagged || tag == "-" || !sf.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			if !yield(yamlKey{index: i, name: name, inline: strings.Contains(opts, "inline")}) {
				return
			}
		}
	}
}

// structFields maps YAML keys to the settable fields of v, descending into
// inline structs.
func structFields(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for f := range yamlFields(v.Type()) {
		fv := v.Field(f.index)
		if !f.inline {
			out[f.name] = fv
			continue
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				fv.Set(reflect.New(fv.Type().Elem()))
			}
			fv = fv.Elem()
		}
		maps.Copy(out, structFields(fv))
	}
	return out
}

func (d *Decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of keys, got %s", kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "unsupported map key type %s", v.Type().Key())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		// yaml.v3 does not reject duplicate keys when parsing into nodes;
		// the second would silently replace the first.
		if seen[k.Value] {
			d.fail(k, join(path, k.Value), "key given twice")
			continue
		}
		seen[k.Value] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key())); old.IsValid() {
			elem.Set(old)
		}
		d.value(val, join(path, k.Value), elem)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *Decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, fmt.Sprintf("%s.%d", path, i), s.Index(i))
	}
	v.Set(s)
}

func (d *Decoder) scalar(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalarText(n, path)
	if !ok {
		return
	}
	if v.Type() == durationType {
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.fail(n, path, "%q is not a duration (use a number with a unit, e.g. 30s, 5m, 24h)", s)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			d.fail(n, path, "%q is not a boolean (use true or false)", s)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, path, "%q is not a whole number", s)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, path, "%q is not a non-negative whole number", s)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil || math.IsNaN(f) {
			d.fail(n, path, "%q is not a number", s)
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, path, "unsupported setting type %s", v.Type())
	}
}

// anything decodes a free-form value (an `any` field or map value) as
// YAML types it: nested mappings and lists included, which the scalar path
// refused. A scalar whose ${ENV} references were expanded stays text.
func (d *Decoder) anything(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.scalarText(n, path)
		if !ok {
			return
		}
		if s != n.Value {
			d.setAny(n, path, v, s)
			return
		}
	}
	var x any
	if err := n.Decode(&x); err != nil {
		d.fail(n, path, "%v", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	if x != nil {
		d.setAny(n, path, v, x)
	}
}

func (d *Decoder) setAny(n *yaml.Node, path string, v reflect.Value, x any) {
	if xv := reflect.ValueOf(x); xv.Type().AssignableTo(v.Type()) {
		v.Set(xv)
		return
	}
	d.fail(n, path, "unsupported setting type %s", v.Type())
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}
