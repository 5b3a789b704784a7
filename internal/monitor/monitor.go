// Package monitor serves akship's monitoring endpoint: Prometheus metrics,
// liveness and readiness probes and a JSON status page. It only reads the
// state the agent already keeps (input statuses, delivery status, counts,
// the metrics registry) and never sees the configuration, so it has no
// secret to leak.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
)

// Sources is where the endpoint gets what it reports. Every field is
// optional; the functions are called from HTTP handlers, concurrently, and
// must be safe for that.
type Sources struct {
	// Registry is served on /metrics; nil leaves /metrics out.
	Registry *prometheus.Registry
	// Inputs returns the status of every input.
	Inputs func() []agent.InputStatus
	// Delivery returns how delivery to the output is going.
	Delivery func() agent.DeliveryStatus
	// Counts, when set, returns the running pipeline's per-dataset event
	// counts, added to /status. It is a function, like Inputs, so a
	// reload that replaces the pipeline is followed.
	Counts func() *agent.Counts
	// Now is the clock (default time.Now); tests inject a fake one.
	Now func() time.Time
	// Version is akship's version, shown on / and /status.
	Version string
}

// HTTP server limits. The endpoint answers small GET requests from probes
// and scrapers; anything slower than this is a stuck or hostile client.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	// stopTimeout bounds the graceful shutdown started by the end of
	// Start's context.
	stopTimeout = 5 * time.Second
)

// Server is the monitoring endpoint. Create it with New; Handler serves
// without listening (tests), Start listens on Config.Listen.
type Server struct {
	cfg     Config
	src     Sources
	log     *slog.Logger
	handler http.Handler
	started time.Time
	blocked blockTracker

	mu       sync.Mutex
	srv      *http.Server
	addr     string
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New creates the endpoint. A zero UnreachableAfter means the default; log
// may be nil.
func New(cfg Config, src Sources, log *slog.Logger) *Server {
	if cfg.UnreachableAfter <= 0 {
		cfg.UnreachableAfter = DefaultUnreachableAfter
	}
	if src.Now == nil {
		src.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, src: src, log: log, started: src.Now(), stop: make(chan struct{})}
	s.handler = s.routes()
	return s
}

// Handler returns the endpoint's HTTP handler, for tests and for mounting
// it in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Config.Listen and serves in the background until ctx
// ends or Shutdown is called. It returns once the socket is bound (so a
// port already in use is reported here); Addr then tells the address.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("monitor: already started")
	}
	if s.cfg.Listen == "" {
		return errors.New("monitor: listen is empty, the endpoint is off")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s failed: %w", s.cfg.Listen, err)
	}
	// "localhost" is accepted by Validate; make sure it did not resolve to
	// something reachable from elsewhere.
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !s.cfg.AllowRemote && !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return fmt.Errorf("listen: %s resolved to %s, which is not a loopback address; set allow_remote: true to allow it",
			s.cfg.Listen, tcp.IP)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.addr = ln.Addr().String()
	s.wg.Add(2)
	go s.serve(s.srv, ln)
	go s.watch(ctx, s.srv)
	s.log.Info("monitoring endpoint listening", "address", s.addr)
	return nil
}

// serve runs the HTTP server until it is shut down.
func (s *Server) serve(srv *http.Server, ln net.Listener) {
	defer s.wg.Done()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("monitoring endpoint stopped", "error", err)
	}
}

// watch samples delivery for the block tracker and shuts the server down
// when ctx ends.
func (s *Server) watch(ctx context.Context, srv *http.Server) {
	defer s.wg.Done()
	t := time.NewTicker(min(max(s.cfg.UnreachableAfter/4, time.Second), 15*time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.sample()
		case <-s.stop:
			return
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			if err := srv.Shutdown(sctx); err != nil {
				_ = srv.Close()
			}
			cancel()
			return
		}
	}
}

// Addr returns the address the endpoint listens on (e.g. "127.0.0.1:9108",
// with the real port when Listen asked for port 0), or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops the endpoint: it stops accepting connections, waits for
// requests in progress until ctx ends, then closes what is left. It is safe
// to call more than once, and before or without Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	s.stopOnce.Do(func() { close(s.stop) })
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	s.wg.Wait()
	return err
}
