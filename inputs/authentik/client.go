package authentik

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"akship/agent"
	"akship/agent/config"
	"akship/agent/telemetry"
	"akship/internal/backoff"
	"akship/internal/httpx"
)

// maxPageBytes bounds the body read of one page (a page of 10,000 events
// with large contexts stays well below it).
const maxPageBytes = 256 << 20

// maxRetryAfter caps how long a Retry-After header can make the client wait.
const maxRetryAfter = 10 * time.Minute

// maxDetailBytes bounds the read of an error answer's text; maxDrainBytes
// what else of it is read so the connection can be reused.
const (
	maxDetailBytes = 4096
	maxDrainBytes  = 1 << 20
)

// ErrInvalidPage is authentik's 404 {"detail": "Invalid page."}: the page
// number is past the end (the collection shrank during a walk).
var ErrInvalidPage = errors.New("authentik: invalid page")

// Pagination is authentik's pagination object.
type Pagination struct {
	Next       int `json:"next"`
	Previous   int `json:"previous"`
	Count      int `json:"count"`
	Current    int `json:"current"`
	TotalPages int `json:"total_pages"`
	StartIndex int `json:"start_index"`
	EndIndex   int `json:"end_index"`
}

// ClientOptions are the collaborators of a Client.
type ClientOptions struct {
	Log     *slog.Logger
	Metrics *telemetry.Metrics
	// WrapTransport, when set, wraps the HTTP transport (request tracing).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// UserAgent is sent with every request.
	UserAgent string
}

// Client lists authentik collections over HTTP with retries: network
// errors, 429 and 5xx are retried with exponential backoff and jitter,
// honouring Retry-After; 401/403 are returned at once as permanent errors,
// because retrying a rejected token only hammers authentik.
type Client struct {
	base  *url.URL
	token config.Secret
	http  *retryablehttp.Client
	cfg   ClientConfig
	opts  ClientOptions
	// maxPage is the largest page body accepted (maxPageBytes; tests
	// lower it).
	maxPage int64
	// answered is set once authentik answered a request (see mistake);
	// failing while requests fail, so that a failing authentik is logged
	// once when it starts failing and once when it answers again.
	answered, failing atomic.Bool
}

// NewClient builds a client from a validated configuration.
func NewClient(cfg ClientConfig, opts ClientOptions) (*Client, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = telemetry.New()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "akship"
	}
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/") + "/api/v3/")
	if err != nil {
		return nil, fmt.Errorf("authentik.url: %w", err)
	}
	token := cfg.Token
	if cfg.TokenFile != "" {
		if token, err = config.ReadSecretFile(cfg.TokenFile); err != nil {
			return nil, fmt.Errorf("authentik.token_file: %w", err)
		}
	}
	tlsCfg, err := cfg.TLS.Build("authentik.tls")
	if err != nil {
		return nil, err
	}
	transport := httpx.NewTransport(httpx.TransportOptions{TLS: tlsCfg, MaxIdleConns: 100, MaxIdleConnsPerHost: 4})
	rt := httpx.Wrap(transport, opts.WrapTransport)
	c := &Client{base: base, token: token, cfg: cfg, opts: opts, maxPage: maxPageBytes}
	c.http = &retryablehttp.Client{
		HTTPClient:   &http.Client{Timeout: cfg.Timeout, Transport: rt},
		RetryWaitMin: cfg.BackoffInitial,
		RetryWaitMax: cfg.BackoffMax,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      httpx.RetryWait(maxRetryAfter),
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if cfg.TLS.Insecure {
		opts.Log.Warn("authentik.tls.insecure is set: the authentik certificate is not verified")
	}
	return c, nil
}

// List fetches one page of the collection at path (relative to /api/v3/,
// e.g. "events/events/") with the query q. input labels the metrics.
func (c *Client) List(ctx context.Context, input, path string, q url.Values) (*Page, error) {
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			wait := c.backoff().Delay(attempt-1, 0)
			c.opts.Log.Warn("authentik sent an unreadable page; retrying", "input", input,
				"retry_in", wait.Round(time.Millisecond), "error", lastErr)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		body, err := c.get(ctx, input, path, q)
		if err != nil {
			return nil, err
		}
		var page Page
		if lastErr = decodePage(body, &page); lastErr == nil {
			c.opts.Metrics.InputPages.WithLabelValues(input).Inc()
			c.opts.Metrics.InputRecordsReceived.WithLabelValues(input).Add(float64(len(page.Results)))
			return &page, nil
		}
	}
	return nil, fmt.Errorf("authentik %s: %w", path, lastErr)
}

// get performs the request with transport-level retries and returns the
// body of a 200 response.
func (c *Client) get(ctx context.Context, input, path string, q url.Values) ([]byte, error) {
	u := c.base.ResolveReference(&url.URL{Path: path, RawQuery: q.Encode()})
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Value())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	ctx = context.WithValue(ctx, inputKey{}, input)
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		if m := c.mistake(err); m != nil {
			return nil, m // retrying cannot fix it
		}
		return nil, fmt.Errorf("authentik %s unreachable: %w", u.Path, redactErr(err, c.token))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if c.failing.CompareAndSwap(true, false) {
			c.opts.Log.Info("authentik answers again", "input", input)
		}
		body, err := httpx.ReadBody(resp, c.maxPage)
		if errors.Is(err, httpx.ErrTooLarge) {
			// Every retry would download it again to fail the same way.
			return nil, agent.Permanent(fmt.Errorf("authentik %s: a page is larger than %s; lower "+
				"inputs.%s.page_size", u.Path, byteSize(c.maxPage), input))
		}
		if err != nil {
			return nil, fmt.Errorf("reading authentik %s failed: %w", u.Path, err)
		}
		return body, nil
	}
	return nil, c.statusError(resp, u.Path)
}

type inputKey struct{}

// byteSize writes n in MiB when it is a whole number of them, else in bytes.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// statusError turns a non-200 answer into an error that says what to do.
func (c *Client) statusError(resp *http.Response, path string) error {
	detail := readDetail(resp.Body, c.token)
	if m := c.statusMistake(resp, detail); m != nil {
		return m
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return agent.Permanent(fmt.Errorf("authentik rejected the token for %s (%d %s); check authentik.token: "+
			"it must be an API token (intent api, not an app password) of a user allowed to view this collection, "+
			"and not expired", path, resp.StatusCode, detail))
	case resp.StatusCode == http.StatusNotFound && strings.Contains(detail, "Invalid page"):
		return ErrInvalidPage
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("authentik %s answered %d %s after %d retries", path, resp.StatusCode, detail,
			c.cfg.MaxRetries)
	case resp.StatusCode == http.StatusNotFound:
		return agent.Misconfigured(fmt.Errorf("authentik.url: %s answered 404 for %s: authentik.url must be "+
			"the base URL of authentik (without /api/v3) %s", c.base.Host, path, detail))
	}
	return agent.Permanent(fmt.Errorf("authentik %s answered %d: %s", path, resp.StatusCode, detail))
}

// readDetail extracts a short, token-free description from an error body:
// DRF's {"detail": "..."} when present, else the start of the text.
func readDetail(r io.Reader, token config.Secret) string {
	b := httpx.ReadPrefix(r, maxDetailBytes)
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxDrainBytes)) // so the connection is reused
	var drf struct {
		Detail string `json:"detail"`
	}
	text := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &drf) == nil && drf.Detail != "" {
		text = drf.Detail
	}
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if token.IsSet() {
		text = strings.ReplaceAll(text, token.Value(), config.Redacted)
	}
	return strconv.Quote(text)
}

// redactErr removes the token from an error's text (a proxy or a URL in a
// transport error could echo it).
func redactErr(err error, token config.Secret) error {
	if !token.IsSet() || !strings.Contains(err.Error(), token.Value()) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token.Value(), config.Redacted))
}

// checkRetry counts every attempt in the metrics and decides retries:
// configuration mistakes (see mistake) are never retried; otherwise
// retryablehttp's default policy applies (network errors except TLS
// verification failures, 429, and 5xx except 501 are retried). A failure
// is logged as a warning when requests start failing, at debug level
// while they go on failing.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	input, _ := ctx.Value(inputKey{}).(string)
	code := "error"
	if resp != nil {
		code = strconv.Itoa(resp.StatusCode)
		c.answered.Store(true)
	}
	c.opts.Metrics.InputRequests.WithLabelValues(input, code).Inc()
	if c.mistake(err) != nil {
		return false, nil
	}
	retry, perr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	if retry && ctx.Err() == nil {
		level := c.opts.Log.Debug
		if c.failing.CompareAndSwap(false, true) {
			level = c.opts.Log.Warn
		}
		level("authentik request failed; retrying (logged again when authentik answers)", "input", input,
			"status", code, "error", redactErrOrNil(err, c.token))
	}
	return retry, perr
}

func redactErrOrNil(err error, token config.Secret) any {
	if err == nil {
		return nil
	}
	return redactErr(err, token).Error()
}

// backoff is the wait between retries of a request or of an unreadable
// page: authentik.backoff_initial doubling up to authentik.backoff_max,
// jittered, and at least a 429 or 503 answer's Retry-After (up to
// maxRetryAfter).
func (c *Client) backoff() backoff.Policy {
	return backoff.Policy{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax, MaxRetryAfter: maxRetryAfter}
}

// String describes the client without its token, so printing a Client (or
// a struct holding one) with %v or %+v cannot leak the credential.
func (c *Client) String() string { return "authentik client for " + c.base.String() }

// LogValue is String for slog.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Token returns the credential the client sends, for registering it with
// redactors (the request tracer). Never log it.
func (c *Client) Token() string { return c.token.Value() }
