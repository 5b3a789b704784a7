package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"akship/agent/config"
	"akship/inputs/authentik"
	"akship/internal/monitor"
	"akship/internal/tracer"
	"akship/outputs/elasticsearch"
	"akship/outputs/file"
	"akship/processors/mapping"
)

// Config is akship's whole configuration file. Every section is documented
// in config.example.yml.
type Config struct {
	Authentik  authentik.ClientConfig `yaml:"authentik"`
	Inputs     InputsConfig           `yaml:"inputs"`
	Processors mapping.Config         `yaml:"processors"`
	Output     OutputConfig           `yaml:"output"`
	State      StateConfig            `yaml:"state"`
	Pipeline   PipelineConfig         `yaml:"pipeline"`
	Logging    LoggingConfig          `yaml:"logging"`
	HTTP       monitor.Config         `yaml:"http"`
	Tracer     tracer.Config          `yaml:"tracer"`
}

// InputsConfig holds the three authentik inputs.
type InputsConfig struct {
	Events authentik.EventsConfig   `yaml:"events"`
	Users  authentik.SnapshotConfig `yaml:"users"`
	Groups authentik.SnapshotConfig `yaml:"groups"`
}

// Validate requires at least one enabled input.
func (c *InputsConfig) Validate() error {
	if !c.Events.Enabled && !c.Users.Enabled && !c.Groups.Enabled {
		return config.Field("", "every input is disabled: enable at least one of events, users, groups")
	}
	return nil
}

// OutputConfig names the one output documents go to.
type OutputConfig struct {
	File          *file.Config          `yaml:"file"`
	Elasticsearch *elasticsearch.Config `yaml:"elasticsearch"`
}

// Validate requires exactly one output.
func (c *OutputConfig) Validate() error {
	n := 0
	if c.File != nil {
		n++
	}
	if c.Elasticsearch != nil {
		n++
	}
	if n != 1 {
		return config.Field("", "configure exactly one output (file or elasticsearch), found %d", n)
	}
	return nil
}

// StateConfig is where cursors are kept.
type StateConfig struct {
	// Path is the state directory (created 0700). Default akship-state.
	Path string `yaml:"path"`
}

// Validate checks the section.
func (c *StateConfig) Validate() error {
	if c.Path == "" {
		return config.Field("path", "is required")
	}
	return nil
}

// PipelineConfig tunes the pipeline between inputs and output.
type PipelineConfig struct {
	// Workers is the number of goroutines running processors. 0 = CPUs.
	Workers int `yaml:"workers"`
	// MaxInFlightPages bounds unacknowledged pages per input (memory).
	MaxInFlightPages int `yaml:"max_in_flight_pages"`
	// RetryInitial and RetryMax bound the backoff between delivery retries.
	RetryInitial time.Duration `yaml:"retry_initial"`
	RetryMax     time.Duration `yaml:"retry_max"`
	// ShutdownTimeout bounds draining after SIGTERM/SIGINT.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// GiveUpAfter ends run --once (exit 1) when every write to the output
	// has failed for this long; 0 retries forever. A daemon never gives up.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
	// DeadLetterPath is the NDJSON file for documents the output rejects
	// permanently. Default <state.path>/dead-letter.ndjson.
	DeadLetterPath string `yaml:"dead_letter_path"`
}

// Validate checks the section.
func (c *PipelineConfig) Validate() error {
	var errs []error
	if c.Workers < 0 {
		errs = append(errs, config.Field("workers", "must not be negative"))
	}
	if c.MaxInFlightPages < 1 {
		errs = append(errs, config.Field("max_in_flight_pages", "must be at least 1"))
	}
	if c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial {
		errs = append(errs, config.Field("retry_initial", "must be positive and not above retry_max"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, config.Field("shutdown_timeout", "must be positive"))
	}
	if c.GiveUpAfter < 0 {
		errs = append(errs, config.Field("give_up_after", "must not be negative (0 never gives up)"))
	}
	return errors.Join(errs...)
}

// LoggingConfig configures akship's own log.
type LoggingConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is json, text, or auto (text on a terminal, JSON otherwise).
	Format string `yaml:"format"`
}

// Validate checks the section.
func (c *LoggingConfig) Validate() error {
	var errs []error
	switch c.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, config.Field("level", "%q is not one of debug, info, warn, error", c.Level))
	}
	switch c.Format {
	case "auto", "json", "text":
	default:
		errs = append(errs, config.Field("format", "%q is not one of auto, json, text", c.Format))
	}
	return errors.Join(errs...)
}

// defaultConfig returns every default; the file overrides what it names.
func defaultConfig() Config {
	return Config{
		Authentik: authentik.DefaultClientConfig(),
		Inputs: InputsConfig{Events: authentik.DefaultEventsConfig(), Users: authentik.DefaultSnapshotConfig(),
			Groups: authentik.DefaultSnapshotConfig()},
		Processors: mapping.DefaultConfig(),
		State:      StateConfig{Path: "akship-state"},
		Pipeline: PipelineConfig{MaxInFlightPages: 8, RetryInitial: 250 * time.Millisecond,
			RetryMax: 30 * time.Second, ShutdownTimeout: 30 * time.Second, GiveUpAfter: 5 * time.Minute},
		Logging: LoggingConfig{Level: "info", Format: "auto"},
		HTTP:    monitor.DefaultConfig(),
		Tracer:  tracer.DefaultConfig(),
	}
}

// LoadConfig reads, decodes and validates a configuration file, returning
// every problem with its file, line and key. It also returns the parsed
// file, for config.Locate to place errors found later (building the
// components) without reading the file again, which may have changed.
func LoadConfig(path string) (*Config, *yaml.Node, error) {
	node, err := config.ParseFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := decodeConfig(path, node)
	if err != nil {
		return nil, nil, err
	}
	return cfg, node, nil
}

func decodeConfig(name string, node *yaml.Node) (*Config, error) {
	cfg := defaultConfig()
	d := config.Decoder{File: name, Env: os.LookupEnv}
	if err := d.Decode(node, &cfg); err != nil {
		return nil, err
	}
	if cfg.Pipeline.DeadLetterPath == "" {
		cfg.Pipeline.DeadLetterPath = filepath.Join(cfg.State.Path, "dead-letter.ndjson")
	}
	if cfg.Tracer.Path == "" {
		cfg.Tracer.Path = filepath.Join(cfg.State.Path, "trace", "http-trace.ndjson")
	}
	return &cfg, nil
}

// describeErrors renders a joined configuration error one problem a line.
func describeErrors(err error) string {
	out := ""
	for _, e := range config.Errors(err) {
		out += fmt.Sprintf("  %v\n", e)
	}
	return out
}

// secretOf makes a config.Secret from a literal (used by built-in defaults).
func secretOf(s string) config.Secret { return config.Secret(s) }
