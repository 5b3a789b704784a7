package mapping

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// expectedInput is what the map command reads, for error messages.
const expectedInput = "akship map reads raw authentik records: one JSON object per line (NDJSON, as in " +
	"the conformance .log files), pretty-printed objects, or whole API pages " +
	`({"pagination":{…},"results":[…]}), whose results are mapped`

// rawRecord is one record of the map command's input and where it was.
type rawRecord struct {
	data []byte
	// where names the record in error messages: "line 3", or
	// "line 1, results[4]" for a record of an API page.
	where string
}

// recordReader splits the map command's input into records. It decides
// the shape from the first non-blank line: when that line is a complete
// JSON value, the input is NDJSON and every line is a record (a line that
// is not valid JSON stays a record of its own, so its error document keeps
// the output aligned); otherwise the input is JSON values spanning lines
// (pretty-printed records, `jq .` output), read as a stream. In both
// shapes an authentik API page stands for the records in its results.
type recordReader struct {
	in      *bufio.Reader
	line    int
	stream  *json.Decoder
	data    []byte // the stream's text, for line numbers
	pending []rawRecord
	decided bool
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{in: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next record, io.EOF at the end, or another error that
// ends the input (a read failure, a syntax error in a multi-line value).
func (rr *recordReader) next() (rawRecord, error) {
	for len(rr.pending) == 0 {
		if err := rr.fill(); err != nil {
			return rawRecord{}, err
		}
	}
	rec := rr.pending[0]
	rr.pending = rr.pending[1:]
	return rec, nil
}

// fill queues the records of the next line or value.
func (rr *recordReader) fill() error {
	if rr.stream != nil {
		return rr.fillStream()
	}
	raw, err := rr.in.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading line %d failed: %w", rr.line+1, err)
	}
	if len(raw) == 0 && err == io.EOF {
		return io.EOF
	}
	rr.line++
	rec := bytes.TrimSpace(raw)
	if len(rec) == 0 {
		return nil
	}
	if !rr.decided {
		rr.decided = true
		if !json.Valid(rec) {
			return rr.startStream(raw)
		}
	}
	rr.queue(rec, fmt.Sprintf("line %d", rr.line))
	return nil
}

// startStream switches to reading JSON values that span lines, starting
// with first (the first non-blank line).
func (rr *recordReader) startStream(first []byte) error {
	rest, err := io.ReadAll(rr.in)
	if err != nil {
		return fmt.Errorf("reading the input failed: %w", err)
	}
	rr.data = append(append(make([]byte, 0, len(first)+len(rest)), first...), rest...)
	rr.line-- // the line the stream starts on is counted again below
	rr.stream = json.NewDecoder(bytes.NewReader(rr.data))
	return nil
}

// fillStream queues the records of the stream's next value.
func (rr *recordReader) fillStream() error {
	start := rr.stream.InputOffset()
	var v json.RawMessage
	err := rr.stream.Decode(&v)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		offset := rr.stream.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			offset = se.Offset
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			offset = int64(len(rr.data))
		}
		return fmt.Errorf("line %d: invalid JSON (%v); %s", rr.lineAt(offset), err, expectedInput)
	}
	// Decode skips the whitespace before the value; name its first line.
	at := start + int64(len(rr.data[start:])-len(bytes.TrimLeft(rr.data[start:], " \t\r\n")))
	rr.queue(v, fmt.Sprintf("line %d", rr.lineAt(at+1)))
	return nil
}

// lineAt is the line of the byte before offset in the stream's text.
func (rr *recordReader) lineAt(offset int64) int {
	offset = min(max(offset, 1), int64(len(rr.data)))
	return rr.line + 1 + bytes.Count(rr.data[:offset-1], []byte("\n"))
}

// queue adds a value: the results of an API page, else the value itself.
func (rr *recordReader) queue(v []byte, where string) {
	if results, ok := pageResults(v); ok {
		for i, r := range results {
			rr.pending = append(rr.pending, rawRecord{data: r, where: fmt.Sprintf("%s, results[%d]", where, i)})
		}
		return
	}
	rr.pending = append(rr.pending, rawRecord{data: v, where: where})
}

// pageResults returns the records of an authentik list response (an object
// with "pagination" and a "results" array).
func pageResults(v []byte) ([]json.RawMessage, bool) {
	if !bytes.Contains(v, []byte(`"pagination"`)) || !bytes.Contains(v, []byte(`"results"`)) {
		return nil, false
	}
	var page struct {
		Pagination json.RawMessage   `json:"pagination"`
		Results    []json.RawMessage `json:"results"`
	}
	if json.Unmarshal(v, &page) != nil || page.Pagination == nil || page.Results == nil {
		return nil, false
	}
	return page.Results, true
}
