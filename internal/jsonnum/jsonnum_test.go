package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

func TestReplace(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader([]byte(
		`{"small":17,"neg":-5,"frac":1.5,"exp":1e3,"big":99999999999999999999,"huge":1e400,"list":[1,{"x":2.0}],"s":"7"}`)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"small": int64(17), "neg": int64(-5), "frac": 1.5, "exp": 1000.0,
		"big":  1e20, // beyond int64: a float
		"huge": "1e400",
		"list": []any{int64(1), map[string]any{"x": 2.0}},
		"s":    "7",
	}
	if got := Replace(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("Replace = %#v\nwant %#v", got, want)
	}
}

func TestDecode(t *testing.T) {
	got, err := Decode([]byte(" {\"n\":17,\"f\":2.5,\"huge\":-1e400,\"l\":[9223372036854775808]}\n"))
	want := map[string]any{"n": int64(17), "f": 2.5, "huge": "-1e400", "l": []any{9223372036854775808.0}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode = %#v, %v\nwant %#v", got, err, want)
	}
	if got, err := Decode([]byte("42")); err != nil || got != int64(42) {
		t.Errorf("Decode(42) = %#v, %v", got, err)
	}
	var se *json.SyntaxError
	for _, tt := range []struct {
		in   string
		want func(error) bool
	}{
		{`{"a":1} {"b":2}`, func(err error) bool { return err == ErrTrailingData }},
		{`{"a":1}x`, func(err error) bool { return err == ErrTrailingData }},
		{`[1]]`, func(err error) bool { return err == ErrTrailingData }},
		{`{"a":}`, func(err error) bool { return errors.As(err, &se) && se.Offset == 6 }},
		{`{"a":1`, func(err error) bool { return err == io.ErrUnexpectedEOF }},
		{``, func(err error) bool { return err == io.EOF }},
	} {
		if v, err := Decode([]byte(tt.in)); !tt.want(err) {
			t.Errorf("Decode(%q) = %#v, %v", tt.in, v, err)
		}
	}
}
