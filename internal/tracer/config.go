package tracer

import (
	_ "embed"
	"errors"

	"akship/agent/config"
)

// Config is the tracer's section (e.g. `authentik.tracer:` or
// `output.elasticsearch.tracer:`, as the caller places it). Tracing is off
// by default: it writes request and response bodies to disk, which costs
// I/O and holds personal data (user names, IP addresses) even though
// credentials are redacted.
type Config struct {
	// Enabled turns tracing on. Default false.
	Enabled bool `yaml:"enabled"`
	// Path is the trace file. A "*" in it is replaced by the component
	// name (e.g. "inputs.authentik"), giving each component its own file;
	// components given the same path share one file. The caller fills the
	// default, <state.path>/trace/http-trace.ndjson. The directory is
	// created 0700 and files 0600.
	Path string `yaml:"path"`
	// MaxBodyBytes caps how much of each request and response body is
	// recorded, in bytes (after gzip decompression). 0 records no body.
	// Default 65536 (64 KiB).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// MaxFileBytes is the size in bytes at which the file is rotated.
	// Default 10485760 (10 MiB); at least 1024. A single line larger than
	// this is still written whole, to a fresh file.
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// MaxBackups is how many rotated files (path.1 … path.N, newest
	// first) are kept; 0 keeps none. Default 5.
	MaxBackups int `yaml:"max_backups"`
}

// The defaults of Config.
const (
	DefaultMaxBodyBytes = 64 << 10
	DefaultMaxFileBytes = 10 << 20
	DefaultMaxBackups   = 5
	// minFileBytes keeps a typo ("10" meaning 10 MiB) from rotating on
	// every line.
	minFileBytes = 1024
	// maxMaxBackups bounds the rename chain run at each rotation.
	maxMaxBackups = 1000
)

// DefaultConfig returns the defaults: off, 64 KiB bodies, 10 MiB files,
// five backups. Path is left for the caller to fill.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: DefaultMaxBodyBytes, MaxFileBytes: DefaultMaxFileBytes,
		MaxBackups: DefaultMaxBackups}
}

// Sample is sample.yaml: every key of the section with its default.
//
//go:embed sample.yaml
var Sample string

// Validate checks the section. An empty path is accepted because the
// caller fills the default after decoding; New refuses it.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 0 {
		errs = append(errs, config.Field("max_body_bytes", "must not be negative (0 records no body)"))
	}
	if c.MaxFileBytes < minFileBytes {
		errs = append(errs, config.Field("max_file_bytes", "must be at least %d bytes (default %d, 10 MiB)",
			minFileBytes, DefaultMaxFileBytes))
	}
	if c.MaxBackups < 0 || c.MaxBackups > maxMaxBackups {
		errs = append(errs, config.Field("max_backups", "must be between 0 and %d", maxMaxBackups))
	}
	return errors.Join(errs...)
}
