package mapping

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// The engine runs every mapping program (a default, a user's own, an
// extension) the same way. Compiling walks the checked program's AST once:
// the chain of cel.bind calls and the map literals with constant keys
// become a fixed document shape (nodes); what remains, the leaf
// expressions and the bound values, are planned as separate small CEL
// programs. Per record each bound value is evaluated once, each leaf once,
// and the writer (engwrite.go) walks the shape and writes the leaves'
// values straight into the document's JSON, dropping empty values and
// collecting failures as it goes. Whatever does not depend on the record
// (the tags, a table bound to a name, a constant leaf) is evaluated once,
// when the program is compiled.

// nodeKind says what a node of the document shape is.
type nodeKind uint8

const (
	nodeLeaf   nodeKind = iota // an expression evaluated per record
	nodeObject                 // a map literal with constant string keys
	nodeBind                   // cel.bind(name, value, body)
)

// node is one level of a program's document shape.
type node struct {
	kind nodeKind
	step int      // nodeLeaf: the step computing its value
	keys []string // nodeObject: keys, in encoding order
	kids []*node  // nodeObject: the values of keys
	body *node    // nodeBind: the expression the binding holds for
}

// step is one evaluation of a record: a bound value or a leaf, in the
// order CEL evaluates them.
type step struct {
	prg      cel.Program
	fast     vfn       // the expression as Go closures, when it compiles (leafc.go)
	scope    []binding // names bound where the step is, innermost first
	bindSlot int       // -1 for a leaf, else the slot the value is bound to
	constant ref.Val   // set when the value does not depend on the record
	// scalar is a constant leaf's value as the writer reads it (a string,
	// number or bool), converted once instead of per record.
	scalar any
}

// binding is a name bound by cel.bind and the slot holding its value.
type binding struct {
	name string
	slot int
}

// engine is a compiled program.
type engine struct {
	name    string
	root    *node
	steps   []step
	slots   int
	locals  int  // the most locals a step's closures use
	usesDoc bool // the program reads doc (extensions)
	tags    any  // the tags, as closures read them
}

// recordVars are the variables whose value changes from record to record.
var recordVars = map[string]bool{"record": true, "collected": true, "doc": true}

// compileEngine builds the engine of a checked program. tags is the
// dataset's tag list, fixed for the engine's lifetime, so values that
// depend only on it are computed here.
func compileEngine(env *cel.Env, name string, checked *cel.Ast, tags ref.Val, e enrichers) (*engine, error) {
	c := &engineCompiler{env: env, checked: checked.NativeRep(), e: &engine{name: name, tags: toNative(tags)}, tags: tags, enrich: e}
	root, err := c.node(c.checked.Expr(), nil, map[string]bool{})
	if err != nil {
		return nil, fmt.Errorf("planning %s failed: %w", name, err)
	}
	c.e.root = root
	return c.e, nil
}

type engineCompiler struct {
	env     *cel.Env
	checked *ast.AST
	e       *engine
	tags    ref.Val
	enrich  enrichers
}

// node compiles expr. scope lists the bindings visible there, innermost
// first; dynamic holds the bound names whose value depends on the record.
func (c *engineCompiler) node(expr ast.Expr, scope []binding, dynamic map[string]bool) (*node, error) {
	if name, init, body, ok := bindParts(expr); ok {
		slot := c.e.slots
		c.e.slots++
		if _, err := c.addStep(init, scope, dynamic, slot); err != nil {
			return nil, err
		}
		inner := append([]binding{{name, slot}}, scope...)
		dyn := dynamic
		if c.e.steps[len(c.e.steps)-1].constant == nil || dynamic[name] {
			dyn = cloneSet(dynamic)
			dyn[name] = c.e.steps[len(c.e.steps)-1].constant == nil
		}
		b, err := c.node(body, inner, dyn)
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeBind, body: b}, nil
	}
	if keys, vals, ok := objectParts(expr); ok {
		n := &node{kind: nodeObject}
		kids := make([]*node, len(keys))
		for i, v := range vals {
			kid, err := c.node(v, scope, dynamic)
			if err != nil {
				return nil, err
			}
			kids[i] = kid
		}
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
		for _, i := range order {
			n.keys = append(n.keys, keys[i])
			n.kids = append(n.kids, kids[i])
		}
		return n, nil
	}
	s, err := c.addStep(expr, scope, dynamic, -1)
	if err != nil {
		return nil, err
	}
	return &node{kind: nodeLeaf, step: s}, nil
}

// addStep plans expr as a program of its own and appends its step; when
// the expression reads nothing that changes per record, its value is
// computed now.
func (c *engineCompiler) addStep(expr ast.Expr, scope []binding, dynamic map[string]bool, slot int) (int, error) {
	typeMap, refMap := c.checkedWithin(expr)
	sub := ast.NewCheckedAST(ast.NewAST(expr, c.checked.SourceInfo()), typeMap, refMap)
	pb, err := ast.ToProto(sub)
	if err != nil {
		return 0, err
	}
	prg, err := c.env.Program(cel.CheckedExprToAst(pb),
		cel.EvalOptions(cel.OptOptimize),
		cel.InterruptCheckFrequency(1000))
	if err != nil {
		return 0, err
	}
	st := step{prg: prg, scope: scope, bindSlot: slot}
	if !readsRecord(expr, dynamic) {
		consts := make([]any, c.e.slots)
		for _, s := range c.e.steps {
			if s.bindSlot >= 0 {
				consts[s.bindSlot] = s.constant
			}
		}
		act := &engineActivation{base: &activation{tags: c.tags}, slots: consts, scope: scope}
		out, _, err := prg.Eval(act)
		if err != nil {
			out = types.WrapErr(err)
		}
		st.constant = stable(out)
		if slot < 0 {
			switch v := native(st.constant); v.(type) {
			case string, bool, int64, float64:
				st.scalar = v
			}
		}
	}
	if identNamed(expr, "doc") {
		c.e.usesDoc = true
	}
	if st.constant == nil {
		lc := &leafCompiler{checked: c.checked, e: c.enrich, scope: scope}
		st.fast = lc.value(expr)
		c.e.locals = max(c.e.locals, lc.maxLoc)
	}
	c.e.steps = append(c.e.steps, st)
	return len(c.e.steps) - 1, nil
}

// checkedWithin returns the program's type and reference information of
// expr's nodes only, so that planning a step costs the step's size, not
// the program's.
func (c *engineCompiler) checkedWithin(expr ast.Expr) (map[int64]*types.Type, map[int64]*ast.ReferenceInfo) {
	allTypes, allRefs := c.checked.TypeMap(), c.checked.ReferenceMap()
	typeMap := map[int64]*types.Type{}
	refMap := map[int64]*ast.ReferenceInfo{}
	ast.PostOrderVisit(expr, ast.NewExprVisitor(func(e ast.Expr) {
		if t, ok := allTypes[e.ID()]; ok {
			typeMap[e.ID()] = t
		}
		if r, ok := allRefs[e.ID()]; ok {
			refMap[e.ID()] = r
		}
	}))
	return typeMap, refMap
}

// engineActivation resolves a step's variables: the names bound where the
// step is, then the program's inputs.
type engineActivation struct {
	base  *activation
	slots []any
	scope []binding
}

// ResolveName implements interpreter.Activation.
func (a *engineActivation) ResolveName(name string) (any, bool) {
	for _, b := range a.scope {
		if b.name == name {
			// cel-go reads plain maps only: overlays applied, the
			// record view's objects decoded.
			return deepPlain(a.slots[b.slot]), true
		}
	}
	return a.base.ResolveName(name)
}

// Parent implements interpreter.Activation.
func (a *engineActivation) Parent() interpreter.Activation { return nil }

// run evaluates every step of a record: vals[i] is step i's value. err is
// the first error of a leaf, in CEL's evaluation order, which fails the
// program as a whole; a bound value's error only matters where it is used.
// A step's closures run first; where they give up, cel-go evaluates it.
func (e *engine) run(base *activation, record any, collected time.Time, rs *runState) error {
	act := engineActivation{base: base, slots: rs.slots}
	lc := &rs.lc
	*lc = lctx{record: record, tags: e.tags, collected: collected, slots: rs.slots,
		locals: lc.locals[:0], present: lc.present[:0]}
	for len(lc.locals) < e.locals {
		lc.locals = append(lc.locals, nil)
		lc.present = append(lc.present, false)
	}
	lc.locals, lc.present = lc.locals[:e.locals], lc.present[:e.locals]
	for i := range e.steps {
		s := &e.steps[i]
		var v any
		switch {
		case s.scalar != nil:
			v = s.scalar
		case s.constant != nil:
			v = s.constant
		case s.fast != nil:
			out, ok := s.fast(lc)
			if _, isType := out.(celType); ok && !isType {
				v = out
				break
			}
			fallthrough
		default:
			act.scope = s.scope
			out, _, err := s.prg.Eval(&act)
			if err != nil {
				out = types.WrapErr(err)
			}
			v = out
		}
		rs.vals[i] = v
		if s.bindSlot >= 0 {
			rs.slots[s.bindSlot] = v
			continue
		}
		if errVal, isErr := v.(*types.Err); isErr {
			return errVal
		}
	}
	return nil
}

// runState is one record's evaluation of an engine.
type runState struct {
	vals, slots []any
	lc          lctx
}

func newRunState(e *engine) runState {
	return runState{vals: make([]any, len(e.steps)), slots: make([]any, e.slots)}
}

func (rs *runState) clear() {
	clear(rs.vals)
	clear(rs.slots)
	clear(rs.lc.locals[:cap(rs.lc.locals)])
	rs.lc = lctx{locals: rs.lc.locals[:0], present: rs.lc.present[:0]}
}
