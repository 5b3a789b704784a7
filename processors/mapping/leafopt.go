package mapping

import (
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// opt compiles an optional expression; nil when it cannot.
func (lc *leafCompiler) opt(e ast.Expr) ofn {
	if !lc.optional(e) {
		return nil
	}
	switch e.Kind() {
	case ast.IdentKind:
		name := e.AsIdent()
		for i := len(lc.locals) - 1; i >= 0; i-- {
			if lc.locals[i] == name {
				return func(c *lctx) (any, bool, bool) { return c.locals[i], c.present[i], true }
			}
		}
		for _, b := range lc.scope {
			if b.name == name {
				slot := b.slot
				return func(c *lctx) (any, bool, bool) {
					o, isOpt := c.slots[slot].(*types.Optional)
					if !isOpt {
						return nil, false, false
					}
					if !o.HasValue() {
						return nil, false, true
					}
					return toNative(o.GetValue()), true, true
				}
			}
		}
		return nil
	case ast.ComprehensionKind:
		set, body := lc.bindInit(e)
		if set == nil {
			return nil
		}
		defer lc.popLocal()
		b := lc.opt(body)
		if b == nil {
			return nil
		}
		return func(c *lctx) (any, bool, bool) {
			if !set(c) {
				return nil, false, false
			}
			return b(c)
		}
	case ast.CallKind:
	default:
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]ast.Expr{call.Target()}, args...)
	}
	switch call.FunctionName() {
	case "_?._", "_[?_]":
		key := lc.value(args[1])
		if key == nil {
			return nil
		}
		lookup := func(c *lctx, xv any) (any, bool, bool) {
			k, ok := key(c)
			ks, isStr := k.(string)
			if !ok || !isStr {
				return nil, false, false
			}
			v, has, isMap := getKey(xv, ks)
			if !isMap {
				return nil, false, false
			}
			return v, has, true
		}
		if xo := lc.opt(args[0]); xo != nil {
			return func(c *lctx) (any, bool, bool) {
				xv, has, ok := xo(c)
				if !ok || !has {
					return nil, false, ok
				}
				return lookup(c, xv)
			}
		}
		return lc.onValue(args[0], lookup)
	case "field":
		if keys, ok := literalPath(args[1]); ok {
			return lc.onValue(args[0], func(_ *lctx, xv any) (any, bool, bool) {
				v, has := lookupKeys(xv, keys)
				return v, has, true
			})
		}
		x, p := lc.value(args[0]), lc.value(args[1])
		if x == nil || p == nil {
			return nil
		}
		return func(c *lctx) (any, bool, bool) {
			xv, ok1 := x(c)
			pv, ok2 := p(c)
			if !ok1 || !ok2 {
				return nil, false, false
			}
			ps, isStr := pv.(string)
			if !isStr {
				return nil, false, true
			}
			v, has := lookupDotted(xv, ps)
			return v, has, true
		}
	case "optional.of":
		x := lc.value(args[0])
		if x == nil {
			return nil
		}
		return func(c *lctx) (any, bool, bool) {
			v, ok := x(c)
			return v, true, ok
		}
	case "optional.none":
		return func(*lctx) (any, bool, bool) { return nil, false, true }
	case "_?_:_":
		cond, a, b := lc.value(args[0]), lc.opt(args[1]), lc.opt(args[2])
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(c *lctx) (any, bool, bool) {
			cv, ok := cond(c)
			bv, isBool := cv.(bool)
			if !ok || !isBool {
				return nil, false, false
			}
			if bv {
				return a(c)
			}
			return b(c)
		}
	}
	return nil
}

// onValue compiles e and applies f to its value; nil when e does not
// compile.
func (lc *leafCompiler) onValue(e ast.Expr, f func(c *lctx, v any) (any, bool, bool)) ofn {
	x := lc.value(e)
	if x == nil {
		return nil
	}
	return func(c *lctx) (any, bool, bool) {
		xv, ok := x(c)
		if !ok {
			return nil, false, false
		}
		return f(c, xv)
	}
}

// literalPath returns the keys of a dotted path written as a string
// literal, split once when the program is compiled.
func literalPath(e ast.Expr) ([]string, bool) {
	if e.Kind() != ast.LiteralKind {
		return nil, false
	}
	p, ok := e.AsLiteral().(types.String)
	if !ok {
		return nil, false
	}
	return strings.Split(string(p), "."), true
}

// lookupKeys is field() of a path split into keys.
func lookupKeys(v any, keys []string) (any, bool) {
	for _, k := range keys {
		var has, isMap bool
		if v, has, isMap = getKey(v, k); !has || !isMap {
			return nil, false
		}
	}
	return v, true
}

// lookupDotted is field(): the value at a dotted path through maps.
func lookupDotted(v any, path string) (any, bool) {
	for {
		k, rest, more := strings.Cut(path, ".")
		var has, isMap bool
		if v, has, isMap = getKey(v, k); !has || !isMap {
			return nil, false
		}
		if !more {
			return v, true
		}
		path = rest
	}
}

// bind compiles cel.bind (also the form optMap expands to) as a local.
func (lc *leafCompiler) bind(e ast.Expr) vfn {
	set, body := lc.bindInit(e)
	if set == nil {
		return nil
	}
	defer lc.popLocal()
	b := lc.value(body)
	if b == nil {
		return nil
	}
	return func(c *lctx) (any, bool) {
		if !set(c) {
			return nil, false
		}
		return b(c)
	}
}

// bindInit compiles a binding's value and brings its name into scope
// (popLocal takes it out); set is nil when it cannot.
func (lc *leafCompiler) bindInit(e ast.Expr) (set func(c *lctx) bool, body ast.Expr) {
	name, init, body, ok := bindParts(e)
	if !ok {
		return nil, nil
	}
	idx := len(lc.locals)
	if oi := lc.opt(init); oi != nil {
		set = func(c *lctx) bool {
			v, has, ok := oi(c)
			c.locals[idx], c.present[idx] = v, has
			return ok
		}
	} else if vi := lc.value(init); vi != nil {
		set = func(c *lctx) bool {
			v, ok := vi(c)
			c.locals[idx] = v
			return ok
		}
	} else {
		return nil, nil
	}
	lc.locals = append(lc.locals, name)
	lc.maxLoc = max(lc.maxLoc, len(lc.locals))
	return set, body
}

func (lc *leafCompiler) popLocal() { lc.locals = lc.locals[:len(lc.locals)-1] }
