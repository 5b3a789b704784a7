package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLocate(t *testing.T) {
	text := "authentik:\n  url: http://a\n  token_file: /nope\n  tls:\n    ca_file: /ca.pem\n" +
		"output:\n  elasticsearch:\n    hosts: [a, b]\n"
	root, err := Parse("c.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"key error", errors.New("authentik.token_file: secret file /nope does not exist"),
			[]string{"c.yml:3:15: authentik.token_file: secret file /nope does not exist"}},
		{"nested key", fmt.Errorf("authentik.tls.ca_file: %w", os.ErrNotExist),
			[]string{"c.yml:5:14: authentik.tls.ca_file: file does not exist"}},
		{"list element", errors.New("output.elasticsearch.hosts.1: bad"),
			[]string{"c.yml:8:16: output.elasticsearch.hosts.1: bad"}},
		{"key not in the file", errors.New("state.path: creating failed"), []string{"state.path: creating failed"}},
		{"no key", errors.New("compiling prog.cel failed"), []string{"compiling prog.cel failed"}},
		{"joined", errors.Join(errors.New("authentik.url: x"), errors.New("other")),
			[]string{"c.yml:2:8: authentik.url: x", "other"}},
		{"already located", &LocatedError{File: "c.yml", Line: 9, Column: 1, Path: "authentik.url", Err: errors.New("y")},
			[]string{"c.yml:9:1: authentik.url: y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(Locate("c.yml", root, tt.err))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Locate = %q, want %q", got, tt.want)
			}
		})
	}
	wrapped := errors.New("authentik.token_file: gone")
	if !errors.Is(Locate("c.yml", root, wrapped), wrapped) {
		t.Error("Locate lost the original error")
	}
}

func TestLocateParsedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(p, []byte("state:\n  path: /s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// The file changing afterwards does not move the location.
	if err := os.WriteFile(p, []byte("# moved\n\nstate:\n  path: /s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = Locate(p, root, errors.New("state.path: not writable"))
	if want := p + ":2:9: state.path: not writable"; err == nil || err.Error() != want {
		t.Errorf("Locate = %v, want %s", err, want)
	}
	if err := Locate(p, nil, errors.New("state.path: x")); err.Error() != "state.path: x" {
		t.Errorf("Locate without a parsed file = %v", err)
	}
	if Locate(p, root, nil) != nil {
		t.Error("Locate(nil) is not nil")
	}
}
