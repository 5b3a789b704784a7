package useragent

import "akship/agent/config"

// Config is the processors.user_agent section of akship's configuration.
type Config struct {
	// CacheSize is how many parsed user agents are kept in an LRU cache.
	// Parsing runs hundreds of regular expressions, while a deployment sees
	// only a handful of distinct agents, so the cache absorbs almost every
	// lookup. 0 disables the cache. Default 10000.
	CacheSize int `yaml:"cache_size"`
}

// DefaultConfig returns the defaults: a cache of 10000 agents.
func DefaultConfig() Config { return Config{CacheSize: 10000} }

// Check rejects a negative cache size. (Not named Validate: the enclosing
// processors section validates its subsections itself.)
func (c *Config) Check() error {
	if c.CacheSize < 0 {
		return config.Field("cache_size", "must be 0 (no cache) or more, got %d", c.CacheSize)
	}
	return nil
}
