package mapping

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"akship/internal/jsonnum"
)

var jsonSeeds = []string{
	`{"a":1,"b":-2.5e3,"c":[true,false,null],"d":{"e":"f"},"g":""}`,
	`{"s":"\u00e9\ud83d\ude00\n\t\"\\\/","bad":"\ud800x","lone":"\udc00","mixed":"é ü"}`,
	`{"n":[0,-0,1e400,-1e400,9223372036854775807,9223372036854775808,-9223372036854775809,1E2,0.0]}`,
	"{\"utf8\":\"\xff\xfeok\xc3\"}",
	` { "a" : [ ] , "b" : { } } `,
	`{"a":1,"a":2}`,
	`[1,2]`, `"x"`, `null`, `true`, `12`, ``, ` `, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":"\x"}`, `{"a":"\u12"}`,
	"{\"a\":\"tab\there\"}", `{"a":tru}`, `{"a":nul}`, `{} {}`, `{}x`, `{"a":"b"`, `{"a":"b`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"deep":` + strings.Repeat("[", 30) + strings.Repeat("]", 30) + `}`,
}

func checkAgainstStd(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := jsonnum.Decode(data) // the reference: encoding/json
	got, gotErr := parseJSON(data)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json error %v, parseJSON error %v", data, wantErr, gotErr)
	}
	if wantErr == nil {
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: values differ (-encoding/json +parseJSON):\n%s", data, cmp.Diff(want, got))
		}
	}
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	for i, s := range jsonSeeds {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkAgainstStd(t, []byte(s)) })
	}
}

// FuzzParseJSON checks that parseJSON accepts and decodes exactly what
// encoding/json does.
func FuzzParseJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Add(loginEvent)
	f.Fuzz(checkAgainstStd)
}
