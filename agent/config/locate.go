package config

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

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
		if n := lookupKey(root, m[1]); n != nil {
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

// LocateFile is Locate for the configuration file at path. When the file
// cannot be parsed (again), err is returned unchanged.
func LocateFile(path string, err error) error {
	if err == nil {
		return nil
	}
	root, perr := ParseFile(path)
	if perr != nil {
		return err
	}
	return Locate(path, root, err)
}

// lookupKey returns the value node of a dotted key, or nil when the file
// does not write that key.
func lookupKey(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range strings.Split(key, ".") {
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			n = child(n, k)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}
