package authentik

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"akship/agent/config"
	"akship/internal/httpx"
)

// ClientConfig is the `authentik:` section: where authentik is and how to
// talk to it. It is shared by the events, users and groups inputs.
type ClientConfig struct {
	// URL is authentik's base URL, e.g. https://authentik.example.com.
	// Required. The API path /api/v3/ is appended.
	URL string `yaml:"url"`
	// Token is an authentik API token (intent "api"; app passwords are not
	// accepted by authentik's API). Use ${ENV} or TokenFile rather than
	// writing it in the file.
	Token config.Secret `yaml:"token"`
	// TokenFile is a file holding the token (e.g. a Kubernetes or systemd
	// credential). Exactly one of Token and TokenFile is required.
	TokenFile string `yaml:"token_file"`
	// Timeout bounds one HTTP request, including reading the body.
	// Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxRetries is how many times a failed request (network error, 429,
	// 5xx, truncated body) is retried before the poll is postponed.
	// Default 5.
	MaxRetries int `yaml:"max_retries"`
	// BackoffInitial and BackoffMax bound the exponential backoff between
	// retries (Retry-After from the server wins when longer). Defaults 1s
	// and 60s.
	BackoffInitial time.Duration `yaml:"backoff_initial"`
	BackoffMax     time.Duration `yaml:"backoff_max"`
	// TLS configures certificate verification, which is always on unless
	// Insecure is set, and the client certificate.
	TLS TLSConfig `yaml:"tls"`
}

// TLSConfig configures HTTPS to authentik: the same tls block as
// output.elasticsearch's, with the same meaning (see httpx.TLSConfig):
// ca_file replaces the system's CAs, cert_file/key_file present a client
// certificate, ca_fingerprint pins a certificate of the chain, insecure
// disables verification (never in production: the token would be sent to
// whoever answers).
type TLSConfig = httpx.TLSConfig

// DefaultClientConfig returns the client defaults.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{Timeout: 30 * time.Second, MaxRetries: 5, BackoffInitial: time.Second,
		BackoffMax: time.Minute}
}

// Validate checks the section.
func (c *ClientConfig) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, config.Field("url", "is required (authentik's base URL, e.g. https://authentik.example.com)"))
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, config.Field("url", "%q is not an http(s) URL", c.URL))
	}
	switch {
	case c.Token.IsSet() && c.TokenFile != "":
		errs = append(errs, config.Field("token", "set either token or token_file, not both"))
	case !c.Token.IsSet() && c.TokenFile == "":
		errs = append(errs, config.Field("token", "is required: set token (e.g. ${AUTHENTIK_TOKEN}) or token_file"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, config.Field("timeout", "must be positive"))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, config.Field("max_retries", "must not be negative"))
	}
	if c.BackoffInitial <= 0 || c.BackoffMax < c.BackoffInitial {
		errs = append(errs, config.Field("backoff_initial", "must be positive and not above backoff_max"))
	}
	return errors.Join(errs...)
}

// EventsConfig is the `inputs.events:` section.
type EventsConfig struct {
	// Enabled turns the input on. Default true.
	Enabled bool `yaml:"enabled"`
	// Interval is the time between polls in daemon mode. Default 30s: a
	// poll with nothing new costs one request.
	Interval time.Duration `yaml:"interval"`
	// PageSize is the number of events per request. Default 500. authentik
	// before 2026.2 enforces no maximum (very large pages make slow
	// requests); 2026.2+ silently serves at most its
	// pagination_max_page_size (100 by default), which the inputs detect.
	PageSize int `yaml:"page_size"`
	// Start decides what the first run collects: "beginning" (every stored
	// event, the default), "now" (only events created from the first start
	// on), or an RFC 3339 time. Ignored once a cursor exists.
	Start string `yaml:"start"`
	// Overlap is how far below the newest collected event each poll looks
	// again, to catch events written late (authentik timestamps events with
	// the app server's clock before inserting them). Events seen before
	// are recognised by pk and not shipped twice. Each poll re-reads the
	// events of this window, so keep it near the longest delay between an
	// event's timestamp and its insertion (clock skew between authentik
	// replicas plus transaction time). Default 1m.
	Overlap time.Duration `yaml:"overlap"`
	// Walk chooses how the events are walked: "auto" (the default) uses
	// the keyset walk where authentik's query language filters by created
	// (2025.8+, checked at start), the offset walk otherwise; "offset"
	// always walks newest first by page number; "keyset" insists on the
	// query language. See the README for both.
	Walk string `yaml:"walk"`
}

// DefaultEventsConfig returns the events input defaults.
func DefaultEventsConfig() EventsConfig {
	return EventsConfig{Enabled: true, Interval: 30 * time.Second, PageSize: 500, Start: "beginning",
		Overlap: time.Minute, Walk: WalkAuto}
}

// Validate checks the section.
func (c *EventsConfig) Validate() error {
	errs := []error{validateCommon(c.Interval, c.PageSize)}
	if _, err := parseStart(c.Start, time.Now()); err != nil {
		errs = append(errs, config.Field("start", "%v", err))
	}
	if c.Overlap < 0 {
		errs = append(errs, config.Field("overlap", "must not be negative"))
	}
	switch c.Walk {
	case WalkAuto, WalkOffset, WalkKeyset:
	default:
		errs = append(errs, config.Field("walk", "%q is not one of auto, offset, keyset", c.Walk))
	}
	return errors.Join(errs...)
}

// SnapshotConfig is the `inputs.users:` and `inputs.groups:` section.
type SnapshotConfig struct {
	// Enabled turns the input on. Default true.
	Enabled bool `yaml:"enabled"`
	// Interval is the time between full snapshots. Default 1h. authentik
	// keeps no change timestamps on users and groups, so each snapshot
	// lists them all; unchanged records are absorbed as duplicates.
	Interval time.Duration `yaml:"interval"`
	// PageSize is the number of records per request. Default 500.
	PageSize int `yaml:"page_size"`
}

// DefaultSnapshotConfig returns the users/groups input defaults.
func DefaultSnapshotConfig() SnapshotConfig {
	return SnapshotConfig{Enabled: true, Interval: time.Hour, PageSize: 500}
}

// Validate checks the section.
func (c *SnapshotConfig) Validate() error { return validateCommon(c.Interval, c.PageSize) }

func validateCommon(interval time.Duration, pageSize int) error {
	var errs []error
	if interval < time.Second {
		errs = append(errs, config.Field("interval", "must be at least 1s"))
	}
	if pageSize < 1 || pageSize > 10000 {
		errs = append(errs, config.Field("page_size", "must be between 1 and 10000"))
	}
	return errors.Join(errs...)
}

// parseStart turns the start setting into the oldest created time to
// collect (zero = everything).
func parseStart(s string, now time.Time) (time.Time, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "beginning":
		return time.Time{}, nil
	case "now":
		return now.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not beginning, now, or an RFC 3339 time such as 2025-01-31T00:00:00Z", s)
	}
	return t.UTC(), nil
}
