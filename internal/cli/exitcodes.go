package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Exit codes of akship run (the README's "Exit codes" lists them; a script
// or a systemd unit can tell them apart).
const (
	// exitOK: run --once caught up and delivered everything it read; a
	// daemon stopped by SIGTERM/SIGINT after delivering everything.
	exitOK = 0
	// exitGaveUp: akship gave up: the output kept failing for
	// pipeline.give_up_after (run --once), or an input stopped for good.
	// Nothing acknowledged was lost; a rerun resumes from the cursor.
	exitGaveUp = 1
	// exitUsage: wrong command-line flags or arguments.
	exitUsage = 2
	// exitInterrupted: stopped by a signal before run --once caught up, or
	// with undelivered events abandoned (shutdown timeout, second signal).
	// Nothing is lost: the cursor holds only what was acknowledged, and a
	// rerun resumes.
	exitInterrupted = 3
	// exitConfig: the configuration is invalid or wrong for the servers it
	// names (https against plain HTTP, an untrusted certificate, an unknown
	// host, a wrong API path, a rejected token, an unusable state.path).
	// Retrying will not help; the message names the key. (78 is EX_CONFIG
	// of sysexits.h, which systemd also knows.)
	exitConfig = 78
)

// forceKey is the context key of the channel a second signal closes.
type forceKey struct{}

// notifyContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second one closes the channel forceStop returns, which makes a
// draining run stop at once. stop releases the signals.
func notifyContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, force := withForceStop(parent)
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	released := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-sigs:
				if n == 0 {
					cancel()
				} else {
					force()
				}
			case <-released:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(released)
			cancel()
		})
	}
}

// withForceStop returns a context carrying a force-stop channel, and the
// function that closes it (safe to call more than once).
func withForceStop(parent context.Context) (context.Context, func()) {
	ch := make(chan struct{})
	var once sync.Once
	return context.WithValue(parent, forceKey{}, (<-chan struct{})(ch)), func() { once.Do(func() { close(ch) }) }
}

// forceStop returns the channel closed by a second signal, or nil (never
// ready) when ctx carries none.
func forceStop(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(forceKey{}).(<-chan struct{})
	return ch
}

// exitCodesHelp is the exit-code table of akship run -h.
const exitCodesHelp = `
Exit codes:
  0   caught up (--once: everything read was delivered); a daemon stopped by a signal after delivering all
  1   gave up: the output failed for pipeline.give_up_after (--once), or an input stopped on an error
  2   wrong flags or arguments
  3   interrupted by SIGINT/SIGTERM before --once caught up, or with undelivered events abandoned;
      nothing acknowledged is lost and a rerun resumes (a second signal stops at once)
  78  configuration error: invalid, or wrong for the servers it names; the message names the key
`

// withExitCodes makes a flag set's usage end with the exit-code table.
func withExitCodes(fs *flag.FlagSet) {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), exitCodesHelp)
	}
}
