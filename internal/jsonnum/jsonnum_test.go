package jsonnum

import (
	"bytes"
	"encoding/json"
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
