package mapping

import (
	"time"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// The leaf compiler turns a step's expression into Go closures over the
// document's value types, for the parts of CEL mapping programs are made
// of: variables, literals, field selection and optional values, the
// conditional and logical operators, equality, type(), the string
// functions, cel.bind and akship's functions. A closure gives up (ok is
// false) on anything unusual, an error, a type it does not expect, and
// the step is then evaluated by cel-go, which gives the exact result; an
// expression with anything else (a comprehension, an arithmetic operator
// it does not know) is left to cel-go entirely. The tests compare every
// document with the reference evaluation.

// lctx is what a closure reads: the record's variables and the bound
// values of the step's scope.
type lctx struct {
	record    any
	tags      any
	collected time.Time
	slots     []any
	locals    []any
	present   []bool
}

// vfn computes a value; ok is false when it gives up.
type vfn func(c *lctx) (v any, ok bool)

// ofn computes an optional value: present says whether it has one.
type ofn func(c *lctx) (v any, present, ok bool)

// celType is the value of type(x) and of type names (string, int, ...).
type celType string

// leafCompiler compiles the expressions of one program.
type leafCompiler struct {
	checked *ast.AST
	e       enrichers
	scope   []binding // the step's bound names, innermost first
	locals  []string  // names bound inside the expression, by local index
	maxLoc  int
}

func (lc *leafCompiler) optional(e ast.Expr) bool {
	t := lc.checked.GetType(e.ID())
	return t != nil && t.Kind() == types.OpaqueKind && t.TypeName() == "optional_type"
}

// value compiles a non-optional expression; nil when it cannot.
func (lc *leafCompiler) value(e ast.Expr) vfn {
	if lc.optional(e) {
		return nil
	}
	switch e.Kind() {
	case ast.LiteralKind:
		var v any
		switch x := e.AsLiteral().(type) {
		case types.String:
			v = string(x)
		case types.Int:
			v = int64(x)
		case types.Double:
			v = float64(x)
		case types.Bool:
			v = bool(x)
		case types.Null:
			v = nil
		default:
			return nil
		}
		return func(*lctx) (any, bool) { return v, true }
	case ast.IdentKind:
		return lc.ident(e)
	case ast.SelectKind:
		s := e.AsSelect()
		x := lc.value(s.Operand())
		if x == nil {
			return nil
		}
		f := s.FieldName()
		if s.IsTestOnly() {
			return func(c *lctx) (any, bool) {
				xv, ok := x(c)
				_, has, isMap := getKey(xv, f)
				if !ok || !isMap {
					return nil, false
				}
				return has, true
			}
		}
		return func(c *lctx) (any, bool) {
			xv, ok := x(c)
			v, has, isMap := getKey(xv, f)
			if !ok || !isMap {
				return nil, false
			}
			return v, has
		}
	case ast.ListKind:
		l := e.AsList()
		if len(l.OptionalIndices()) > 0 {
			return nil
		}
		elems := lc.values(l.Elements())
		if elems == nil {
			return nil
		}
		return func(c *lctx) (any, bool) {
			out := make([]any, len(elems))
			for i, el := range elems {
				v, ok := el(c)
				if !ok {
					return nil, false
				}
				out[i] = v
			}
			return out, true
		}
	case ast.MapKind:
		keys, vals, ok := objectParts(e)
		if !ok {
			return nil
		}
		fns := lc.values(vals)
		if fns == nil {
			return nil
		}
		return func(c *lctx) (any, bool) {
			out := make(map[string]any, len(keys))
			for i, f := range fns {
				v, ok := f(c)
				if !ok {
					return nil, false
				}
				out[keys[i]] = v
			}
			return out, true
		}
	case ast.ComprehensionKind:
		return lc.bind(e)
	case ast.CallKind:
		return lc.call(e)
	}
	return nil
}

func (lc *leafCompiler) values(es []ast.Expr) []vfn {
	out := make([]vfn, len(es))
	for i, e := range es {
		if out[i] = lc.value(e); out[i] == nil {
			return nil
		}
	}
	return out
}

// ident reads a variable: a local, a bound name, an input, a type name.
func (lc *leafCompiler) ident(e ast.Expr) vfn {
	name := e.AsIdent()
	for i := len(lc.locals) - 1; i >= 0; i-- {
		if lc.locals[i] == name {
			return func(c *lctx) (any, bool) { return c.locals[i], true }
		}
	}
	for _, b := range lc.scope {
		if b.name == name {
			slot := b.slot
			return func(c *lctx) (any, bool) { return plain(c.slots[slot]) }
		}
	}
	switch name {
	case "record":
		return func(c *lctx) (any, bool) { return c.record, true }
	case "tags":
		return func(c *lctx) (any, bool) { return c.tags, true }
	case "collected":
		return func(c *lctx) (any, bool) { return c.collected, true }
	}
	if t := lc.checked.GetType(e.ID()); t != nil && t.Kind() == types.TypeKind && len(t.Parameters()) == 1 {
		var v any = celType(t.Parameters()[0].TypeName()) // boxed once
		return func(*lctx) (any, bool) { return v, true }
	}
	return nil
}

// plain turns a slot's value into a document value; optional values and
// errors make the closure give up.
func plain(v any) (any, bool) {
	switch x := v.(type) {
	case *types.Optional, *types.Err:
		return nil, false
	case ref.Val:
		return toNative(x), true
	}
	return v, true
}
