package mapping

import (
	"embed"
	"fmt"
	"os"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"akship/agent"
)

// defaultPrograms holds the default mapping of each dataset, one readable
// CEL file per dataset.
//
//go:embed programs/*.cel
var defaultPrograms embed.FS

// DefaultProgram returns the CEL source of a dataset's default mapping.
func DefaultProgram(d agent.Dataset) (string, error) {
	b, err := defaultPrograms.ReadFile("programs/" + string(d) + ".cel")
	if err != nil {
		return "", fmt.Errorf("no default program for dataset %q", d)
	}
	return string(b), nil
}

// compiled is a checked program and the name errors call it by: its
// engine (see engine.go), which maps records, and the program planned as
// a whole, the plain evaluation the tests compare the engine with.
type compiled struct {
	name string
	prg  cel.Program
	eng  *engine
}

// newEnv declares the variables and functions programs may use. Extend
// programs also get doc.
func newEnv(e enrichers, extend bool) (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable("record", dynMap),
		cel.Variable("tags", cel.ListType(cel.StringType)),
		cel.Variable("collected", cel.TimestampType),
		cel.OptionalTypes(),
		ext.Bindings(),
		ext.Strings(),
		ext.Lists(),
		ext.Math(),
		ext.Encoders(),
	}
	if extend {
		opts = append(opts, cel.Variable("doc", dynMap))
	}
	opts = append(opts, e.library()...)
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up CEL failed: %w", err)
	}
	return env, nil
}

// compile parses, type-checks and plans a program once. Errors name the
// program (its file or configuration key), line and column. tags are the
// dataset's tags, fixed for the program's lifetime.
func compile(env *cel.Env, name, src string, tags ref.Val, e enrichers) (*compiled, error) {
	ast, iss := env.CompileSource(common.NewStringSource(src, name))
	if iss.Err() != nil {
		return nil, fmt.Errorf("compiling %s failed:\n%w", name, iss.Err())
	}
	if k := ast.OutputType().Kind(); k != types.MapKind && k != types.DynKind {
		return nil, fmt.Errorf("compiling %s failed: the program must return a map (the document), it returns %s",
			name, ast.OutputType())
	}
	prg, err := env.Program(ast,
		cel.EvalOptions(cel.OptOptimize),
		cel.InterruptCheckFrequency(1000))
	if err != nil {
		return nil, fmt.Errorf("planning %s failed: %w", name, err)
	}
	eng, err := compileEngine(env, name, ast, tags, e)
	if err != nil {
		return nil, err
	}
	return &compiled{name: name, prg: prg, eng: eng}, nil
}

// source returns the program text and name for one of a dataset's two
// programs: the inline key, else the file key, else the fallback (the
// embedded default, or none).
func source(d agent.Dataset, key, inline, file string, fallback func() (string, string, error)) (src, name string, err error) {
	switch {
	case inline != "":
		return inline, fmt.Sprintf("processors.%s.%s", d, key), nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", fmt.Errorf("processors.%s.%s_file: reading the program failed: %w", d, key, err)
		}
		return string(b), file, nil
	}
	return fallback()
}

// activation hands the per-record variables to a program without building
// a map for each record.
type activation struct {
	record, tags, collected, doc ref.Val
	// The engine's record and collection time, turned into record and
	// collected when cel-go first asks for them (most records never make
	// it ask).
	recordMap any // a map or a record view's object
	at        time.Time
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "record":
		if a.record == nil && a.recordMap != nil {
			a.record = adapter.NativeToValue(deepPlain(a.recordMap))
		}
		return a.record, true
	case "tags":
		return a.tags, true
	case "collected":
		if a.collected == nil && !a.at.IsZero() {
			a.collected = types.Timestamp{Time: a.at}
		}
		return a.collected, true
	case "doc":
		return a.doc, a.doc != nil
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }
