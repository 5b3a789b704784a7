package mapping

import (
	_ "embed"
	"errors"
	"fmt"

	"akship/agent"
	"akship/agent/config"
	"akship/internal/datasets"
	"akship/processors/mapping/geoip"
	"akship/processors/mapping/useragent"
)

// Config is the processors section of akship's configuration: the
// enrichment databases and, per dataset, the tags and the CEL programs.
type Config struct {
	// GeoIP names the MaxMind databases for source.geo and source.as.
	GeoIP geoip.Config `yaml:"geoip"`
	// UserAgent configures the user-agent parser's cache.
	UserAgent useragent.Config `yaml:"user_agent"`
	// Event, User and Group configure each dataset's mapping.
	Event DatasetConfig `yaml:"event"`
	User  DatasetConfig `yaml:"user"`
	Group DatasetConfig `yaml:"group"`
}

// DatasetConfig configures the mapping of one dataset.
type DatasetConfig struct {
	// Tags become the document's tags. Default: forwarded and
	// authentik-<dataset>, as the reference. The tag
	// preserve_duplicate_custom_fields keeps the authentik.* fields that
	// were copied to ECS fields.
	Tags []string `yaml:"tags"`
	// Program is CEL source that replaces the default mapping (inline).
	Program string `yaml:"program"`
	// ProgramFile is a file holding CEL source that replaces the default
	// mapping. At most one of Program and ProgramFile may be set.
	ProgramFile string `yaml:"program_file"`
	// Extend is CEL source (inline) run after the mapping; it gets doc and
	// record and returns a map merged into the document.
	Extend string `yaml:"extend"`
	// ExtendFile is a file holding the Extend program. At most one of
	// Extend and ExtendFile may be set.
	ExtendFile string `yaml:"extend_file"`
}

// DefaultConfig returns the defaults: no GeoIP databases, a cache of 10000
// user agents, the default programs and the reference's default tags.
func DefaultConfig() Config {
	return Config{
		UserAgent: useragent.DefaultConfig(),
		Event:     DatasetConfig{Tags: DefaultTags(datasets.Event)},
		User:      DatasetConfig{Tags: DefaultTags(datasets.User)},
		Group:     DatasetConfig{Tags: DefaultTags(datasets.Group)},
	}
}

// DefaultTags returns the reference's default tags of a dataset:
// forwarded, authentik-<dataset>.
func DefaultTags(d agent.Dataset) []string {
	return []string{"forwarded", "authentik-" + string(d)}
}

// For returns the configuration of dataset d, for callers (such as the
// map command's --tag flag) that change one dataset's settings. It returns
// nil for an unknown dataset.
func (c *Config) For(d agent.Dataset) *DatasetConfig {
	switch d {
	case datasets.Event:
		return &c.Event
	case datasets.User:
		return &c.User
	case datasets.Group:
		return &c.Group
	}
	return nil
}

// Validate reports every problem with the section and its subsections,
// naming the keys relative to the section. The programs are compiled and the databases opened by New, whose errors name
// the program, line and column, or the file.
func (c *Config) Validate() error {
	var errs []error
	prefix := func(key string, err error) {
		for _, e := range config.Errors(err) {
			var fe *config.FieldError
			if errors.As(e, &fe) {
				errs = append(errs, config.Field(key+"."+fe.Key, "%v", fe.Err))
			} else {
				errs = append(errs, config.Field(key, "%v", e))
			}
		}
	}
	prefix("geoip", c.GeoIP.Check())
	prefix("user_agent", c.UserAgent.Check())
	for _, d := range datasets.All {
		prefix(string(d), c.For(d).check())
	}
	return errors.Join(errs...)
}

// check reports the problems of one dataset's settings (called by
// Config.Validate, so the config decoder reports each problem once).
func (c *DatasetConfig) check() error {
	var errs []error
	if c.Program != "" && c.ProgramFile != "" {
		errs = append(errs, config.Field("program_file", "set either program or program_file, not both"))
	}
	if c.Extend != "" && c.ExtendFile != "" {
		errs = append(errs, config.Field("extend_file", "set either extend or extend_file, not both"))
	}
	for i, t := range c.Tags {
		if t == "" {
			errs = append(errs, config.Field(fmt.Sprintf("tags.%d", i), "a tag cannot be empty"))
		}
	}
	return errors.Join(errs...)
}

// Sample is sample.yaml: every key of the processors section with its
// default, for documentation and `akship` configuration examples.
//
//go:embed sample.yaml
var Sample string
