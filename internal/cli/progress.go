package cli

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"akship/agent"
)

// progress shows a run's progress on a terminal: one bar over the events
// walk (records handled of those authentik reported), with rate and ETA.
// The users and groups snapshots are small and quick; tracking them would
// fill the bar before the events backfill starts.
type progress struct {
	bar  *progressbar.ProgressBar
	a    *assembly
	done chan struct{}
	quit chan struct{}
}

// startProgress draws a progress bar on w until stop is called. It does
// nothing when w is not a *screen on a terminal (logs carry the summary
// there); log lines written through the screen do not run into the bar.
func startProgress(w io.Writer, a *assembly, label string) (stop func()) {
	s, ok := w.(*screen)
	if !ok || !isTerminal(s.w) {
		return func() {}
	}
	p := &progress{a: a, done: make(chan struct{}), quit: make(chan struct{})}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(s.barWriter()),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	go p.loop()
	return func() {
		close(p.quit)
		<-p.done
		_ = p.bar.Finish()
		s.erase()
	}
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.update()
		}
	}
}

func (p *progress) update() {
	handled, total, ok := walkProgress(p.a.statuses())
	if !ok {
		return
	}
	if total > 0 && p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	_ = p.bar.Set64(min(handled, max(total-1, 0)))
}

// walkProgress returns the records handled and the total of the events
// walk in progress, or of every input when there is no events input.
// ok is false when there is nothing to show: no walk in progress yet, or
// the walk completed (the summary follows).
func walkProgress(inputs []agent.InputStatus) (handled, total int64, ok bool) {
	for _, s := range inputs {
		if s.Input == "events" {
			return int64(s.Handled), int64(s.Total), s.Total > 0
		}
	}
	for _, s := range inputs {
		handled += int64(s.Handled)
		total += int64(s.Total)
	}
	return handled, total, total > 0
}

// screen serialises the writes of the logger and of the progress bar to
// one terminal: a log line first erases the bar's line, and the bar is
// drawn again below it at its next update.
type screen struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // the bar is on the current line
}

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

// Write writes a log line, on a line of its own.
func (s *screen) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		_, _ = io.WriteString(s.w, eraseLine)
		s.drawn = false
	}
	return s.w.Write(b)
}

// Fd is the terminal's, so that the logger chooses its format for it.
func (s *screen) Fd() uintptr {
	if f, ok := s.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// erase clears the bar's line, if drawn.
func (s *screen) erase() { _, _ = s.Write(nil) }

// barWriter returns the writer the bar draws with.
func (s *screen) barWriter() io.Writer { return barWriter{s} }

type barWriter struct{ s *screen }

func (b barWriter) Write(p []byte) (int, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.drawn = true
	return b.s.w.Write(p)
}
