package mapping

import (
	"slices"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Recognising a program's document shape, and what in it does not
// depend on the record.

// cloneSet copies a set of names.
func cloneSet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// bindParts recognises the comprehension cel.bind expands to.
func bindParts(expr ast.Expr) (name string, init, body ast.Expr, ok bool) {
	if expr.Kind() != ast.ComprehensionKind {
		return "", nil, nil, false
	}
	c := expr.AsComprehension()
	r, step, cond := c.IterRange(), c.LoopStep(), c.LoopCondition()
	if c.IterVar() != "#unused" || c.HasIterVar2() ||
		r.Kind() != ast.ListKind || r.AsList().Size() != 0 ||
		cond.Kind() != ast.LiteralKind || cond.AsLiteral() != types.False ||
		step.Kind() != ast.IdentKind || step.AsIdent() != c.AccuVar() {
		return "", nil, nil, false
	}
	return c.AccuVar(), c.AccuInit(), c.Result(), true
}

// objectParts recognises a map literal whose keys are distinct constant
// strings and whose entries are not optional: a fixed document level.
func objectParts(expr ast.Expr) (keys []string, vals []ast.Expr, ok bool) {
	if expr.Kind() != ast.MapKind {
		return nil, nil, false
	}
	for _, e := range expr.AsMap().Entries() {
		me := e.AsMapEntry()
		k := me.Key()
		if me.IsOptional() || k.Kind() != ast.LiteralKind {
			return nil, nil, false
		}
		s, isStr := k.AsLiteral().(types.String)
		if !isStr || slices.Contains(keys, string(s)) {
			return nil, nil, false
		}
		keys = append(keys, string(s))
		vals = append(vals, me.Value())
	}
	return keys, vals, true
}

// stable returns a constant value in a form that can be shared by every
// record: converted to the document's value types once, so that reading
// it later costs no conversion.
func stable(v ref.Val) ref.Val {
	if !plainJSON(v) {
		return v
	}
	return adapter.NativeToValue(toNative(v))
}

// plainJSON reports whether v is made only of values that convert to the
// document's types and back unchanged.
func plainJSON(v ref.Val) bool {
	switch x := v.(type) {
	case types.String, types.Int, types.Double, types.Bool, types.Null:
		return true
	case traits.Mapper:
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			if _, ok := k.(types.String); !ok || !plainJSON(x.Get(k)) {
				return false
			}
		}
		return true
	case traits.Lister:
		for it := x.Iterator(); it.HasNext() == types.True; {
			if !plainJSON(it.Next()) {
				return false
			}
		}
		return true
	}
	return false
}

// readsRecord reports whether expr refers to a per-record variable or to a
// bound name whose value depends on the record. Names shadowed by a
// comprehension inside expr are counted too, which only costs folding.
func readsRecord(expr ast.Expr, dynamic map[string]bool) bool {
	found := false
	ast.PostOrderVisit(expr, ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.IdentKind {
			name := e.AsIdent()
			if recordVars[name] || dynamic[name] {
				found = true
			}
		}
	}))
	return found
}

// identNamed reports whether expr refers to the name.
func identNamed(expr ast.Expr, name string) bool {
	found := false
	ast.PostOrderVisit(expr, ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.IdentKind && e.AsIdent() == name {
			found = true
		}
	}))
	return found
}
