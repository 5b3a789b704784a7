package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrBadRecord is wrapped by the errors for records that are not a JSON
// object. Their documents still ship, with error fields.
var ErrBadRecord = errors.New("bad record")

// decodeRecord decodes one API record. Numbers written without a fraction
// or exponent that fit in 64 bits become int64 (pks stay exact), other
// numbers float64, and numbers beyond float64's range their text.
func decodeRecord(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: the record is not valid JSON: %v", ErrBadRecord, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: the record is followed by more data", ErrBadRecord)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the record is %s, not a JSON object", ErrBadRecord, jsonKind(v))
	}
	numbers(m)
	return m, nil
}

// numbers replaces the json.Numbers in v, in place.
func numbers(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok {
				x[k] = number(n)
			} else {
				numbers(e)
			}
		}
	case []any:
		for i, e := range x {
			if n, ok := e.(json.Number); ok {
				x[i] = number(n)
			} else {
				numbers(e)
			}
		}
	}
}

func number(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s // beyond float64 (1e400): keep the digits rather than infinity
	}
	return f
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
