package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type celCase struct {
	name    string
	expr    string
	record  map[string]any
	want    any
	wantErr string // the expression yields a failure with this message part
}

func runCELCases(t *testing.T, tests []celCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evalCEL(t, tt.expr, tt.record)
			if tt.wantErr != "" {
				f, ok := got.(*Failure)
				if !ok || !strings.Contains(f.Message, tt.wantErr) {
					t.Fatalf("%s = %#v, want a failure containing %q", tt.expr, got, tt.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestGeoIPFunctions(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "city", expr: `geoip("216.160.83.58")`, want: map[string]any{
			"continent_name": "North America", "country_iso_code": "US", "country_name": "United States",
			"region_iso_code": "US-WA", "region_name": "Washington", "city_name": "Milton",
			"location": map[string]any{"lat": 47.2513, "lon": -122.3149},
		}},
		{name: "country only", expr: `geoip("2a02:cf40::7").country_iso_code`, want: "NO"},
		{name: "private", expr: `geoip("192.168.1.1")`, want: map[string]any{}},
		{name: "null", expr: `geoip(null)`, want: map[string]any{}},
		{name: "number", expr: `geoip(42)`, want: map[string]any{}},
		{name: "failure", expr: `geoip(fail("x"))`, want: map[string]any{}},
		{name: "asn", expr: `asn("175.16.199.3")`, want: map[string]any{
			"number": int64(4837), "organization": map[string]any{"name": "CHINA UNICOM China169 Backbone"},
		}},
		{name: "asn unknown", expr: `asn("10.0.0.1")`, want: map[string]any{}},
	})
}

func TestUserAgentFunction(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "firefox", expr: `user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0")`,
			want: map[string]any{
				"original": "Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0",
				"name":     "Firefox", "version": "129.0",
				"os": map[string]any{"name": "Linux"}, "device": map[string]any{"name": "Other"},
			}},
		{name: "null stays absent", expr: `user_agent(null)`, want: nil},
		{name: "not a string", expr: `user_agent(5)`, wantErr: "user agent 5 is not a string"},
	})
}

func TestAppendUnique(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "keeps order, drops duplicates", expr: `[].append_unique("a").append_unique("b").append_unique("a")`,
			want: []any{"a", "b"}},
		{name: "global form", expr: `append_unique(["a"], "b")`, want: []any{"a", "b"}},
		{name: "numbers rendered as text", expr: `["4"].append_unique(4).append_unique(2.5)`, want: []any{"4", "2.5"}},
		{name: "null, failure and objects append nothing",
			expr: `[].append_unique(null).append_unique(fail("x")).append_unique({"a": 1})`, want: []any{}},
		{name: "a list appends each element", expr: `["1"].append_unique([1, 2, 2, 3])`, want: []any{"1", "2", "3"}},
		{name: "empty string is appended (dropped later)", expr: `[].append_unique("")`, want: []any{""}},
	})
}

func TestDropEmpty(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "nested", expr: `drop_empty({"a": null, "b": "", "c": [], "d": {}, "e": {"f": [null, "", "x"]}, "g": false, "h": 0})`,
			want: map[string]any{"e": map[string]any{"f": []any{"x"}}, "g": false, "h": int64(0)}},
		{name: "all empty", expr: `drop_empty({"a": {"b": [null]}})`, want: map[string]any{}},
		{name: "record untouched", expr: `[drop_empty(record), record]`,
			record: map[string]any{"a": nil, "b": int64(1)},
			want:   []any{map[string]any{"b": int64(1)}, map[string]any{"a": nil, "b": int64(1)}}},
	})
}

func TestESDate(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "microseconds truncated", expr: `es_date("2024-08-07T06:28:59.565999Z")`, want: "2024-08-07T06:28:59.565Z"},
		{name: "offset converted to UTC", expr: `es_date("2024-08-07T08:28:59.5+02:00")`, want: "2024-08-07T06:28:59.500Z"},
		{name: "compact offset", expr: `es_date("2024-08-07T01:28:59-0500")`, want: "2024-08-07T06:28:59.000Z"},
		{name: "hour offset", expr: `es_date("2024-08-07T01:28:59-05")`, want: "2024-08-07T06:28:59.000Z"},
		{name: "zone-less is UTC", expr: `es_date("2024-08-07T06:28:59.123456")`, want: "2024-08-07T06:28:59.123Z"},
		{name: "date only", expr: `es_date("2024-08-07")`, want: "2024-08-07T00:00:00.000Z"},
		{name: "year and month", expr: `es_date("2024-08")`, want: "2024-08-01T00:00:00.000Z"},
		{name: "hours only", expr: `es_date("2024-08-07T06Z")`, want: "2024-08-07T06:00:00.000Z"},
		{name: "comma fraction", expr: `es_date("2024-08-07T06:28:59,9Z")`, want: "2024-08-07T06:28:59.900Z"},
		{name: "crosses midnight", expr: `es_date("2024-12-31T23:30:00-01:00")`, want: "2025-01-01T00:30:00.000Z"},
		{name: "null passes", expr: `es_date(null)`, want: nil},
		{name: "empty passes", expr: `es_date("")`, want: ""},
		{name: "garbage", expr: `es_date("yesterday")`, wantErr: `unable to parse date "yesterday"`},
		{name: "day out of range", expr: `es_date("2024-02-30T00:00:00Z")`, wantErr: "out of range"},
		{name: "trailing text", expr: `es_date("2024-08-07T06:28:59Z junk")`, wantErr: "unexpected"},
		{name: "too many fraction digits", expr: `es_date("2024-08-07T06:28:59.1234567891Z")`, wantErr: "unexpected"},
		{name: "object", expr: `es_date({"a": 1})`, wantErr: "not a string"},
		{name: "failure passes", expr: `es_date(fail("earlier"))`, wantErr: "earlier"},
	})
}

func TestConversions(t *testing.T) {
	runCELCases(t, []celCase{
		{name: "to_string int", expr: `to_string(4)`, want: "4"},
		{name: "to_string double", expr: `to_string(2.0)`, want: "2.0"},
		{name: "to_string big double", expr: `to_string(12345678.9)`, want: "1.23456789E7"},
		{name: "to_string bool", expr: `to_string(true)`, want: "true"},
		{name: "to_string list", expr: `to_string([1, "a"])`, want: []any{"1", "a"}},
		{name: "to_string null", expr: `to_string(null)`, want: nil},
		{name: "to_string object", expr: `to_string({"pk": 1})`, wantErr: "cannot convert an object to a string"},
		{name: "to_bool text", expr: `[to_bool("TRUE"), to_bool("false"), to_bool(true)]`, want: []any{true, false, true}},
		{name: "to_bool bad", expr: `to_bool("yes")`, wantErr: `"yes" is not a boolean value`},
		{name: "to_bool number", expr: `to_bool(1)`, wantErr: "1 is not a boolean value"},
		{name: "to_long", expr: `[to_long(7), to_long("42"), to_long("-0x1F"), to_long("+8")]`,
			want: []any{int64(7), int64(42), int64(-31), int64(8)}},
		{name: "to_long fraction", expr: `to_long(3.5)`, wantErr: "3.5 is not a whole number"},
		{name: "to_long text", expr: `to_long("4x")`, wantErr: `"4x" is not a whole number`},
		{name: "is_ip", expr: `[is_ip("10.1.2.3"), is_ip("2001:db8::1"), is_ip("::ffff:1.2.3.4"), is_ip("1.2.3"), is_ip(""), is_ip(5)]`,
			want: []any{true, true, true, false, false, false}},
		{name: "fail with value", expr: `fail("bad thing", {"a": [1]})`, wantErr: `bad thing: {"a":[1]}`},
	})
}

func TestMapFunctions(t *testing.T) {
	rec := map[string]any{"a": map[string]any{"b": int64(1), "c": int64(2)}, "d": "x"}
	odd := map[string]any{"a": map[string]any{"b": int64(1)}, "d": "x", "l": []any{"x"}, "n": nil}
	runCELCases(t, []celCase{
		{name: "field", expr: `field(record, "a.b").orValue(0)`, record: odd, want: int64(1)},
		{name: "field missing", expr: `field(record, "a.z").hasValue()`, record: odd, want: false},
		{name: "field through a list", expr: `field(record, "l.x").hasValue()`, record: odd, want: false},
		{name: "field through a string", expr: `field(record, "d.x").hasValue()`, record: odd, want: false},
		{name: "field null", expr: `[field(record, "n").hasValue(), field(record, "n").value()]`, record: odd,
			want: []any{true, nil}},
		{name: "with sets paths", expr: `with(record, {"a.b": "one", "e.f": true})`, record: rec,
			want: map[string]any{"a": map[string]any{"b": "one", "c": int64(2)}, "d": "x", "e": map[string]any{"f": true}}},
		{name: "with skips absent optionals", expr: `with(record, {"a.z": record.?nope, "d": record.?d.optMap(v, v + "!")})`,
			record: rec, want: map[string]any{"a": map[string]any{"b": int64(1), "c": int64(2)}, "d": "x!"}},
		{name: "with leaves the record alone", expr: `[with(record, {"a.b": 9}).a.b, record.a.b]`, record: rec,
			want: []any{int64(9), int64(1)}},
		{name: "without", expr: `without(record, ["a.b", "d", "x.y"])`, record: rec,
			want: map[string]any{"a": map[string]any{"c": int64(2)}}},
		{name: "merge", expr: `merge(record, {"a": {"c": 3, "n": 4}, "d": null})`, record: rec,
			want: map[string]any{"a": map[string]any{"b": int64(1), "c": int64(3), "n": int64(4)}, "d": nil}},
	})
}
