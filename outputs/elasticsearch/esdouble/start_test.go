package esdouble

import (
	"net/http/httptest"
	"testing"
)

// testServer is a Double on a loopback port for this package's tests (the
// other packages' tests use esdoubletest, which imports this package).
type testServer struct {
	*Double
	URL string
}

// start starts a Double for a test and stops it when the test ends.
func start(tb testing.TB) *testServer {
	tb.Helper()
	d := New()
	s := httptest.NewServer(d)
	tb.Cleanup(s.Close)
	return &testServer{Double: d, URL: s.URL}
}
