package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"akship/inputs/authentik/simulator"
)

// simulateFlags registers the simulate command's flags; its action serves
// the authentik simulator until ctx ends.
func simulateFlags(fs *flagSet) action {
	listen := fs.String("listen", "127.0.0.1:8090", "address to serve the authentik API on")
	var opts simulator.Options
	opts.RegisterFlags(fs.FlagSet)
	return func(ctx context.Context) int {
		return serveSimulator(ctx, opts, *listen, fs.stdout, fs.stderr)
	}
}

// serveSimulator serves a simulator made with opts on listen until ctx
// ends, and returns the exit code.
func serveSimulator(ctx context.Context, opts simulator.Options, listen string, stdout, stderr io.Writer) int {
	sim, err := simulator.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "akship simulate: %v\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(stderr, "akship simulate: %v\n", err)
		return 1
	}
	log := newLogger(LoggingConfig{Level: "info", Format: "auto"}, stderr)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = sim.Run(ctx) }()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	st := sim.Stats()
	fmt.Fprintf(stdout, "authentik simulator on http://%s (token %q): %d events, %d users, %d groups\n",
		ln.Addr(), opts.Token, st.Events, st.Users, st.Groups)
	fmt.Fprintf(stdout, "try: curl -H 'Authorization: Bearer %s' 'http://%s/api/v3/events/events/?page_size=2'\n",
		opts.Token, ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("simulator stopped", "error", err)
		return 1
	}
	slog.Info("simulator stopped")
	return 0
}
