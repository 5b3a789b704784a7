package agent

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrEndOfInput is returned by Input.Read in run-once mode when the input is
// caught up and has nothing more to read.
var ErrEndOfInput = errors.New("end of input")

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix (a document the
// destination rejects, a configuration the server refuses). Nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries a server's request to wait before retrying.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (r *retryAfterError) Error() string { return r.err.Error() }
func (r *retryAfterError) Unwrap() error { return r.err }

// WithRetryAfter attaches a server-requested delay (HTTP Retry-After) to a
// retryable error. The pipeline waits at least that long before retrying.
func WithRetryAfter(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: after}
}

// RetryAfter returns the delay attached with WithRetryAfter, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}

// PartialError reports that some events of an Output.Write call failed.
// Failed maps the index of each failed event in the slice given to Write to
// its error; an error marked Permanent dead-letters the event, any other is
// retried. Events whose index is absent were delivered.
type PartialError struct {
	Failed map[int]error
}

// Error summarises the failures by message, most frequent first.
func (p *PartialError) Error() string {
	counts := map[string]int{}
	for _, err := range p.Failed {
		counts[err.Error()]++
	}
	msgs := make([]string, 0, len(counts))
	for m := range counts {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if counts[msgs[i]] != counts[msgs[j]] {
			return counts[msgs[i]] > counts[msgs[j]]
		}
		return msgs[i] < msgs[j]
	})
	if len(msgs) > 3 {
		msgs = msgs[:3]
	}
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = fmt.Sprintf("%d× %s", counts[m], m)
	}
	return fmt.Sprintf("%d events failed: %s", len(p.Failed), strings.Join(parts, "; "))
}

// misconfiguredError marks an error caused by the configuration: retrying
// cannot fix it, and nothing the pipeline does can either.
type misconfiguredError struct{ err error }

func (m *misconfiguredError) Error() string { return m.err.Error() }
func (m *misconfiguredError) Unwrap() error { return Permanent(m.err) }

// Misconfigured marks err as a configuration mistake (a URL whose scheme the
// server does not speak, an unknown host, an untrusted certificate, an API
// path that does not exist). Its text should begin with the configuration
// key at fault ("authentik.url: …") and say the likely fix. The pipeline
// stops at once on such an error, from an input or the output, instead of
// retrying it; it is also Permanent. Nil stays nil.
func Misconfigured(err error) error {
	if err == nil {
		return nil
	}
	return &misconfiguredError{err: err}
}

// IsMisconfigured reports whether err, an error it wraps, or one of the
// failures of a *PartialError it wraps was marked Misconfigured.
func IsMisconfigured(err error) bool { return misconfiguration(err) != nil }

// misconfiguration returns the error marked Misconfigured in err (see
// IsMisconfigured), or nil.
func misconfiguration(err error) error {
	var m *misconfiguredError
	if errors.As(err, &m) {
		return m
	}
	var pe *PartialError
	if errors.As(err, &pe) {
		for _, e := range pe.Failed {
			if errors.As(e, &m) {
				return m
			}
		}
	}
	return nil
}

// ErrGaveUp is the cause of a run that ended because the output kept
// failing for longer than Pipeline.GiveUpAfter.
var ErrGaveUp = errors.New("gave up")
