package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck asks a running akship's monitoring endpoint for /healthz:
// the container image's HEALTHCHECK, which has no curl. The address is
// --url, or http.listen of the configuration (-c); a wildcard host
// (0.0.0.0, [::], none) is asked on the loopback address.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("healthcheck", "(-c FILE | --url URL) [--timeout D]", stdout, stderr)
	path := configFlag(fs)
	url := fs.String("url", "", "URL to GET instead of the configuration's http.listen (e.g. http://127.0.0.1:9108/healthz)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *url == "" {
		if *path == "" {
			fmt.Fprintln(stderr, "akship healthcheck: -c FILE or --url URL is required")
			return exitUsage
		}
		cfg, _, err := LoadConfig(*path)
		if err != nil {
			fmt.Fprintf(stderr, "akship healthcheck: invalid configuration:\n%s", describeErrors(err))
			return 1
		}
		if cfg.HTTP.Listen == "" {
			fmt.Fprintf(stderr, "akship healthcheck: http.listen is not set in %s; the health check asks the "+
				"monitoring endpoint, set http.listen (e.g. 127.0.0.1:9108)\n", *path)
			return 1
		}
		*url = healthzURL(cfg.HTTP.Listen)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
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
		fmt.Fprintf(stderr, "akship healthcheck: unhealthy: %s answered %s: %s\n", *url, resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "healthy: %s answered %s\n", *url, resp.Status)
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
