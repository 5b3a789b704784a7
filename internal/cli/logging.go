package cli

import (
	"io"
	"log/slog"
	"time"

	"golang.org/x/term"
)

// newLogger builds akship's logger: JSON lines with ECS-style keys
// (@timestamp, log.level, message) when the output is not a terminal, easy
// to read text when it is.
func newLogger(cfg LoggingConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Format
	if format == "auto" || format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		opts.ReplaceAttr = readableDurations
		return slog.New(slog.NewTextHandler(w, opts))
	}
	opts.ReplaceAttr = ecsKeys
	return slog.New(slog.NewJSONHandler(w, opts))
}

// readableDurations writes every time.Duration attribute (took, timeout,
// retry_in, …) as Go duration text ("1.75s", "250ms") instead of slog's
// bare nanosecond integer, rounded so it stays readable: to the millisecond
// from one millisecond up, to the microsecond below.
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	d := a.Value.Duration()
	switch {
	case d >= time.Millisecond || d <= -time.Millisecond:
		d = d.Round(time.Millisecond)
	case d >= time.Microsecond || d <= -time.Microsecond:
		d = d.Round(time.Microsecond)
	}
	a.Value = slog.StringValue(d.String())
	return a
}

// ecsKeys renames slog's built-in keys to their ECS names and makes
// durations readable.
func ecsKeys(groups []string, a slog.Attr) slog.Attr {
	a = readableDurations(groups, a)
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		a.Key = "@timestamp"
		a.Value = slog.StringValue(a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	case slog.LevelKey:
		a.Key = "log.level"
		a.Value = slog.StringValue(levelName(a.Value))
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

func levelName(v slog.Value) string {
	if l, ok := v.Any().(slog.Level); ok {
		switch {
		case l >= slog.LevelError:
			return "error"
		case l >= slog.LevelWarn:
			return "warn"
		case l >= slog.LevelInfo:
			return "info"
		}
		return "debug"
	}
	return v.String()
}

// isTerminal reports whether w is an interactive terminal (a file, or a
// writer in front of one that reports its descriptor).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
