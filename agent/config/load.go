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
		return nil, fmt.Errorf("%s: invalid YAML: %s", file, msg)
	}
	if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the configuration must be a mapping of keys (e.g. \"authentik:\")", file)
	}
	return &n, nil
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
// is an error, so a missing secret is noticed at start-up.
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
	return Secret(s), nil
}
