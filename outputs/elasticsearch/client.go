package elasticsearch

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	es "github.com/elastic/go-elasticsearch/v8"

	"akship/agent/config"
	"akship/internal/httpx"
)

// credentials are the resolved secrets: values from the file keys read.
type credentials struct {
	apiKey, password, bearer config.Secret
}

// readCredentials resolves the *_file keys. Errors name the key, never the
// secret.
func readCredentials(c *Config) (credentials, error) {
	cr := credentials{apiKey: c.APIKey, password: c.Password, bearer: c.BearerToken}
	var errs []error
	read := func(dst *config.Secret, file, key string) {
		if file == "" {
			return
		}
		s, err := config.ReadSecretFile(file)
		if err != nil {
			errs = append(errs, config.Field(key, "%v", err))
			return
		}
		*dst = s
	}
	read(&cr.apiKey, c.APIKeyFile, "api_key_file")
	read(&cr.password, c.PasswordFile, "password_file")
	read(&cr.bearer, c.BearerTokenFile, "bearer_token_file")
	return cr, errors.Join(errs...)
}

// newClient builds the go-elasticsearch client for the configuration.
//
// The client's own retries are off: the pipeline retries with backoff and
// needs to see every failure (and Retry-After) itself. Only a network error
// on one of several hosts is retried at once on the next host, which the
// connection pool then avoids for a while.
func newClient(c *Config, wrap func(http.RoundTripper) http.RoundTripper) (*es.Client, error) {
	cr, err := readCredentials(c)
	if err != nil {
		return nil, err
	}
	tr, err := newTransport(c)
	if err != nil {
		return nil, err
	}
	addrs := c.Addresses()
	if c.CloudID != "" {
		addr, err := cloudAddress(c.CloudID)
		if err != nil {
			return nil, config.Field("cloud_id", "%v", err)
		}
		addrs = []string{addr}
	}
	header := http.Header{}
	for k, v := range c.Headers {
		header.Set(k, v)
	}
	cfg := es.Config{
		Addresses:    addrs,
		APIKey:       cr.apiKey.Value(),
		Username:     c.Username,
		Password:     cr.password.Value(),
		ServiceToken: cr.bearer.Value(),
		Header:       header,
		Transport:    httpx.Wrap(tr, wrap),
		// Status retries are the pipeline's job; a value no server sends
		// replaces the default list (502, 503, 504).
		RetryOnStatus: []int{-1},
		MaxRetries:    max(len(addrs)-1, 0),
		DisableRetry:  len(addrs) < 2,
		RetryOnError: func(r *http.Request, err error) bool {
			return r.Context().Err() == nil
		},
		DisableMetaHeader: false,
	}
	client, err := es.NewClient(cfg)
	if err != nil {
		// The client's messages quote the configuration, never secrets.
		return nil, fmt.Errorf("creating the Elasticsearch client failed: %w", err)
	}
	return client, nil
}

// newTransport builds the HTTP transport (internal/httpx): pooled
// keep-alive connections, enough idle ones for every concurrent request to
// reuse its own, and TLS.
func newTransport(c *Config) (*http.Transport, error) {
	tlsCfg, err := c.TLS.Build("tls")
	if err != nil {
		return nil, err
	}
	return httpx.NewTransport(httpx.TransportOptions{
		TLS:                   tlsCfg,
		MaxIdleConns:          4 * c.Concurrency,
		MaxIdleConnsPerHost:   2 * c.Concurrency,
		ResponseHeaderTimeout: c.Timeout,
	}), nil
}

// cloudAddress decodes an Elastic Cloud id, "name:base64(host$es$kibana)",
// into the deployment's Elasticsearch URL.
func cloudAddress(id string) (string, error) {
	_, enc, ok := strings.Cut(id, ":")
	if !ok {
		return "", errors.New("is not of the form <name>:<base64 data>")
	}
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", errors.New("the part after the colon is not valid base64")
	}
	parts := strings.Split(string(data), "$")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", errors.New("the decoded data is not <host>$<elasticsearch id>[$<kibana id>]")
	}
	host, port, hasPort := strings.Cut(parts[0], ":")
	addr := "https://" + parts[1] + "." + host
	if hasPort && port != "443" {
		addr += ":" + port
	}
	return addr, nil
}
