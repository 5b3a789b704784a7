package jsonenc

import "testing"

func TestAppendWithMember(t *testing.T) {
	ds := []byte(`{"type":"logs"}`)
	for _, tt := range []struct{ obj, want string }{
		{`{"a":1}`, `{"a":1,"data_stream":{"type":"logs"}}`},
		{`{}`, `{"data_stream":{"type":"logs"}}`},
	} {
		got, ok := AppendWithMember([]byte("x"), []byte(tt.obj), "data_stream", ds)
		if !ok || string(got) != "x"+tt.want {
			t.Errorf("AppendWithMember(%s) = %s, %v; want x%s", tt.obj, got, ok, tt.want)
		}
		if len(got)-1-len(tt.obj) > MemberSize("data_stream", ds) {
			t.Errorf("AppendWithMember(%s) added more than MemberSize", tt.obj)
		}
	}
	for _, obj := range []string{``, `{`, `[1]`, `"{}"`} {
		if got, ok := AppendWithMember(nil, []byte(obj), "k", []byte("1")); ok || got != nil {
			t.Errorf("AppendWithMember(%q) = %s, %v; want nothing", obj, got, ok)
		}
	}
	// In place: within the object's capacity, no copy elsewhere.
	obj := append(make([]byte, 0, 64), `{"a":1}`...)
	got, ok := AppendWithMember(obj[:0], obj, "b", []byte("2"))
	if !ok || string(got) != `{"a":1,"b":2}` || &got[0] != &obj[0] {
		t.Errorf("in place: %s, %v, same array %v", got, ok, &got[0] == &obj[0])
	}
}

// MemberSize is the number of bytes AppendWithMember adds to an object.
func MemberSize(key string, raw []byte) int { return len(`,"":`) + len(key) + len(raw) }
