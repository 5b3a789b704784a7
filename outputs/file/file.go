// Package file is an output writing one NDJSON document per line to a file
// per dataset (authentik.event.ndjson, authentik.user.ndjson,
// authentik.group.ndjson). Each write is synced to disk before it is
// acknowledged, so a cursor never moves past documents a crash could lose.
package file

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"akship/agent"
	"akship/agent/telemetry"
	"akship/internal/datasets"
	"akship/internal/jsonenc"
)

// Output writes documents to NDJSON files.
type Output struct {
	cfg     Config
	log     *slog.Logger
	metrics *telemetry.Metrics

	mu    sync.Mutex
	files map[agent.Dataset]*os.File
	sizes map[agent.Dataset]int64
	buf   bytes.Buffer
	enc   jsonenc.Encoder // used with buf, by Write
}

// New returns a file output for a validated configuration.
func New(cfg Config, log *slog.Logger, m *telemetry.Metrics) *Output {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = telemetry.New()
	}
	return &Output{cfg: cfg, log: log, metrics: m, files: map[agent.Dataset]*os.File{},
		sizes: map[agent.Dataset]int64{}}
}

// Start creates the directory.
func (o *Output) Start(context.Context) error {
	if err := os.MkdirAll(o.cfg.Path, 0o750); err != nil {
		return fmt.Errorf("output.file.path: %w", err)
	}
	return nil
}

// BatchPolicy groups documents so that each sync covers many of them.
func (o *Output) BatchPolicy() agent.BatchPolicy {
	return agent.BatchPolicy{MaxEvents: o.cfg.BatchSize, FlushInterval: o.cfg.FlushInterval, Concurrency: 1}
}

// Destination names the file an event goes to.
func (o *Output) Destination(e *agent.Event) string { return o.FilePath(e.Dataset) }

// FilePath is the file that holds a dataset's documents.
func (o *Output) FilePath(d agent.Dataset) string {
	return filepath.Join(o.cfg.Path, datasets.Qualified(d)+".ndjson")
}

// Write appends the documents and syncs the files. A failed file write is
// cut back to where it started, and only the documents of the datasets not
// written are reported failed (a *agent.PartialError), so the pipeline's
// retry neither tears nor repeats a line.
func (o *Output) Write(_ context.Context, events []*agent.Event) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	idx := map[agent.Dataset][]int{}
	for i, e := range events {
		idx[e.Dataset] = append(idx[e.Dataset], i)
	}
	failed := map[int]error{}
	var writeErr error
	for _, d := range datasets.All {
		if len(idx[d]) == 0 {
			continue
		}
		if writeErr == nil {
			// Once a write failed, the following datasets are not attempted.
			writeErr = o.writeDataset(d, events, idx[d], failed)
		}
		if writeErr != nil {
			for _, i := range idx[d] {
				if failed[i] == nil {
					failed[i] = writeErr
				}
			}
		}
	}
	if len(failed) > 0 {
		return &agent.PartialError{Failed: failed}
	}
	return nil
}

// writeDataset appends the documents all[idx...] to the dataset's file,
// each framed with data_stream. A document that is not a JSON object is
// recorded in failed as permanent (it goes to the dead-letter queue) and
// the others are written.
func (o *Output) writeDataset(d agent.Dataset, all []*agent.Event, idx []int, failed map[int]error) error {
	o.buf.Reset()
	dataStream, patches := datasetPatches(d)
	written := 0
	for _, i := range idx {
		e := all[i]
		var line []byte
		if e.Document != nil {
			// The processor that wrote the document set event.dataset.
			var ok bool
			if line, ok = jsonenc.AppendWithMember(o.buf.AvailableBuffer(), e.Document, "data_stream", dataStream); !ok {
				failed[i] = agent.Permanent(fmt.Errorf("document %s is not a JSON object", e.ID))
				continue
			}
		} else {
			var err error
			if line, err = o.enc.AppendPatched(o.buf.AvailableBuffer(), e.MinimalDocument(), patches); err != nil {
				failed[i] = agent.Permanent(fmt.Errorf("encoding document %s failed: %w", e.ID, err))
				continue
			}
		}
		o.buf.Write(append(line, '\n'))
		written++
	}
	if written == 0 {
		return nil
	}
	f, err := o.file(d)
	if err != nil {
		return err
	}
	before := o.sizes[d]
	start := time.Now()
	if _, err := f.Write(o.buf.Bytes()); err != nil {
		_ = f.Truncate(before)
		return fmt.Errorf("writing %s failed: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Truncate(before)
		return fmt.Errorf("syncing %s failed: %w", f.Name(), err)
	}
	o.sizes[d] = before + int64(o.buf.Len())
	o.metrics.OutputRequestDuration.WithLabelValues("file").Observe(time.Since(start).Seconds())
	o.metrics.OutputBytes.WithLabelValues("file").Add(float64(o.buf.Len()))
	o.metrics.OutputIndexed.WithLabelValues("file", string(d)).Add(float64(written))
	if o.cfg.MaxBytes > 0 && o.sizes[d] >= o.cfg.MaxBytes {
		// The documents are safely written: a failed rotation must not
		// make the pipeline write them again.
		if err := o.rotate(d); err != nil {
			o.log.Warn("rotating the output file failed; still appending to it", "error", err)
		}
	}
	return nil
}

// file opens (or returns the open) file of a dataset.
func (o *Output) file(d agent.Dataset) (*os.File, error) {
	if f := o.files[d]; f != nil {
		return f, nil
	}
	f, err := os.OpenFile(o.FilePath(d), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening output file failed: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening output file failed: %w", err)
	}
	o.files[d], o.sizes[d] = f, st.Size()
	return f, nil
}

// rotate renames a full file out of the way; the next write starts a new
// one. Rotated files are kept: this output never deletes data.
func (o *Output) rotate(d agent.Dataset) error {
	f := o.files[d]
	delete(o.files, d)
	delete(o.sizes, d)
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s failed: %w", f.Name(), err)
	}
	stamp := strings.ReplaceAll(time.Now().UTC().Format("20060102T150405.000000000"), ".", "")
	rotated := strings.TrimSuffix(f.Name(), ".ndjson") + "-" + stamp + ".ndjson"
	if err := os.Rename(f.Name(), rotated); err != nil {
		return fmt.Errorf("rotating %s failed: %w", f.Name(), err)
	}
	o.log.Info("rotated output file", "file", rotated)
	return nil
}

// Close closes the files.
func (o *Output) Close(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var firstErr error
	for d, f := range o.files {
		if err := f.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		delete(o.files, d)
	}
	return firstErr
}

// datasetPatches are what the file output adds to a document of dataset
// d, as Elasticsearch's data streams would, so the files can be loaded into
// a data stream as they are: data_stream.dataset and event.dataset.
func datasetPatches(d agent.Dataset) (dataStream []byte, patches []jsonenc.Patch) {
	name := jsonenc.AppendString(nil, datasets.Qualified(d))
	dataStream = append(append([]byte(`{"dataset":`), name...), '}')
	set := []jsonenc.Patch{{Key: "dataset", Raw: name}}
	return dataStream, []jsonenc.Patch{{Key: "data_stream", Sub: set}, {Key: "event", Sub: set}}
}
