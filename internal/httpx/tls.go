package httpx

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"strings"

	"akship/agent/config"
)

// TLSConfig is the tls block of a client section (authentik.tls,
// output.elasticsearch.tls): how the server's certificate is verified and
// which client certificate is presented.
type TLSConfig struct {
	// CAFile is a PEM file of the certificate authorities to trust. It
	// replaces the system's: a server whose certificate another CA signed,
	// a public one included, is refused. Empty: the system's CAs.
	CAFile string `yaml:"ca_file"`
	// CAFingerprint is the SHA-256 of a certificate in the server's chain
	// (hex, colons allowed), as Elasticsearch prints it on first start. The
	// certificate that matches is trusted as a root, beside ca_file's
	// (without ca_file, it is the only root).
	CAFingerprint string `yaml:"ca_fingerprint"`
	// CertFile and KeyFile are the PEM client certificate and its key,
	// presented when the server asks for one (mutual TLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Insecure skips all server certificate verification. Never use it in
	// production; a warning is logged at start.
	Insecure bool `yaml:"insecure"`
}

// Validate checks the block without reading its files.
func (t *TLSConfig) Validate() error {
	var errs []error
	if t.CAFingerprint != "" {
		if _, err := parseFingerprint(t.CAFingerprint); err != nil {
			errs = append(errs, config.Field("ca_fingerprint", "%v", err))
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, config.Field("key_file", "cert_file and key_file must be set together"))
	}
	if t.Insecure && (t.CAFile != "" || t.CAFingerprint != "") {
		errs = append(errs, config.Field("insecure", "contradicts ca_file/ca_fingerprint: insecure skips verification"))
	}
	return errors.Join(errs...)
}

// Build reads the block's files and returns the client TLS configuration.
// key is the block's key for error messages ("authentik.tls", or "tls" for
// a caller that prefixes its section itself); errors are
// *config.FieldError naming key.ca_file, key.cert_file and so on.
//
// The fingerprint is checked in VerifyConnection, which sees the chain.
// Like Beats' ca_trusted_fingerprint, the matching certificate becomes a
// trusted root and the chain and host name are then verified as usual.
func (t *TLSConfig) Build(key string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, config.Field(key+".cert_file", "loading the client certificate failed: %v", err)
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
			return nil, config.Field(key+".ca_file", "reading the CA file failed: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, config.Field(key+".ca_file", "%s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = roots
	}
	if t.CAFingerprint != "" {
		fp, err := parseFingerprint(t.CAFingerprint)
		if err != nil {
			return nil, config.Field(key+".ca_fingerprint", "%v", err)
		}
		// Verification moves to VerifyConnection, which sees the chain.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = verifyPinned(fp, roots, key+".ca_fingerprint")
	}
	return cfg, nil
}

// verifyPinned verifies a server chain against roots plus whichever
// certificate of the chain has the SHA-256 fingerprint fp (that one alone
// when roots is nil).
func verifyPinned(fp []byte, roots *x509.CertPool, key string) func(tls.ConnectionState) error {
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
			return errors.New("no certificate of the server matches " + key)
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

// parseFingerprint decodes a SHA-256 fingerprint written as hex, with or
// without colons, in either case.
func parseFingerprint(s string) ([]byte, error) {
	clean := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != 32 {
		return nil, errors.New("must be the SHA-256 of the certificate in hex (64 hex digits, colons allowed)")
	}
	return b, nil
}
