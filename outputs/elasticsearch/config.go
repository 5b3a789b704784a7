package elasticsearch

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"akship/agent/config"
	"akship/internal/httpx"
)

// SampleConfig is sample.yaml: every option of the section with its
// default, for "akship config sample" and the README.
//
//go:embed sample.yaml
var SampleConfig string

// DefaultHost is the Elasticsearch address used when neither hosts nor
// cloud_id is configured.
const DefaultHost = "http://localhost:9200"

// Config is the output.elasticsearch section.
type Config struct {
	// Hosts lists the Elasticsearch URLs requests are spread over (round
	// robin, a failing node is skipped for a while). A path is kept as a
	// prefix, e.g. http://victorialogs:9428/insert/elasticsearch. Default
	// [http://localhost:9200] unless cloud_id is set.
	Hosts []string `yaml:"hosts"`
	// CloudID is an Elastic Cloud deployment id; it replaces hosts.
	CloudID string `yaml:"cloud_id"`
	// APIKey is the base64 "id:key" API key sent as "Authorization: ApiKey".
	APIKey config.Secret `yaml:"api_key"`
	// APIKeyFile reads the API key from a file instead.
	APIKeyFile string `yaml:"api_key_file"`
	// Username and Password authenticate with HTTP basic auth.
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	// PasswordFile reads the password from a file instead.
	PasswordFile string `yaml:"password_file"`
	// BearerToken is a service-account token or OAuth2 access token sent as
	// "Authorization: Bearer".
	BearerToken config.Secret `yaml:"bearer_token"`
	// BearerTokenFile reads the bearer token from a file instead.
	BearerTokenFile string `yaml:"bearer_token_file"`
	// Namespace is the data stream namespace: documents go to
	// logs-authentik.<dataset>-<namespace>. Default "default".
	Namespace string `yaml:"namespace"`
	// TLS configures server verification and the client certificate.
	TLS TLSConfig `yaml:"tls"`
	// Timeout bounds one HTTP request, including reading the answer.
	// Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// BulkMaxDocs is the largest number of documents in one bulk request.
	// Default 1600.
	BulkMaxDocs int `yaml:"bulk_max_docs"`
	// BulkMaxBytes bounds the uncompressed size of one bulk request body in
	// bytes; larger groups are sent as several requests. Default 5 MiB.
	BulkMaxBytes int `yaml:"bulk_max_bytes"`
	// FlushInterval is how long a partial bulk waits for more documents.
	// Default 1s.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Concurrency is the number of bulk requests in flight. Default 2.
	Concurrency int `yaml:"concurrency"`
	// CompressionLevel is the gzip level of request bodies: 0 sends them
	// uncompressed, 1 is fastest, 9 smallest. Default 1.
	CompressionLevel int `yaml:"compression_level"`
	// AllowNonElastic accepts servers that do not answer with the header
	// "X-Elastic-Product: Elasticsearch" (Elasticsearch-compatible ingest
	// endpoints). Default false: such a server is refused at start.
	AllowNonElastic bool `yaml:"allow_non_elastic"`
	// Headers are added to every request, e.g. VictoriaLogs's VL-Time-Field.
	Headers map[string]string `yaml:"headers"`
	// Parameters are added to the query string of bulk requests, e.g.
	// VictoriaLogs's _stream_fields.
	Parameters map[string]string `yaml:"parameters"`
	// ILM configures the lifecycle policy installed by "akship setup".
	ILM ILMConfig `yaml:"ilm"`
}

// TLSConfig is the tls block: how the server's certificate is verified and
// which client certificate is presented. It is the authentik section's tls
// block too, with the same meaning (see httpx.TLSConfig): ca_file replaces
// the system's CAs.
type TLSConfig = httpx.TLSConfig

// ILMConfig is the ilm block used by "akship setup".
type ILMConfig struct {
	// Enabled installs the lifecycle policy and links the data streams to
	// it. Disable it on serverless projects, which have no ILM. Default true.
	Enabled bool `yaml:"enabled"`
	// Retention is how long after rollover a backing index is deleted, in
	// Elasticsearch time units. Default 365d, like authentik's own event
	// retention.
	Retention string `yaml:"retention"`
	// RolloverMaxAge rolls the write index over after this age. Default 30d.
	RolloverMaxAge string `yaml:"rollover_max_age"`
	// RolloverMaxPrimaryShardSize rolls over when the primary shard reaches
	// this size. Default 50gb.
	RolloverMaxPrimaryShardSize string `yaml:"rollover_max_primary_shard_size"`
}

// DefaultConfig returns the configuration used for keys the file leaves out.
func DefaultConfig() Config {
	return Config{
		Namespace:        "default",
		Timeout:          60 * time.Second,
		BulkMaxDocs:      1600,
		BulkMaxBytes:     5 << 20,
		FlushInterval:    time.Second,
		Concurrency:      2,
		CompressionLevel: 1,
		ILM: ILMConfig{
			Enabled:                     true,
			Retention:                   "365d",
			RolloverMaxAge:              "30d",
			RolloverMaxPrimaryShardSize: "50gb",
		},
	}
}

// Addresses returns the hosts requests go to: Hosts, or DefaultHost when
// neither hosts nor cloud_id is set.
func (c *Config) Addresses() []string {
	if len(c.Hosts) == 0 && c.CloudID == "" {
		return []string{DefaultHost}
	}
	return c.Hosts
}

// Validate checks the section's own keys; tls and ilm validate themselves.
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, c.validateHosts()...)
	errs = append(errs, c.validateAuth()...)
	if err := validateNamespace(c.Namespace); err != nil {
		errs = append(errs, config.Field("namespace", "%v", err))
	}
	if c.Timeout <= 0 {
		errs = append(errs, config.Field("timeout", "must be positive, e.g. 60s"))
	}
	if c.BulkMaxDocs < 1 || c.BulkMaxDocs > 100_000 {
		errs = append(errs, config.Field("bulk_max_docs", "must be between 1 and 100000, got %d", c.BulkMaxDocs))
	}
	if c.BulkMaxBytes < 64<<10 || c.BulkMaxBytes > 100<<20 {
		errs = append(errs, config.Field("bulk_max_bytes",
			"must be between 65536 (64 KiB) and 104857600 (100 MiB, Elasticsearch's http.max_content_length), got %d",
			c.BulkMaxBytes))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, config.Field("flush_interval", "must be positive, e.g. 1s"))
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, config.Field("concurrency", "must be between 1 and 64, got %d", c.Concurrency))
	}
	if c.CompressionLevel < 0 || c.CompressionLevel > 9 {
		errs = append(errs, config.Field("compression_level",
			"must be between 0 (no compression) and 9 (smallest), got %d", c.CompressionLevel))
	}
	errs = append(errs, validateHeaders(c.Headers)...)
	return errors.Join(errs...)
}

func (c *Config) validateHosts() []error {
	var errs []error
	if c.CloudID != "" && len(c.Hosts) > 0 {
		errs = append(errs, config.Field("cloud_id", "set either cloud_id or hosts, not both"))
	}
	for i, h := range c.Hosts {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, config.Field(fmt.Sprintf("hosts.%d", i),
				"%q is not an http:// or https:// URL with a host", redactURL(h)))
			continue
		}
		if u.User != nil {
			errs = append(errs, config.Field(fmt.Sprintf("hosts.%d", i),
				"put credentials in username/password, not in the URL"))
		}
	}
	if c.CloudID != "" {
		if _, err := cloudAddress(c.CloudID); err != nil {
			errs = append(errs, config.Field("cloud_id", "%v", err))
		}
	}
	return errs
}

func (c *Config) validateAuth() []error {
	var errs []error
	both := func(secret config.Secret, file, key string) {
		if secret.IsSet() && file != "" {
			errs = append(errs, config.Field(key+"_file", "set either %s or %s_file, not both", key, key))
		}
	}
	both(c.APIKey, c.APIKeyFile, "api_key")
	both(c.Password, c.PasswordFile, "password")
	both(c.BearerToken, c.BearerTokenFile, "bearer_token")
	hasPassword := c.Password.IsSet() || c.PasswordFile != ""
	methods := 0
	for _, set := range []bool{
		c.APIKey.IsSet() || c.APIKeyFile != "",
		c.Username != "" || hasPassword,
		c.BearerToken.IsSet() || c.BearerTokenFile != "",
	} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		errs = append(errs, config.Field("", "set only one of api_key, username/password and bearer_token"))
	}
	if c.Username != "" && !hasPassword {
		errs = append(errs, config.Field("password", "is required with username (or use password_file)"))
	}
	if c.Username == "" && hasPassword {
		errs = append(errs, config.Field("username", "is required with password"))
	}
	return errs
}

// namespaceForbidden are the characters Elastic's data stream naming scheme
// forbids in a namespace (the index name rules plus "-", which separates
// the parts of a data stream name).
const namespaceForbidden = `\/*?"<>|, #:-`

func validateNamespace(ns string) error {
	switch {
	case ns == "":
		return errors.New("must not be empty")
	case len(ns) > 100:
		return fmt.Errorf("must be at most 100 bytes, got %d", len(ns))
	case strings.ToLower(ns) != ns:
		return fmt.Errorf("%q must be lower case", ns)
	case strings.ContainsAny(ns, namespaceForbidden):
		return fmt.Errorf("%q must not contain any of %q or a space", ns, namespaceForbidden)
	}
	return nil
}

// reservedHeaders are set by the output itself.
var reservedHeaders = []string{"Authorization", "Content-Type", "Content-Encoding", "Content-Length", "Host"}

func validateHeaders(h map[string]string) []error {
	var errs []error
	for name := range h {
		for _, r := range reservedHeaders {
			if http.CanonicalHeaderKey(name) == r {
				errs = append(errs, config.Field("headers."+name, "is set by akship and cannot be overridden"))
			}
		}
	}
	return errs
}

// esTimeUnit and esByteSize match Elasticsearch time and byte size values.
var (
	esTimeUnit = regexp.MustCompile(`^[1-9][0-9]*(d|h|m|s)$`)
	esByteSize = regexp.MustCompile(`^[1-9][0-9]*(b|kb|mb|gb|tb)$`)
)

// Validate checks the ilm block.
func (l *ILMConfig) Validate() error {
	var errs []error
	if !esTimeUnit.MatchString(l.Retention) {
		errs = append(errs, config.Field("retention", "%q is not a time like 365d, 720h", l.Retention))
	}
	if !esTimeUnit.MatchString(l.RolloverMaxAge) {
		errs = append(errs, config.Field("rollover_max_age", "%q is not a time like 30d, 24h", l.RolloverMaxAge))
	}
	if !esByteSize.MatchString(l.RolloverMaxPrimaryShardSize) {
		errs = append(errs, config.Field("rollover_max_primary_shard_size",
			"%q is not a size like 50gb", l.RolloverMaxPrimaryShardSize))
	}
	return errors.Join(errs...)
}

// validateAll validates the section and its blocks, for callers that did
// not go through the configuration decoder.
func validateAll(c *Config) error {
	prefix := func(p string, err error) []error {
		var out []error
		for _, e := range config.Errors(err) {
			var fe *config.FieldError
			if errors.As(e, &fe) {
				out = append(out, &config.FieldError{Key: p + "." + fe.Key, Err: fe.Err})
				continue
			}
			out = append(out, e)
		}
		return out
	}
	errs := config.Errors(c.Validate())
	errs = append(errs, prefix("tls", c.TLS.Validate())...)
	errs = append(errs, prefix("ilm", c.ILM.Validate())...)
	return errors.Join(errs...)
}

// redactURL hides a password written into a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			return "…" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

// SetDefaults fills c with the defaults; the configuration loader calls it
// when the file names this section.
func (c *Config) SetDefaults() { *c = DefaultConfig() }
