package elasticsearch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"akship/agent"
)

// mistake returns the configuration mistake a failed request reveals,
// marked agent.Misconfigured with a message that begins with the key at
// fault and says the likely fix, or nil when retrying may help:
//   - an https:// host answered in plain HTTP;
//   - a certificate that does not verify;
//   - a host name that does not resolve, until the server first answered
//     (later, a name that resolved before is a DNS outage, not a typo).
//
// The pipeline stops on such an error instead of retrying it forever.
func (o *Output) mistake(err error) error {
	if err == nil {
		return nil
	}
	key := "output.elasticsearch.hosts"
	if o.cfg.CloudID != "" {
		key = "output.elasticsearch.cloud_id"
	}
	hosts := strings.Join(o.hostsForLog(), ", ")
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &rec) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return agent.Misconfigured(fmt.Errorf("%s: %s answers in plain HTTP, not HTTPS: write http:// in %s, "+
			"or enable TLS on the server", key, hosts, key))
	case isCertificateError(err):
		return agent.Misconfigured(fmt.Errorf("%s: the certificate of %s does not verify (%w): set "+
			"output.elasticsearch.tls.ca_file or tls.ca_fingerprint", key, hosts, innerError(err)))
	case !o.answered.Load() && isUnknownHost(err):
		return agent.Misconfigured(fmt.Errorf("%s: the host is unknown (%w): check the name in %s", key,
			innerError(err), key))
	}
	return nil
}

// isUnknownHost reports whether err is a DNS answer that the name does not
// exist.
func isUnknownHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// innerError drops the *url.Error around a transport error: its text
// repeats the method and the whole URL, credentials included.
func innerError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
