package mapping

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"akship/agent"
)

// MapNDJSON maps one raw API record per input line (as in the conformance
// .log files) to one JSON document per output line, in the same order;
// blank lines are skipped. It also accepts pretty-printed records and whole
// API pages, whose results it maps (see recordReader). A line that is not a JSON object still gets its
// document (with event.original, error.message and event.kind
// pipeline_error, so output lines stay aligned with input records) and an
// error naming the line number is collected; the other lines are mapped
// regardless. mapped counts the documents written. The returned error
// joins every bad line's error, or reports a read or write failure (which
// stops the run).
//
// The documents' collection time (@timestamp of users and groups) is the
// time each line is mapped. The map command sets the dataset's tags and
// GeoIP databases through the Config given to New.
func MapNDJSON(m *Mapper, d agent.Dataset, r io.Reader, w io.Writer) (mapped int, err error) {
	if _, ok := m.datasets[d]; !ok {
		return 0, fmt.Errorf("unknown dataset %q", d)
	}
	in := newRecordReader(r)
	out := bufio.NewWriter(w)
	var bad []error
	for {
		rec, readErr := in.next()
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			_ = out.Flush()
			return mapped, errors.Join(append(bad, readErr)...)
		}
		js, err := m.mapDocument(d, rec.data, time.Now())
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", rec.where, err))
		}
		if err := writeDoc(out, js); err != nil {
			return mapped, errors.Join(append(bad, fmt.Errorf("writing the document of %s failed: %w", rec.where, err))...)
		}
		mapped++
	}
	if err := out.Flush(); err != nil {
		bad = append(bad, fmt.Errorf("writing documents failed: %w", err))
	}
	return mapped, errors.Join(bad...)
}

// writeDoc writes one document line as the outputs ship it.
func writeDoc(w *bufio.Writer, js []byte) error {
	if _, err := w.Write(js); err != nil {
		return err
	}
	return w.WriteByte('\n')
}
