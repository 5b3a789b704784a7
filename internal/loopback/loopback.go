// Package loopback serves HTTP handlers on free ports of 127.0.0.1: the
// authentik simulator of akship demo, the simulator and the sink of akship
// bench, and the servers of the end-to-end tests.
package loopback

import (
	"net"
	"net/http"
	"time"
)

// Serve serves h on a free loopback port and returns its base URL
// (http://127.0.0.1:PORT) and the function that stops it.
func Serve(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// FreeAddr returns a loopback address (127.0.0.1:PORT) that was free when
// asked, for a server that listens by itself (akship's monitoring endpoint).
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
