package monitor

import (
	_ "embed"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"akship/agent/config"
)

// Config is the `http:` section: where the monitoring endpoint listens and
// when the agent stops counting as ready.
type Config struct {
	// Listen is the host:port the endpoint listens on, e.g.
	// "127.0.0.1:9108". Empty (the default) turns the endpoint off.
	Listen string `yaml:"listen"`
	// AllowRemote permits a Listen address beyond the loopback interface
	// ("0.0.0.0:9108", ":9108", a LAN address or a host name). The endpoint
	// has no authentication, so this is off by default.
	AllowRemote bool `yaml:"allow_remote"`
	// UnreachableAfter is how long authentik or the output may keep
	// failing (or the output stay blocked) before /readyz answers 503.
	// Default 2m.
	UnreachableAfter time.Duration `yaml:"unreachable_after"`
}

// DefaultUnreachableAfter is the default of Config.UnreachableAfter.
const DefaultUnreachableAfter = 2 * time.Minute

// DefaultConfig returns the defaults: endpoint off, loopback only, 2m.
func DefaultConfig() Config {
	return Config{UnreachableAfter: DefaultUnreachableAfter}
}

// Sample is sample.yaml: every key of the section with its default.
//
//go:embed sample.yaml
var Sample string

// Validate checks the section. A listen address beyond the loopback
// interface is refused unless allow_remote is set, because /status and
// /metrics describe the deployment to anyone who can connect.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen != "" {
		if err := checkListen(c.Listen, c.AllowRemote); err != nil {
			errs = append(errs, err)
		}
	}
	if c.UnreachableAfter <= 0 {
		errs = append(errs, config.Field("unreachable_after", "must be positive (e.g. 2m)"))
	}
	return errors.Join(errs...)
}

// checkListen validates a host:port listen address.
func checkListen(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return config.Field("listen", "%q is not host:port (e.g. 127.0.0.1:9108)", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return config.Field("listen", "%q has an invalid port %q (want 0-65535)", addr, port)
	}
	if allowRemote || isLoopback(host) {
		return nil
	}
	where := "on " + host + ", which is not a loopback address"
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		where = "on every interface"
	}
	return config.Field("listen", "%q would listen %s: the endpoint has no authentication and "+
		"shows the deployment's state to anyone who can connect; use 127.0.0.1:%s (or [::1]:%s), "+
		"or set allow_remote: true if a firewall or proxy protects it", addr, where, port, port)
}

// isLoopback reports whether host can only be reached from this machine:
// "localhost" or a loopback IP. Other names are not resolved, because what
// they resolve to can change after validation.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
