package authentik

import (
	"fmt"
	"net/http"
	"strings"

	"akship/agent"
	"akship/internal/netfail"
)

// mistake returns the configuration mistake a failed request reveals,
// marked agent.Misconfigured with a message that begins with the key at
// fault and says the likely fix, or nil when retrying may help:
//   - an https:// authentik.url answered in plain HTTP;
//   - a certificate that does not verify;
//   - a host name that does not resolve, until authentik first answered
//     (later, a name that resolved before is a DNS outage, not a typo).
func (c *Client) mistake(err error) error {
	if err == nil {
		return nil
	}
	host := c.base.Host
	switch {
	case netfail.PlainHTTP(err):
		return agent.Misconfigured(fmt.Errorf("authentik.url: %s answers in plain HTTP, not HTTPS: write "+
			"http:// in authentik.url, or serve authentik over TLS", host))
	case netfail.Certificate(err):
		return agent.Misconfigured(fmt.Errorf("authentik.url: the certificate of %s does not verify (%w): set "+
			"authentik.tls.ca_file to the CA that signed it", host, redactErr(netfail.Inner(err), c.token)))
	case !c.answered.Load() && netfail.UnknownHost(err):
		return agent.Misconfigured(fmt.Errorf("authentik.url: the host %s is unknown (%w): check the name in "+
			"authentik.url", c.base.Hostname(), netfail.Inner(err)))
	}
	return nil
}

// statusMistake returns the configuration mistake a response reveals (see
// mistake), or nil: a plain-HTTP request to an HTTPS server, or a
// rejected token (401: every collection would be refused alike).
func (c *Client) statusMistake(resp *http.Response, detail string) error {
	switch {
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(detail, "HTTP request to an HTTPS server"):
		return agent.Misconfigured(fmt.Errorf("authentik.url: %s speaks HTTPS: write https:// in authentik.url",
			c.base.Host))
	case resp.StatusCode == http.StatusUnauthorized:
		key := "authentik.token"
		if c.cfg.TokenFile != "" {
			key = "authentik.token_file"
		}
		return agent.Misconfigured(fmt.Errorf("%s: authentik rejected the token (401 %s): it must be an API "+
			"token (intent api, not an app password) of an active user, and not expired", key, detail))
	}
	return nil
}
