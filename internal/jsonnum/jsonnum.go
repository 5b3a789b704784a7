// Package jsonnum gives JSON numbers the Go values akship's documents hold:
// int64 for a whole number written without fraction or exponent that fits,
// float64 otherwise, and the number's own text when it is beyond float64
// (1e400), rather than infinity. The mapping decodes records this way and
// the agent decodes serialised documents this way, so a document reads the
// same whichever path made it.
package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// ErrTrailingData is Decode's error for data holding more than one JSON
// value, or a value followed by something that is not JSON.
var ErrTrailingData = errors.New("jsonnum: the JSON value is followed by more data")

// Decode decodes the one JSON value in data (whitespace may surround it)
// with encoding/json, numbers as Value gives them. Its errors are
// encoding/json's, unwrapped (a *json.SyntaxError, io.ErrUnexpectedEOF,
// io.EOF for no value at all), or ErrTrailingData.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrTrailingData
	}
	return Replace(v), nil
}

// Value converts the text of a valid JSON number; integral tells whether
// the text has neither fraction nor exponent (callers usually know).
func Value(text string, integral bool) any {
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return text
	}
	return f
}

// Integral reports whether a valid JSON number's text is written without
// fraction or exponent.
func Integral(text string) bool { return !strings.ContainsAny(text, ".eE") }

// Replace replaces, in place, the json.Number values that encoding/json's
// Decoder.UseNumber left in v (maps and slices of any depth) with Value's,
// and returns v, or the converted value when v itself is a json.Number.
func Replace(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = Replace(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Replace(e)
		}
	case json.Number:
		return Value(string(x), Integral(string(x)))
	}
	return v
}
