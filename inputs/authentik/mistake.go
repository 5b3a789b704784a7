package authentik

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"akship/agent"
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
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &rec) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return agent.Misconfigured(fmt.Errorf("authentik.url: %s answers in plain HTTP, not HTTPS: write "+
			"http:// in authentik.url, or serve authentik over TLS", host))
	case isCertificateError(err):
		return agent.Misconfigured(fmt.Errorf("authentik.url: the certificate of %s does not verify (%w): set "+
			"authentik.tls.ca_file to the CA that signed it", host, redactErr(unwrapURLError(err), c.token)))
	case !c.answered.Load() && isUnknownHost(err):
		return agent.Misconfigured(fmt.Errorf("authentik.url: the host %s is unknown (%w): check the name in "+
			"authentik.url", c.base.Hostname(), unwrapURLError(err)))
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

// isUnknownHost reports whether err is a DNS answer that the name does not
// exist.
func isUnknownHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// unwrapURLError drops the *url.Error around a transport error: its text
// repeats the method and the whole URL, which the message names already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
