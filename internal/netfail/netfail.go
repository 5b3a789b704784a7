// Package netfail recognises the transport failures of an HTTP request
// that retrying cannot fix because the configuration is wrong: an
// https:// URL whose server answers in plain HTTP, a certificate that does
// not verify, and a host name that does not exist. The inputs and outputs turn them into messages naming
// their own configuration keys.
package netfail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
)

// PlainHTTP reports whether err is a TLS handshake answered in plain HTTP:
// the URL says https:// but the server does not speak TLS.
func PlainHTTP(err error) bool {
	var rec tls.RecordHeaderError
	return errors.As(err, &rec) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// Certificate reports whether err is a server certificate that does not
// verify: an unknown authority, a name it is not valid for, or an invalid
// (expired, not yet valid, wrong usage) certificate.
func Certificate(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// UnknownHost reports whether err is a DNS answer that the name does not
// exist (not a DNS server that failed to answer).
func UnknownHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// Inner drops the *url.Error around a transport error: its text repeats the
// method and the whole URL, which a message naming the key does not need
// (and which may carry credentials).
func Inner(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
