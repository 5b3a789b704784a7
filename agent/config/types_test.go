package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// The types below are a representative configuration: nested sections,
// optional pointer sections with defaults, an inline shared block, maps,
// lists, every scalar kind, a Secret, a TextUnmarshaler and Validate
// methods at several depths. The decoder and fuzz tests share them.

type tlsConfig struct {
	CAFile   string `yaml:"ca_file"`
	Insecure bool   `yaml:"insecure"`
}

// httpConfig is a shared block embedded inline, like the HTTP client block.
type httpConfig struct {
	Timeout    time.Duration `yaml:"timeout"`
	MaxRetries int           `yaml:"max_retries"`
	TLS        *tlsConfig    `yaml:"tls"`
}

type esConfig struct {
	Hosts   []string          `yaml:"hosts"`
	APIKey  Secret            `yaml:"api_key"`
	Headers map[string]string `yaml:"headers"`
	Workers uint              `yaml:"workers"`
	Ratio   float64           `yaml:"ratio"`
	HTTP    httpConfig        `yaml:",inline"`
	Compat  int8              `yaml:"compat"`
}

func (c *esConfig) SetDefaults() {
	c.Workers, c.HTTP.Timeout, c.HTTP.MaxRetries = 2, 30*time.Second, 3
}

func (c *esConfig) Validate() error {
	var errs []error
	if len(c.Hosts) == 0 {
		errs = append(errs, Field("hosts", "is required"))
	}
	for i, h := range c.Hosts {
		if !strings.HasPrefix(h, "http") {
			errs = append(errs, Field(fmt.Sprintf("hosts.%d", i), "%q is not a URL", h))
		}
	}
	if t := c.HTTP.TLS; t != nil && t.Insecure && t.CAFile != "" {
		errs = append(errs, Field("tls.insecure", "conflicts with tls.ca_file"))
	}
	return errors.Join(errs...)
}

type fileConfig struct {
	Path     string `yaml:"path"`
	MaxBytes int64  `yaml:"max_bytes"`
}

func (c *fileConfig) SetDefaults() { c.Path, c.MaxBytes = "out", 1<<20 }

type outputConfig struct {
	Elasticsearch *esConfig   `yaml:"elasticsearch"`
	File          *fileConfig `yaml:"file"`
}

func (c *outputConfig) Validate() error {
	n := 0
	if c.Elasticsearch != nil {
		n++
	}
	if c.File != nil {
		n++
	}
	if n != 1 {
		return Field("", "configure exactly one output, found %d", n)
	}
	return nil
}

type inputConfig struct {
	Enabled  bool          `yaml:"enabled"`
	Interval time.Duration `yaml:"interval"`
	PageSize int           `yaml:"page_size"`
}

func (c *inputConfig) SetDefaults() { c.Enabled, c.Interval, c.PageSize = true, 30*time.Second, 100 }

func (c *inputConfig) Validate() error {
	if c.PageSize < 1 {
		return Field("page_size", "must be at least 1")
	}
	return nil
}

type authConfig struct {
	URL   string `yaml:"url"`
	Token Secret `yaml:"token"`
}

func (c *authConfig) Validate() error {
	if c.URL == "" {
		return Field("url", "is required")
	}
	return nil
}

type routeConfig struct {
	Match string `yaml:"match"`
	Index string `yaml:"index"`
}

func (c *routeConfig) Validate() error {
	if c.Index == "" {
		return Field("index", "is required")
	}
	return nil
}

type rootConfig struct {
	Authentik authConfig              `yaml:"authentik"`
	Inputs    map[string]*inputConfig `yaml:"inputs"`
	Output    outputConfig            `yaml:"output"`
	Routes    []routeConfig           `yaml:"routes"`
	Tags      []string                `yaml:"tags"`
	Level     slog.Level              `yaml:"level"`
	Extra     map[string]any          `yaml:"extra"`
	Ignored   string                  // no tag: not configurable
}

func (c *rootConfig) Validate() error {
	seen := map[string]bool{}
	var errs []error
	for i, tag := range c.Tags {
		if seen[tag] {
			errs = append(errs, Field(fmt.Sprintf("tags.%d", i), "duplicate tag %q", tag))
		}
		seen[tag] = true
	}
	return errors.Join(errs...)
}

// defaultRoot is what a caller pre-fills before decoding.
func defaultRoot() rootConfig {
	return rootConfig{Authentik: authConfig{URL: "http://localhost:9000"}, Tags: []string{"default"},
		Level: slog.LevelInfo}
}
