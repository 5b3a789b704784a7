package mapping

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

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
				m, isMap := asMapValue(xv)
				if !ok || !isMap {
					return nil, false
				}
				_, has := m[f]
				return has, true
			}
		}
		return func(c *lctx) (any, bool) {
			xv, ok := x(c)
			m, isMap := asMapValue(xv)
			if !ok || !isMap {
				return nil, false
			}
			v, has := m[f]
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
		v := celType(t.Parameters()[0].TypeName())
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
			m, isMap := asMapValue(xv)
			if !ok || !isStr || !isMap {
				return nil, false, false
			}
			v, has := m[ks]
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
		x := lc.value(args[0])
		if x == nil {
			return nil
		}
		return func(c *lctx) (any, bool, bool) {
			xv, ok := x(c)
			if !ok {
				return nil, false, false
			}
			return lookup(c, xv)
		}
	case "field":
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

// lookupDotted is field(): the value at a dotted path through maps.
func lookupDotted(v any, path string) (any, bool) {
	for {
		m, ok := asMapValue(v)
		if !ok {
			return nil, false
		}
		k, rest, more := strings.Cut(path, ".")
		if v, ok = m[k]; !ok {
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
		o := &overlay{base: mv, shape: shape, vals: make([]any, len(keys)), has: make([]bool, len(keys))}
		for i := range keys {
			if opts[i] != nil {
				v, has, ok := opts[i](c)
				if !ok {
					return nil, false
				}
				o.vals[i], o.has[i] = v, has
				continue
			}
			v, ok := plains[i](c)
			if !ok {
				return nil, false
			}
			o.vals[i], o.has[i] = v, true
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

// builtin returns the implementation of a function of n arguments (a
// member function's target first); nil when there is none.
func (lc *leafCompiler) builtin(fn string, n int) func(a, b, c any) (any, bool) {
	e := lc.e
	ep := &lc.e
	unaries := map[string]func(any) any{
		"to_string": toString, "to_bool": toBool, "to_long": toLong, "es_date": esDate,
		"is_ip": func(v any) any { return isIP(v) },
		"geoip": func(v any) any {
			if s, ok := v.(string); ok && s != "" {
				return &enriched{e: ep, kind: enrichCity, s: s}
			}
			return map[string]any{}
		},
		"asn": func(v any) any {
			if s, ok := v.(string); ok && s != "" {
				return &enriched{e: ep, kind: enrichASN, s: s}
			}
			return map[string]any{}
		},
		"user_agent": func(v any) any {
			if s, ok := v.(string); ok {
				return &enriched{e: ep, kind: enrichUserAgent, s: s}
			}
			return e.userAgent(v)
		},
		"drop_empty": func(v any) any { p, _ := pruned(v); return p },
		"dyn":        func(v any) any { return v },
	}
	if f, ok := unaries[fn]; ok && n == 1 {
		return func(a, _, _ any) (any, bool) { return f(native(a)), true }
	}
	switch {
	case fn == "fail" && n == 1:
		return func(a, _, _ any) (any, bool) {
			msg, ok := a.(string)
			return fail("%s", msg), ok
		}
	case fn == "fail" && n == 2:
		return func(a, b, _ any) (any, bool) {
			msg, ok := a.(string)
			return fail("%s: %s", msg, preview(native(b))), ok
		}
	case fn == "append_unique" && n == 2:
		return func(a, b, _ any) (any, bool) {
			l, ok := a.([]any)
			if !ok {
				return nil, false
			}
			return appendUniqueNative(append(make([]any, 0, len(l)+1), l...), b), true
		}
	case fn == "without" && n == 2:
		return func(a, b, _ any) (any, bool) {
			m, ok1 := asMapValue(a)
			l, ok2 := b.([]any)
			if !ok1 || !ok2 {
				return nil, false
			}
			var ps []string
			for _, p := range l {
				if s, ok := p.(string); ok {
					ps = append(ps, s)
				}
			}
			return withoutPaths(m, ps), true
		}
	case fn == "merge" && n == 2:
		return func(a, b, _ any) (any, bool) {
			am, ok1 := asMapValue(a)
			bm, ok2 := asMapValue(b)
			return deepMerge(am, bm), ok1 && ok2
		}
	case fn == "type" && n == 1:
		return func(a, _, _ any) (any, bool) { return typeOf(a) }
	case (fn == "_==_" || fn == "_!=_") && n == 2:
		neq := fn == "_!=_"
		return func(a, b, _ any) (any, bool) {
			eq, ok := equal(a, b)
			return eq != neq, ok
		}
	case fn == "!_" && n == 1:
		return func(a, _, _ any) (any, bool) {
			b, ok := a.(bool)
			return !b, ok
		}
	case fn == "@in" && n == 2:
		return in
	case fn == "_+_" && n == 2:
		return add
	case fn == "size" && n == 1:
		return func(a, _, _ any) (any, bool) {
			switch x := a.(type) {
			case string:
				return int64(utf8.RuneCountInString(x)), utf8.ValidString(x)
			case []any:
				return int64(len(x)), true
			case map[string]any, *overlay, *enriched:
				m, _ := asMapValue(x)
				return int64(len(m)), true
			}
			return nil, false
		}
	}
	return lc.stringFunction(fn, n)
}

// stringFunction implements the string functions programs use, on valid
// UTF-8 text only (cel-go counts in code points).
func (lc *leafCompiler) stringFunction(fn string, n int) func(a, b, c any) (any, bool) {
	str := func(v any) (string, bool) {
		s, ok := v.(string)
		return s, ok && utf8.ValidString(s)
	}
	switch {
	case fn == "lowerAscii" && n == 1:
		return func(a, _, _ any) (any, bool) {
			s, ok := str(a)
			if !ok {
				return nil, false
			}
			return lowerASCII(s), true
		}
	case fn == "replace" && n == 3:
		return func(a, b, c any) (any, bool) {
			s, ok1 := str(a)
			old, ok2 := str(b)
			repl, ok3 := str(c)
			return strings.ReplaceAll(s, old, repl), ok1 && ok2 && ok3
		}
	case (fn == "contains" || fn == "startsWith" || fn == "endsWith") && n == 2:
		test := map[string]func(string, string) bool{
			"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
		}[fn]
		return func(a, b, _ any) (any, bool) {
			s, ok1 := a.(string)
			sub, ok2 := b.(string)
			return test(s, sub), ok1 && ok2
		}
	case fn == "indexOf" && n == 2:
		return func(a, b, _ any) (any, bool) {
			s, ok1 := str(a)
			sub, ok2 := str(b)
			if !ok1 || !ok2 {
				return nil, false
			}
			i := strings.Index(s, sub)
			if i < 0 {
				return int64(-1), true
			}
			return int64(utf8.RuneCountInString(s[:i])), true
		}
	case fn == "substring" && n == 2:
		return func(a, b, _ any) (any, bool) {
			s, ok1 := str(a)
			start, ok2 := b.(int64)
			if !ok1 || !ok2 || start < 0 {
				return nil, false
			}
			for i := range s {
				if start == 0 {
					return s[i:], true
				}
				start--
			}
			return "", start == 0
		}
	}
	return nil
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// typeOf is type(x) for the document's value types.
func typeOf(v any) (any, bool) {
	switch v.(type) {
	case nil:
		return celType("null_type"), true
	case string:
		return celType("string"), true
	case bool:
		return celType("bool"), true
	case int64:
		return celType("int"), true
	case float64:
		return celType("double"), true
	case map[string]any, *overlay, *enriched:
		return celType("map"), true
	case []any:
		return celType("list"), true
	case *Failure:
		return celType("failure"), true
	}
	return nil, false
}

// equal is CEL's == for scalars (numbers compare across int and double);
// ok is false for values it leaves to cel-go.
func equal(a, b any) (eq, ok bool) {
	switch x := a.(type) {
	case nil:
		switch b.(type) {
		case nil:
			return true, true
		case string, bool, int64, float64, celType:
			return false, true
		}
	case string, bool, celType:
		switch b.(type) {
		case nil, string, bool, int64, float64, celType:
			return a == b, true
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y, true
		case float64:
			return float64(x) == y && !math.IsNaN(y), true
		case nil, string, bool, celType:
			return false, true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y, true
		case int64:
			return x == float64(y), true
		case nil, string, bool, celType:
			return false, true
		}
	}
	return false, false
}

// in is x in list, and key in map for string keys.
func in(a, b, _ any) (any, bool) {
	switch l := b.(type) {
	case []any:
		for _, e := range l {
			eq, ok := equal(a, e)
			if !ok {
				return nil, false
			}
			if eq {
				return true, true
			}
		}
		return false, true
	case map[string]any, *overlay, *enriched:
		m, _ := asMapValue(l)
		k, ok := a.(string)
		_, has := m[k]
		return has, ok
	}
	return nil, false
}

// add is + for ints (without overflow), doubles, strings and lists.
func add(a, b, _ any) (any, bool) {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		s := x + y
		return s, ok && (s > x) == (y > 0)
	case float64:
		y, ok := b.(float64)
		return x + y, ok
	case string:
		y, ok := b.(string)
		return x + y, ok
	case []any:
		y, ok := b.([]any)
		return append(append(make([]any, 0, len(x)+len(y)), x...), y...), ok
	}
	return nil, false
}
