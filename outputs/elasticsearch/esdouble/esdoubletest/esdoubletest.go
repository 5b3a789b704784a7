// Package esdoubletest serves the Elasticsearch double (package esdouble)
// on a loopback port for tests: Start for HTTP, StartTLS for HTTPS with a
// self-signed certificate. Only tests import it; it is where the double
// meets the testing packages, so that esdouble itself, which akship bench
// runs in the binary, links neither testing nor net/http/httptest.
package esdoubletest

import (
	"io"
	"log"
	"net/http/httptest"
	"testing"

	"akship/outputs/elasticsearch/esdouble"
)

// Server is a Double listening on a loopback port.
type Server struct {
	*esdouble.Double
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL  string
	HTTP *httptest.Server
}

// NewServer starts a Double on a loopback port; Close stops it.
func NewServer() *Server {
	d := esdouble.New()
	s := httptest.NewServer(d)
	return &Server{Double: d, URL: s.URL, HTTP: s}
}

// Start starts a Double for a test and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := NewServer()
	tb.Cleanup(s.Close)
	return s
}

// StartTLS is Start with HTTPS and a self-signed certificate, available
// as s.HTTP.Certificate().
func StartTLS(tb testing.TB) *Server {
	tb.Helper()
	d := esdouble.New()
	h := httptest.NewUnstartedServer(d)
	// Refused handshakes are what TLS tests are about; keep them quiet.
	h.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.StartTLS()
	tb.Cleanup(h.Close)
	return &Server{Double: d, URL: h.URL, HTTP: h}
}

// Close stops the server.
func (s *Server) Close() { s.HTTP.Close() }
