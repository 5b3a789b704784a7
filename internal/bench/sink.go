package bench

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"

	"akship/internal/loopback"
	"akship/internal/victorialogs"
	"akship/outputs/elasticsearch/esdouble"
)

// startSink starts what the agent ships to — the Elasticsearch double, a
// proxy to --sink, or a VictoriaLogs server with its data under dir — and
// counts the request bytes the agent sends. It returns the URL to give the
// agent as its Elasticsearch host.
func startSink(s Settings, dir string, sent *atomic.Int64) (string, func(), error) {
	var h http.Handler = esdouble.New()
	stopTarget := func() {}
	target := s.Sink
	if s.VictoriaLogs {
		bin, err := victorialogs.Binary()
		if err != nil {
			return "", nil, fmt.Errorf("--victorialogs: %w; install it with `%s` or set %s", err,
				victorialogs.InstallHint, victorialogs.EnvBinary)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, err
		}
		vl, err := victorialogs.StartBinary(bin, dir)
		if err != nil {
			return "", nil, err
		}
		stopTarget = func() { _ = vl.Stop() }
		target = vl.ElasticsearchURL()
	}
	if target != "" {
		u, err := url.Parse(target)
		if err != nil {
			stopTarget()
			return "", nil, err
		}
		proxy := httputil.NewSingleHostReverseProxy(u)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Host = u.Host
			proxy.ServeHTTP(w, r)
		})
	}
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 0 {
			sent.Add(r.ContentLength)
		}
		h.ServeHTTP(w, r)
	})
	u, stop, err := loopback.Serve(counting)
	if err != nil {
		stopTarget()
		return "", nil, err
	}
	return u, func() { stop(); stopTarget() }, nil
}
