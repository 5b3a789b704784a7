package elasticsearch

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"

	"akship/agent/config"
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
		Transport:    wrapTransport(tr, wrap),
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

// newTransport builds the HTTP transport: pooled keep-alive connections
// (enough idle ones for every concurrent request to reuse its own) and TLS.
func newTransport(c *Config) (*http.Transport, error) {
	tlsCfg, err := newTLSConfig(&c.TLS)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          4 * c.Concurrency,
		MaxIdleConnsPerHost:   2 * c.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}, nil
}

// newTLSConfig builds the client TLS configuration.
//
// The fingerprint is checked here rather than with go-elasticsearch's
// CertificateFingerprint option, whose dialer ignores the request context
// (a hung handshake is not cancelled) and the client certificate. Like
// Beats' ca_trusted_fingerprint, the matching certificate becomes a trusted
// root and the chain and host name are then verified as usual.
func newTLSConfig(t *TLSConfig) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, config.Field("tls.cert_file", "loading the client certificate failed: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if t.Insecure {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	var roots *x509.CertPool
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, config.Field("tls.ca_file", "reading the CA file failed: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, config.Field("tls.ca_file", "%s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = roots
	}
	if t.CAFingerprint != "" {
		fp, err := parseFingerprint(t.CAFingerprint)
		if err != nil {
			return nil, config.Field("tls.ca_fingerprint", "%v", err)
		}
		// Verification moves to VerifyConnection, which sees the chain.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = verifyPinned(fp, roots)
	}
	return cfg, nil
}

// verifyPinned verifies a server chain against roots plus whichever
// certificate of the chain has the SHA-256 fingerprint fp.
func verifyPinned(fp []byte, roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server sent no certificate")
		}
		pool := x509.NewCertPool()
		if roots != nil {
			pool = roots.Clone()
		}
		matched := false
		for _, cert := range cs.PeerCertificates {
			sum := sha256.Sum256(cert.Raw)
			if bytes.Equal(sum[:], fp) {
				pool.AddCert(cert)
				matched = true
			}
		}
		if !matched && roots == nil {
			return errors.New("no certificate of the server matches tls.ca_fingerprint")
		}
		inter := x509.NewCertPool()
		for _, cert := range cs.PeerCertificates[1:] {
			inter.AddCert(cert)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: pool, Intermediates: inter, DNSName: cs.ServerName,
		})
		return err
	}
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

// wrapTransport applies an optional wrapper (the request tracer).
func wrapTransport(tr *http.Transport, wrap func(http.RoundTripper) http.RoundTripper) http.RoundTripper {
	if wrap == nil {
		return tr
	}
	return wrap(tr)
}
