package config

import (
	"errors"
	"fmt"
)

// FieldError is a validation problem with one configuration key. Validate
// methods return it (usually through Field) with the key relative to their
// own section; the loader prefixes the section's path and adds the file and
// line where the key was written.
type FieldError struct {
	// Key is the dot-separated key relative to the validated section, e.g.
	// "hosts" or "tls.ca_file". Empty means the section itself.
	Key string
	Err error
}

func (e *FieldError) Error() string {
	if e.Key == "" {
		return e.Err.Error()
	}
	return e.Key + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Field builds a FieldError for key with a formatted message.
func Field(key, format string, args ...any) error {
	return &FieldError{Key: key, Err: fmt.Errorf(format, args...)}
}

// Validator is implemented by configuration sections that check their own
// values. The loader calls Validate on every section after decoding, deepest
// first, and reports every problem found, not just the first.
type Validator interface {
	Validate() error
}

// LocatedError is a configuration problem at a place in a file.
type LocatedError struct {
	File   string // the configuration file, or "" for built-in defaults
	Line   int    // 1-based; 0 when unknown
	Column int
	Path   string // full dot-separated key, e.g. "inputs.events.interval"
	Err    error
}

func (e *LocatedError) Error() string {
	loc := e.File
	if loc == "" {
		loc = "config"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", loc, e.Line, e.Column)
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Path, e.Err)
}

func (e *LocatedError) Unwrap() error { return e.Err }

// Errors flattens an error built with errors.Join into its parts.
func Errors(err error) []error {
	if err == nil {
		return nil
	}
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	return []error{err}
}
