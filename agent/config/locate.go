package config

import (
	"errors"
	"regexp"

	"gopkg.in/yaml.v3"
)

// keyPrefix matches an error that begins with a full dotted key, as the
// errors of building components do ("authentik.token_file: secret file …
// does not exist").
var keyPrefix = regexp.MustCompile(`^([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+): `)

// Locate adds the file, line and column of the key to every part of err
// that begins with a full dotted key present in the configuration root.
// Such errors come after decoding, from building the components (opening
// the files a configuration points at: token_file, ca_file, program_file,
// GeoIP databases); Locate reports them like the decoder's own errors.
// Other parts are returned unchanged.
func Locate(file string, root *yaml.Node, err error) error {
	if err == nil || root == nil {
		return err
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	parts := Errors(err)
	out := make([]error, len(parts))
	changed := false
	for i, e := range parts {
		out[i] = e
		var le *LocatedError
		if errors.As(e, &le) {
			continue
		}
		m := keyPrefix.FindStringSubmatch(e.Error())
		if m == nil {
			continue
		}
		if n, ok := walk(root, m[1]); ok {
			// Path stays empty: the error's own text names the key.
			out[i] = &LocatedError{File: file, Line: n.Line, Column: n.Column, Err: e}
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errors.Join(out...)
}
