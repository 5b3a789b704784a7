package mapping

import (
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// call compiles a function call.
func (lc *leafCompiler) call(e ast.Expr) vfn {
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]ast.Expr{call.Target()}, args...)
	}
	fn := call.FunctionName()
	switch fn {
	case "orValue":
		o, d := lc.opt(args[0]), lc.value(args[1])
		if o == nil || d == nil {
			return nil
		}
		return func(c *lctx) (any, bool) {
			v, has, ok := o(c)
			if !ok {
				return nil, false
			}
			if has {
				return v, true
			}
			return d(c)
		}
	case "hasValue", "value":
		o := lc.opt(args[0])
		if o == nil {
			return nil
		}
		if fn == "hasValue" {
			return func(c *lctx) (any, bool) {
				_, has, ok := o(c)
				return has, ok
			}
		}
		return func(c *lctx) (any, bool) {
			v, has, ok := o(c)
			return v, ok && has
		}
	case "_?_:_":
		cond, a, b := lc.value(args[0]), lc.value(args[1]), lc.value(args[2])
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(c *lctx) (any, bool) {
			cv, ok := cond(c)
			bv, isBool := cv.(bool)
			if !ok || !isBool {
				return nil, false
			}
			if bv {
				return a(c)
			}
			return b(c)
		}
	case "_||_", "_&&_":
		a, b := lc.value(args[0]), lc.value(args[1])
		if a == nil || b == nil {
			return nil
		}
		short := fn == "_||_"
		return func(c *lctx) (any, bool) {
			av, ok := a(c)
			ab, isBool := av.(bool)
			if !ok || !isBool {
				return nil, false
			}
			if ab == short {
				return short, true
			}
			bv, ok := b(c)
			bb, isBool := bv.(bool)
			return bb, ok && isBool
		}
	case "append_unique":
		if owned(args[0]) {
			return lc.appendInPlace(args)
		}
	case "with":
		return lc.with(args)
	case "without":
		if f := lc.without(args); f != nil {
			return f
		}
	}
	fns := lc.values(args)
	if fns == nil {
		return nil
	}
	impl := lc.builtin(fn, len(args))
	if impl == nil {
		return nil
	}
	switch len(fns) {
	case 1:
		f0 := fns[0]
		return func(c *lctx) (any, bool) {
			a, ok := f0(c)
			if !ok {
				return nil, false
			}
			return impl(a, nil, nil)
		}
	case 2:
		f0, f1 := fns[0], fns[1]
		return func(c *lctx) (any, bool) {
			a, ok1 := f0(c)
			b, ok2 := f1(c)
			if !ok1 || !ok2 {
				return nil, false
			}
			return impl(a, b, nil)
		}
	case 3:
		f0, f1, f2 := fns[0], fns[1], fns[2]
		return func(c *lctx) (any, bool) {
			a, ok1 := f0(c)
			b, ok2 := f1(c)
			d, ok3 := f2(c)
			if !ok1 || !ok2 || !ok3 {
				return nil, false
			}
			return impl(a, b, d)
		}
	}
	return nil
}

// with compiles with(m, {...}) whose edits are a map literal.
func (lc *leafCompiler) with(args []ast.Expr) vfn {
	m := lc.value(args[0])
	keys, vals, ok := objectParts(args[1])
	if m == nil || !ok {
		return nil
	}
	opts := make([]ofn, len(vals))
	plains := make([]vfn, len(vals))
	for i, v := range vals {
		if opts[i] = lc.opt(v); opts[i] == nil {
			if plains[i] = lc.value(v); plains[i] == nil {
				return nil
			}
		}
	}
	shape := newEditShape(keys, false)
	return func(c *lctx) (any, bool) {
		mv, ok := m(c)
		if _, isMap := asMapShape(mv); !ok || !isMap {
			return nil, false
		}
		o := &overlay{base: mv, shape: shape, vals: make([]any, len(keys))}
		for i := range keys {
			if opts[i] != nil {
				v, has, ok := opts[i](c)
				if !ok {
					return nil, false
				}
				if !has {
					v = absentValue{}
				}
				o.vals[i] = v
				continue
			}
			v, ok := plains[i](c)
			if !ok {
				return nil, false
			}
			o.vals[i] = v
		}
		return o, true
	}
}

// without compiles without(m, [...]) whose paths are constant strings.
func (lc *leafCompiler) without(args []ast.Expr) vfn {
	m := lc.value(args[0])
	if m == nil || args[1].Kind() != ast.ListKind {
		return nil
	}
	var paths []string
	for _, e := range args[1].AsList().Elements() {
		if e.Kind() != ast.LiteralKind {
			return nil
		}
		if p, ok := e.AsLiteral().(types.String); ok {
			paths = append(paths, string(p))
		}
	}
	shape := newEditShape(paths, true)
	return func(c *lctx) (any, bool) {
		mv, ok := m(c)
		if _, isMap := asMapShape(mv); !ok || !isMap {
			return nil, false
		}
		return &overlay{base: mv, shape: shape}, true
	}
}

// owned reports whether an expression always makes a new list nothing
// else holds: a list literal, or append_unique's result. append_unique can
// then append to it in place instead of copying it.
func owned(e ast.Expr) bool {
	return e.Kind() == ast.ListKind ||
		e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "append_unique"
}

// appendInPlace is append_unique on a list of its own (see owned). A chain
// of them (`[].append_unique(a).append_unique(b)`) is one closure that
// appends to one list, in CEL's order: the list, then a, then b.
func (lc *leafCompiler) appendInPlace(args []ast.Expr) vfn {
	base, items := args[0], []ast.Expr{args[1]}
	for base.Kind() == ast.CallKind && base.AsCall().FunctionName() == "append_unique" {
		inner := base.AsCall().Args()
		if base.AsCall().IsMemberFunction() {
			inner = append([]ast.Expr{base.AsCall().Target()}, inner...)
		}
		if len(inner) != 2 || !owned(inner[0]) {
			break
		}
		base, items = inner[0], append([]ast.Expr{inner[1]}, items...)
	}
	fns := lc.values(append([]ast.Expr{base}, items...))
	if fns == nil {
		return nil
	}
	l, vs := fns[0], fns[1:]
	return func(c *lctx) (any, bool) {
		lv, ok := l(c)
		list, isList := lv.([]any)
		if !ok || !isList {
			return nil, false
		}
		for _, v := range vs {
			vv, ok := v(c)
			if !ok {
				return nil, false
			}
			list = appendUniqueNative(list, native(vv))
		}
		return list, true
	}
}
