package mapping

import (
	"bytes"
	"reflect"
	"testing"
)

// TestRecordView reads every engine test record through a record view and
// requires what decoding gives: each field's value, the written object's
// bytes, and the view of a plain record staying undecoded while its fields
// are read (else the engine would silently lose what the view saves).
func TestRecordView(t *testing.T) {
	viewed := 0
	for _, raw := range engineRecords(t) {
		var r recordView
		root, ok := r.open(raw)
		decoded, err := parseJSON(raw)
		want, isObject := decoded.(map[string]any)
		if !ok {
			if bytes.Equal(raw, loginEvent) {
				t.Fatal("the login event was not viewed")
			}
			continue
		}
		viewed++
		if err != nil || !isObject {
			t.Fatalf("viewed a record decoding rejects: %q", raw)
		}
		for k, w := range want {
			got, has := root.get(k)
			if !has || !reflect.DeepEqual(deepPlain(got), w) {
				t.Errorf("%q: field %q is %#v, decoding gives %#v", raw, k, deepPlain(got), w)
			}
		}
		if _, has := root.get("no such key"); has {
			t.Errorf("%q: a missing key is present", raw)
		}
		if root.m != nil {
			t.Errorf("%q: reading fields decoded the whole record", raw)
		}
		var viewW, mapW engWriter
		viewW.value(root)
		mapW.value(want)
		if !bytes.Equal(viewW.b, mapW.b) {
			t.Errorf("%q: the view writes\n%s\nthe decoded record\n%s", raw, viewW.b, mapW.b)
		}
		r.close()
	}
	if viewed < 10 {
		t.Errorf("only %d records were viewed", viewed)
	}
}
