package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"akship/agent"
)

// progress shows a run's progress on a terminal: a bar over the records
// authentik reported (pagination.count), with rate and ETA.
type progress struct {
	bar  *progressbar.ProgressBar
	a    *assembly
	done chan struct{}
	quit chan struct{}
}

// startProgress draws a progress bar on w until stop is called. It does
// nothing useful when w is not a terminal (logs carry the summary there).
func startProgress(w io.Writer, a *assembly, label string) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	p := &progress{a: a, done: make(chan struct{}), quit: make(chan struct{})}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("docs"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	go p.loop()
	return func() {
		close(p.quit)
		<-p.done
		_ = p.bar.Finish()
		fmt.Fprintln(w)
	}
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			p.update()
			return
		case <-t.C:
			p.update()
		}
	}
}

func (p *progress) update() {
	var total int64
	for _, in := range p.a.inputs {
		total += int64(in.Status().Total)
	}
	var delivered int64
	c := &p.a.pipeline.Counts
	for _, d := range agent.Datasets {
		delivered += c.Delivered(d) + c.DeadLettered(d)
	}
	if total > 0 && total >= delivered && p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	_ = p.bar.Set64(delivered)
}
