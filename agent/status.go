package agent

import "time"

// InputStatus is what an input reports about itself, for the /status
// endpoint, readiness and progress displays.
type InputStatus struct {
	// Input names the input ("events", "users", "groups").
	Input string `json:"input"`
	// Cursor is a summary of the committed cursor.
	Cursor any `json:"cursor,omitempty"`
	// LastSuccess is when the last poll (walk or snapshot) completed.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the most recent failure and when it happened.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// FailingSince is when the current run of failures began; zero when the
	// last request succeeded.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// SaveError is why the cursor could not be saved (a full or read-only
	// disk), and SaveFailingSince when saving started failing; both are
	// cleared by the next successful save. Delivery goes on meanwhile, but
	// a restart would read the unsaved part again.
	SaveError        string    `json:"save_error,omitempty"`
	SaveFailingSince time.Time `json:"save_failing_since,omitzero"`
	// LagSeconds is the age of the oldest event not yet shipped: 0 when
	// the last walk completed and was delivered, else (an upper bound) now
	// minus the created time of the newest committed event, as of the
	// last commit. Events only (nil for the other inputs).
	LagSeconds *float64 `json:"lag_seconds,omitempty"`
	// Stopped is set when the input gave up for good (e.g. the token was
	// rejected); StopReason says why.
	Stopped    bool   `json:"stopped,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`
	// Handled and Total describe the walk (or snapshot) in progress:
	// records handled and the total the source reported; both are zero
	// (absent) when none is in progress.
	Handled int `json:"handled,omitempty"`
	Total   int `json:"total,omitempty"`
}

// StatusReporter is an optional Input capability: it describes its state.
// Status is called from other goroutines and must be safe for that.
type StatusReporter interface {
	Status() InputStatus
}

// DeliveryStatus describes how delivery to the output is going.
type DeliveryStatus struct {
	// LastSuccess is when a write last succeeded.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// FailingSince is when the current run of failed writes began; zero
	// when the last write succeeded.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// LastError is the most recent write error.
	LastError string `json:"last_error,omitempty"`
	// InFlight is the number of events read but not yet acknowledged.
	InFlight int64 `json:"in_flight"`
}
