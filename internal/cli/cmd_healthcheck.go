package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckFlags registers the healthcheck command's flags. Its action
// asks a running akship's monitoring endpoint for /healthz: the container
// image's HEALTHCHECK, which has no curl. The address is --url, or
// http.listen of the configuration (-c); a wildcard host (0.0.0.0, [::],
// none) is asked on the loopback address.
func healthcheckFlags(fs *flagSet) action {
	path := fs.configFlag()
	url := fs.String("url", "", "URL to GET instead of the configuration's http.listen (e.g. http://127.0.0.1:9108/healthz)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	return func(ctx context.Context) int {
		if *url == "" {
			cfg, _, code := fs.requireConfig("-c FILE or --url URL is required", 1)
			if cfg == nil {
				return code
			}
			if cfg.HTTP.Listen == "" {
				fmt.Fprintf(fs.stderr, "akship healthcheck: http.listen is not set in %s; the health check asks the "+
					"monitoring endpoint, set http.listen (e.g. 127.0.0.1:9108)\n", *path)
				return 1
			}
			*url = healthzURL(cfg.HTTP.Listen)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return askHealthz(ctx, *url, fs.stdout, fs.stderr)
	}
}

// askHealthz GETs url and returns the exit code: 0 when it answers 200 OK.
func askHealthz(ctx context.Context, url string, stdout, stderr io.Writer) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "akship healthcheck: %v\n", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "akship healthcheck: unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "akship healthcheck: unhealthy: %s answered %s: %s\n", url, resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "healthy: %s answered %s\n", url, resp.Status)
	return 0
}

// healthzURL is the /healthz URL of a monitoring endpoint listening on
// listen (host:port).
func healthzURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/healthz"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
