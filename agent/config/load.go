package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses YAML text into a node tree, naming the file and line of a
// syntax error. An empty document is an error: an empty configuration is
// more likely a mistake than an intent.
func Parse(file string, data []byte) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: the configuration is empty", file)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		// The parser's words for a tab ("found character that cannot
		// start any token") do not say what is wrong, and its line
		// number can be the line before.
		if strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token") {
			if line := tabIndentedLine(data); line > 0 {
				return nil, fmt.Errorf("%s:%d: invalid YAML: the line is indented with a tab; YAML does not "+
					"allow tabs for indentation, use spaces", file, line)
			}
		}
		return nil, fmt.Errorf("%s: invalid YAML: %s", file, msg)
	}
	if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the configuration must be a mapping of keys (e.g. \"authentik:\")", file)
	}
	return &n, nil
}

// tabIndentedLine returns the number of the first line whose indentation
// contains a tab, or 0. Parse consults it only when the parser complained
// about a tab, since a tab is legal inside quoted strings and block
// scalars.
func tabIndentedLine(data []byte) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 && len(bytes.TrimSpace(line)) > 0 {
			return i + 1
		}
	}
	return 0
}

// ParseFile reads and parses a configuration file.
func ParseFile(path string) (*yaml.Node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration failed: %w", err)
	}
	return Parse(path, data)
}

// ReadSecretFile reads a secret kept in a file (token_file, password_file):
// surrounding whitespace and the trailing newline are removed. An empty file
// is an error, so a missing secret is noticed at start-up, and so is a file
// that holds an HTTP header value ("Bearer <token>") instead of the secret.
func ReadSecretFile(path string) (Secret, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("secret file %s does not exist", path)
		}
		return "", fmt.Errorf("reading secret file failed: %w", err)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	if scheme, _, ok := strings.Cut(s, " "); ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "ApiKey") ||
		strings.EqualFold(scheme, "Basic")) {
		return "", fmt.Errorf("secret file %s starts with %q: write the secret alone, akship adds the "+
			"authorization scheme itself", path, scheme+" ")
	}
	return Secret(s), nil
}
