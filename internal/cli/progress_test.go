package cli

import (
	"bytes"
	"strings"
	"testing"

	"akship/agent"
)

// The bar follows the events walk, not the quick users and groups
// snapshots that would fill it before the backfill starts.
func TestProgressFollowsTheEventsWalk(t *testing.T) {
	tests := []struct {
		name           string
		inputs         []agent.InputStatus
		handled, total int64
		ok             bool
	}{
		{"snapshots done, events walk starting", []agent.InputStatus{
			{Input: "events"}, {Input: "users", Handled: 200, Total: 200}, {Input: "groups", Handled: 20, Total: 20},
		}, 0, 0, false},
		{"events walk in progress", []agent.InputStatus{
			{Input: "events", Handled: 1500, Total: 400000}, {Input: "users"}, {Input: "groups", Handled: 20, Total: 20},
		}, 1500, 400000, true},
		{"no events input: the snapshots", []agent.InputStatus{
			{Input: "users", Handled: 100, Total: 200}, {Input: "groups", Handled: 20, Total: 20},
		}, 120, 220, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, ok := walkProgress(tt.inputs)
			if h != tt.handled || n != tt.total || ok != tt.ok {
				t.Errorf("walkProgress = %d/%d %v, want %d/%d %v", h, n, ok, tt.handled, tt.total, tt.ok)
			}
		})
	}
}

// A log line written while the bar is drawn erases the bar's line first,
// so the two never share a line.
func TestLogLinesDoNotRunIntoTheBar(t *testing.T) {
	var term bytes.Buffer
	s := &screen{w: &term}
	bar := s.barWriter()
	_, _ = bar.Write([]byte("\revents  12% |███      | (48000/400000)"))
	_, _ = s.Write([]byte("level=INFO msg=\"rotated output file\"\n"))
	_, _ = s.Write([]byte("level=INFO msg=next\n"))
	got := term.String()
	want := "\revents  12% |███      | (48000/400000)" + eraseLine + "level=INFO msg=\"rotated output file\"\nlevel=INFO msg=next\n"
	if got != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}
	if strings.Count(got, eraseLine) != 1 {
		t.Errorf("the line was erased %d times, want once (only while the bar is drawn)", strings.Count(got, eraseLine))
	}
}
