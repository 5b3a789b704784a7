package config

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (API token, password, API key). Every way of
// printing it — fmt verbs, slog, JSON, YAML — yields a redaction marker, so a
// secret cannot reach a log line, a trace or an error message by accident.
// Call Value to use it.
type Secret string

// Redacted is what a non-empty secret prints as.
const Redacted = "[redacted]"

// Value returns the secret itself, for the one place that must send it.
func (s Secret) Value() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format redacts the secret for every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON and YAML encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
