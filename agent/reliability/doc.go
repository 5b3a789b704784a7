// Package reliability holds akship's end-to-end reliability suite: tests
// that break things on purpose and check akship's promises (at-least-once
// delivery, cursors that never pass unacknowledged data, bounded memory,
// clear errors, no leaked credentials).
//
// The tests build the akship binary once and run it as a subprocess
// against an in-process authentik simulator and an in-process
// Elasticsearch double, so that a SIGKILL is a real crash. They are
// skipped under -short. Larger variants run with -akship.long (or
// AKSHIP_LONG=1):
//
//	go test ./agent/reliability/                      # CI sizes
//	go test ./agent/reliability/ -akship.long -v      # larger runs, figures in the log
//
// The package has no code of its own; everything is in _test.go files.
package reliability
