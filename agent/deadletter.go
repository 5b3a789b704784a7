package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DeadLetterQueue stores events the output can never accept, with the
// reason, so that one poison record does not block the stream and is not
// lost either.
type DeadLetterQueue interface {
	// Put stores the entries durably. An error means none may be considered
	// stored; the pipeline then retries the events instead of dropping them.
	// Put is called from several goroutines.
	Put(entries []DeadLetterEntry) error
}

// DeadLetterEntry is one line of the dead-letter file.
type DeadLetterEntry struct {
	Time        time.Time      `json:"@timestamp"`
	Dataset     Dataset        `json:"dataset"`
	ID          string         `json:"id,omitempty"`
	Destination string         `json:"index,omitempty"`
	Error       string         `json:"error"`
	Document    map[string]any `json:"document"`
}

func newDeadLetterEntry(e *Event, err error, r Router) DeadLetterEntry {
	entry := DeadLetterEntry{Time: time.Now().UTC(), Dataset: e.Dataset, ID: e.ID, Error: err.Error(),
		Document: e.DecodeDocument()}
	if r != nil {
		entry.Destination = r.Destination(e)
	}
	return entry
}

// DeadLetterFile is a DeadLetterQueue appending NDJSON lines to a private
// (0600) file and syncing it before Put returns.
type DeadLetterFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenDeadLetterFile returns a dead-letter file at path. The file is created
// on the first entry, so a healthy run leaves none behind.
func OpenDeadLetterFile(path string) (*DeadLetterFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the dead-letter directory failed: %w", err)
	}
	return &DeadLetterFile{path: path}, nil
}

// Path returns the file's path.
func (d *DeadLetterFile) Path() string { return d.path }

// Put appends the entries and syncs the file.
func (d *DeadLetterFile) Put(entries []DeadLetterEntry) error {
	if len(entries) == 0 {
		return nil // create no file for nothing
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			// A document JSON cannot represent (a NaN or infinity a mapping
			// computed) is exactly what outputs reject as Permanent; refusing
			// it here too would make the pipeline retry it forever. Keep the
			// record as received and say why the document is missing.
			e.Error += "; the document could not be encoded: " + err.Error()
			e.Document = originalOnly(e.Document)
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("encoding dead-letter entry failed: %w", err)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("opening dead-letter file failed: %w", err)
		}
		d.f = f
	}
	st, _ := d.f.Stat()
	if _, err := d.f.Write(buf.Bytes()); err != nil {
		// Cut a partial line so the file stays valid NDJSON.
		if st != nil {
			_ = d.f.Truncate(st.Size())
		}
		return fmt.Errorf("writing dead-letter file %s failed: %w", d.path, err)
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("syncing dead-letter file %s failed: %w", d.path, err)
	}
	return nil
}

// originalOnly reduces a document to its event.original, the record as
// the input read it.
func originalOnly(doc map[string]any) map[string]any {
	out := map[string]any{}
	if ev, ok := doc["event"].(map[string]any); ok {
		if orig, ok := ev["original"].(string); ok {
			out["event"] = map[string]any{"original": orig}
		}
	}
	return out
}

// Close closes the file.
func (d *DeadLetterFile) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
