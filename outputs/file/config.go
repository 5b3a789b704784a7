package file

import (
	"errors"
	"time"

	"akship/agent/config"
)

// Config is the `output.file:` section.
type Config struct {
	// Path is the directory the NDJSON files are written to. Required.
	Path string `yaml:"path"`
	// MaxBytes rotates a dataset's file once it grows past this size: the
	// full file is renamed with a timestamp and never deleted. 0 = never.
	// Default 256 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// BatchSize is the most documents written (and synced) at once.
	// Default 2000.
	BatchSize int `yaml:"batch_size"`
	// FlushInterval is how long a partial batch waits. Default 1s.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxBytes: 256 << 20, BatchSize: 2000, FlushInterval: time.Second}
}

// Validate checks the section.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, config.Field("path", "is required (the directory for the .ndjson files)"))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, config.Field("max_bytes", "must not be negative"))
	}
	if c.BatchSize < 1 {
		errs = append(errs, config.Field("batch_size", "must be at least 1"))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, config.Field("flush_interval", "must be positive"))
	}
	return errors.Join(errs...)
}

// SetDefaults fills c with the defaults; the configuration loader calls it
// when the file names this section.
func (c *Config) SetDefaults() { *c = DefaultConfig() }
