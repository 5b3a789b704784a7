package httpx

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// TransportOptions sizes a transport.
type TransportOptions struct {
	// TLS is the client TLS configuration (TLSConfig.Build).
	TLS *tls.Config
	// MaxIdleConnsPerHost is how many idle connections to one host are
	// kept for reuse; MaxIdleConns bounds them over all hosts (0: no
	// bound).
	MaxIdleConnsPerHost int
	MaxIdleConns        int
	// ResponseHeaderTimeout bounds the wait for an answer's headers once
	// the request was sent (0: none; the caller's request timeout still
	// applies).
	ResponseHeaderTimeout time.Duration
}

// Timeouts of the connection set-up, the same for every server akship
// talks to: a host that does not accept a connection or finish a TLS
// handshake within them is unreachable, not slow.
const (
	DialTimeout         = 10 * time.Second
	TLSHandshakeTimeout = 10 * time.Second
	// IdleConnTimeout closes a pooled connection unused this long.
	IdleConnTimeout = 90 * time.Second
)

// NewTransport returns an HTTP transport with pooled keep-alive
// connections, HTTP/2 where the server offers it, and the proxy the
// environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
func NewTransport(o TransportOptions) *http.Transport {
	dialer := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       o.TLS,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		MaxIdleConns:          o.MaxIdleConns,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		IdleConnTimeout:       IdleConnTimeout,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// Wrap applies an optional wrapper (the request tracer) to a transport.
func Wrap(rt http.RoundTripper, wrap func(http.RoundTripper) http.RoundTripper) http.RoundTripper {
	if wrap == nil {
		return rt
	}
	return wrap(rt)
}
