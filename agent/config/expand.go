package config

import (
	"fmt"
	"strings"
)

// Expand replaces ${NAME} with the value of environment variable NAME and
// ${NAME:-default} with default when NAME is unset or empty. "$$" is a
// literal "$". A reference without a default to a variable that is unset,
// or set but empty, is an error naming the variable and saying which, so
// neither a typo nor a forgotten export becomes an empty token. ${NAME:-}
// accepts an empty value explicitly.
func Expand(s string, env func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			// Errors never quote the value: it may be a secret.
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (write $$ for a literal $)")
			}
			ref := s[i+2 : i+2+end]
			if strings.Contains(ref, "${") {
				// "${A:-${B}}" would otherwise expand to A's value plus a
				// stray "}".
				return "", fmt.Errorf("nested ${...} references are not supported")
			}
			val, err := lookup(ref, env)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func lookup(ref string, env func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if name == "" {
		return "", fmt.Errorf("empty variable name in a ${...} reference")
	}
	var val string
	var ok bool
	if env != nil {
		val, ok = env(name)
	}
	if ok && val != "" {
		return val, nil
	}
	if hasDef {
		return def, nil
	}
	if ok {
		return "", fmt.Errorf("environment variable %s is set but empty (give it a value, or write ${%s:-} "+
			"to accept an empty value)", name, name)
	}
	return "", fmt.Errorf("environment variable %s is not set (use ${%s:-default} for a fallback)", name, name)
}
