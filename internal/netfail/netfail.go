// Package netfail recognises the transport failures of an HTTP request
// that retrying cannot fix because the configuration is wrong: an
// https:// URL whose server answers in plain HTTP, and a host name that
// does not exist. The inputs and outputs turn them into messages naming
// their own configuration keys.
package netfail

import (
	"crypto/tls"
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
