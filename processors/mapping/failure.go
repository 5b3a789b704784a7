package mapping

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// FailureType is the CEL type of a failure value (see Failure).
var FailureType = types.NewOpaqueType("failure")

// Failure is what a failed mapping step produces in place of its value,
// the CEL counterpart of an ingest processor's on_failure "remove the field
// and add error.message". A program can put it anywhere in the document;
// when the document is finished every failure is removed from wherever it
// landed (a map entry or a list element) and its message is added to
// error.message once, however many places it was copied to. The record is
// then marked as a pipeline error and still ships.
//
// Failures are ordinary values, not CEL errors, so a failed step does not
// abort the rest of the program. The mapping functions pass a failure given
// to them through (or ignore it, for lookups such as geoip).
type Failure struct {
	Message string
}

// fail makes a failure value with a formatted message.
func fail(format string, args ...any) *Failure {
	return &Failure{Message: fmt.Sprintf(format, args...)}
}

// ConvertToNative returns the failure itself: it stays a marker until the
// document is finished.
func (f *Failure) ConvertToNative(reflect.Type) (any, error) { return f, nil }

// ConvertToType converts a failure to a string (its message) or to its own
// type; other conversions are errors.
func (f *Failure) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.TypeType:
		return FailureType
	case types.StringType:
		return types.String(f.Message)
	}
	return types.NewErr("type conversion error from failure to %s", t.TypeName())
}

// Equal is true only for the same failure.
func (f *Failure) Equal(other ref.Val) ref.Val { return types.Bool(other == ref.Val(f)) }

// Type returns FailureType.
func (f *Failure) Type() ref.Type { return FailureType }

// Value returns the failure itself.
func (f *Failure) Value() any { return f }

// Error returns the message, so a failure reads well in logs.
func (f *Failure) Error() string { return f.Message }
