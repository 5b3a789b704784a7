package elasticsearch

import (
	"fmt"
	"strings"

	"akship/agent"
	"akship/internal/netfail"
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
	switch {
	case netfail.PlainHTTP(err):
		return agent.Misconfigured(fmt.Errorf("%s: %s answers in plain HTTP, not HTTPS: write http:// in %s, "+
			"or enable TLS on the server", key, hosts, key))
	case isCertificateError(err):
		return agent.Misconfigured(fmt.Errorf("%s: the certificate of %s does not verify (%w): set "+
			"output.elasticsearch.tls.ca_file or tls.ca_fingerprint", key, hosts, netfail.Inner(err)))
	case !o.answered.Load() && netfail.UnknownHost(err):
		return agent.Misconfigured(fmt.Errorf("%s: the host is unknown (%w): check the name in %s", key,
			netfail.Inner(err), key))
	}
	return nil
}
