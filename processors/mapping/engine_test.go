package mapping

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"akship/internal/datasets"
)

// engineRecords are the records the engine tests map: the golden records,
// the login event, one per categorised action, and the conformance events
// when ../shared is there.
func engineRecords(t *testing.T) [][]byte {
	records := [][]byte{loginEvent}
	for _, action := range []string{"login", "login_failed", "model_created", "email_sent", "nope"} {
		records = append(records, []byte(`{"action":"`+action+`","client_ip":"81.2.69.9"}`))
	}
	// Records the record view must read as decoding does: repeated keys
	// (the last wins), escapes, non-ASCII and invalid UTF-8, numbers
	// beyond int64, empty values, deep objects.
	records = append(records,
		[]byte(`{"user":{"pk":1,"email":"a@x"},"action":"login","user":{"pk":"2","username":"u\u00e9","pk":3},"pk":"p","pk":"q"}`),
		[]byte(`{"action":"model_created","context":{"model":{"pk":18446744073709551616,"name":"\"quoted\" \u2028 <b>"},"flow":{"pk":7},"created":"true"},"user":{}}`),
		[]byte(`{"action":"ünïcode","client_ip":"","user":{"username":"jörg","email":"j@exämple.org","pk":1.5e3},"context":{"args":[{},[],"",null,{"a":{"b":[1,{"c":""}]}}]}}`),
		[]byte("{\"action\":\"bad\xffutf8\",\"user\":{\"email\":\"x\xfe@y\"}}"),
		[]byte(`{"context":{"http_request":{"method":"GET","path":"/p","user_agent":"curl/8.0","args":{"next":{"deep":{"er":true}}}}},"user":{"on_behalf_of":{"pk":5,"email":"o@x"}}}`),
	)
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.record"))
	for _, f := range files {
		records = append(records, readLines(t, f)...)
	}
	if shared := sharedDirOrEmpty(); shared != "" {
		records = append(records, readLines(t, filepath.Join(shared, "conformance", "event.log"))...)
	}
	return records
}

// TestEngineMatchesReference maps records with programs of many shapes
// (the default, a user's variant, extensions, edge cases of binds, map
// literals and the finishing fields) and requires the engine's bytes to be
// the reference evaluation's.
func TestEngineMatchesReference(t *testing.T) {
	variant, err := os.ReadFile(filepath.Join("testdata", "bench", "program.cel"))
	if err != nil {
		t.Fatal(err)
	}
	benchExtension, err := os.ReadFile(filepath.Join("testdata", "bench", "extend.cel"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		tags    []string
		program string
		extend  string
	}{
		{name: "default"},
		{name: "default, preserve", tags: []string{"preserve_duplicate_custom_fields"}},
		{name: "no tags", tags: []string{}},
		{name: "user's variant (bench)", program: string(variant)},
		{name: "extension (bench)", extend: string(benchExtension)},
		{name: "extension with doc", extend: `{
			"labels": {"tenant": "acme"},
			"event": {"severity": record.?action.orValue("") == "login_failed" ? 3 : 1},
			"user": {"roles": doc.?user.?name.orValue("") == "akadmin" ? ["admin"] : []},
		}`},
		{name: "extension replacing", extend: `{"source": "gone", "user": {"name": ""}, "related": {"user": [1, 2.5, true]}}`},
		{name: "extension failing", extend: `{"n": record.missing.field}`},
		{name: "shadowed binds", program: `cel.bind(x, 1, {"a": cel.bind(x, "inner", {"x": x}), "b": x,
			"c": cel.bind(y, record.nope.deeper, record.?action.hasValue() ? "act" : y)})`},
		{name: "dynamic shapes", program: `{"a": {?"opt": record.?action}, "b": {1: "int key"},
			"c": {"k": "v", "k2": record.?pk.orValue(null)}, "d": [record.?action.orValue(null), "", {}, [[]]]}`},
		{name: "finishing fields", program: `{"tags": ["own", 1, "forwarded", fail("bad tag")], "@timestamp": "",
			"error": {"message": ["first", ""]}, "event": fail("no event", record.?action.orValue(null))}`},
		{name: "event not a map", program: `{"event": "text", "error": "text", "tags": "text"}`},
		{name: "whole program a value", program: `record.?user.orValue({"x": 1.5})`},
		{name: "not a map at run time", program: `dyn(record.?action.orValue(1))`},
		{name: "failing leaf", program: `{"a": 1, "b": record.missing, "c": record.other}`},
		{name: "edits", program: `cel.bind(a, with(record, {"user.pk": "x", "user": field(record, "nope"),
				"context.http_request.path": record.?pk, "brand.name.deeper": 1, "z.y": field(record, "none.x")}),
			cel.bind(b, without(a, ["user.email", "context", "missing.path", "pk.x"]),
			{"a": a, "b": b, "c": field(b, "user.pk").orValue(null), "d": b.?brand.?name.orValue(null),
			 "e": [a].map(x, x.?user.?pk.orValue("none")), "f": with(dyn(record.?pk.orValue({})), {"k.j": b.?app}),
			 "g": without(with(record, {"x": with({}, {"y": without(record, ["pk"])})}), ["x.y.action"]),
			 "h": {"in": "user" in b, "size": size(b), "type": type(b) == map, "s": to_string(b)}}))`},
		{name: "edits under extension", program: `{"authentik": {"event": without(with(record, {"user.pk": 1}), ["client_ip"])}}`,
			extend: `{"authentik": {"event": {"user": {"added": true}, "pk": doc.authentik.event.?pk.orValue("none")}}}`},
		{name: "not finite", program: `{"a": 1.0 / 0.0, "b": [0.0 / 0.0]}`},
		{name: "record objects read and handed on", program: `cel.bind(u, record.?user.orValue({}), cel.bind(c, record.?context,
			{"u": u, "keys": u.all(k, k != ""), "has": has(u.pk), "in": "pk" in u, "size": size(u), "eq": u == {"pk": 3},
			 "c": c.orValue(null), "m": c.optMap(x, x.?model).orValue(null), "all": record,
			 "w": with(u, {"pk": "s"}), "wo": without(record, ["user.pk", "context.args"]),
			 "merged": merge(u, {"extra": record.?pk.orValue(null)}), "list": [u, record.?context.orValue(null)],
			 "f": field(record, "context.model.name").orValue(null), "s": to_string(u)}))`},
	}
	records := engineRecords(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			if tc.tags != nil {
				cfg.Event.Tags = tc.tags
			}
			cfg.Event.Program, cfg.Event.Extend = tc.program, tc.extend
			m := newMapper(t, cfg)
			for i, raw := range records {
				t.Run(fmt.Sprint(i), func(t *testing.T) { checkEngine(t, m, datasets.Event, raw) })
			}
		})
	}
}

// TestEngineFoldsConstants checks that what does not depend on the record
// is computed once, when the program is compiled: the default program's
// tag test and categorisation table.
func TestEngineFoldsConstants(t *testing.T) {
	m := newMapper(t, testConfig(t))
	eng := m.datasets[datasets.Event].program.eng
	folded := 0
	for _, s := range eng.steps {
		if s.constant != nil {
			folded++
		}
	}
	if folded < 3 {
		t.Errorf("only %d of %d steps were computed at compile time", folded, len(eng.steps))
	}
}
