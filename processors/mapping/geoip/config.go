package geoip

import (
	"errors"
	"strings"

	"akship/agent/config"
)

// Config selects the MaxMind databases used to enrich source.ip. It is the
// processors.geoip section of akship's configuration.
type Config struct {
	// CityDatabase is the path of a GeoLite2-City or GeoIP2-City .mmdb
	// file; it fills source.geo.*. Empty (the default) means no source.geo.
	CityDatabase string `yaml:"city_database"`
	// ASNDatabase is the path of a GeoLite2-ASN .mmdb file; it fills
	// source.as.*. Empty (the default) means no source.as.
	ASNDatabase string `yaml:"asn_database"`
}

// Check reports settings that cannot work, naming the keys. Whether the
// files exist and hold the right kind of database is checked when they are
// opened (Open), so a start-up error names the file. (It is not called
// Validate on purpose: the enclosing processors section validates its
// subsections itself, and the config decoder would otherwise report each
// problem twice.)
func (c *Config) Check() error {
	var errs []error
	if c.CityDatabase != "" && strings.TrimSpace(c.CityDatabase) == "" {
		errs = append(errs, config.Field("city_database", "is only white space"))
	}
	if c.ASNDatabase != "" && strings.TrimSpace(c.ASNDatabase) == "" {
		errs = append(errs, config.Field("asn_database", "is only white space"))
	}
	return errors.Join(errs...)
}
