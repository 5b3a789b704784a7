package netfail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := http.Get(strings.Replace(srv.URL, "http://", "https://", 1))
	if err == nil || !PlainHTTP(err) {
		t.Fatalf("https:// against a plain-HTTP server: %v not recognised", err)
	}
	if PlainHTTP(&url.Error{Op: "Get", URL: "https://x", Err: errors.New("connection refused")}) {
		t.Error("a refused connection taken for plain HTTP")
	}
	if !PlainHTTP(fmt.Errorf("wrapped: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"})) {
		t.Error("a wrapped RecordHeaderError not recognised")
	}
}

func TestUnknownHost(t *testing.T) {
	notFound := &url.Error{Op: "Get", URL: "http://a.invalid", Err: &net.OpError{Op: "dial",
		Err: &net.DNSError{Err: "no such host", Name: "a.invalid", IsNotFound: true}}}
	if !UnknownHost(notFound) {
		t.Error("NXDOMAIN not recognised")
	}
	if UnknownHost(&net.DNSError{Err: "server misbehaving", Name: "a", IsTemporary: true}) {
		t.Error("a failing DNS server taken for an unknown host")
	}
	if got := Inner(notFound); strings.Contains(got.Error(), "http://a.invalid") {
		t.Errorf("Inner kept the URL: %v", got)
	}
}
