package esdouble

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// mappedIndex starts a double with an index template for "t-*" whose
// mappings are the given JSON, and returns a function that indexes one
// document into t-1 and returns its item's status, error type and reason.
func mappedIndex(t *testing.T, mappings string) func(doc string) (int, string, string) {
	t.Helper()
	s := start(t)
	tpl := `{"index_patterns":["t-*"],"template":{"settings":{"index.mapping.total_fields.limit":12},"mappings":` + mappings + `}}`
	if res, body := do(t, http.MethodPut, s.URL+"/_index_template/t", tpl, false); res.StatusCode != 200 {
		t.Fatalf("PUT template: %d %s", res.StatusCode, body)
	}
	n := 0
	return func(doc string) (int, string, string) {
		t.Helper()
		n++
		body := fmt.Sprintf(`{"index":{"_index":"t-1","_id":"%d"}}`+"\n%s\n", n, doc)
		res, out := do(t, http.MethodPost, s.URL+"/_bulk", body, false)
		if res.StatusCode != 200 {
			t.Fatalf("bulk: %d %s", res.StatusCode, out)
		}
		var answer struct {
			Items []map[string]itemResult `json:"items"`
		}
		if err := json.Unmarshal([]byte(out), &answer); err != nil || len(answer.Items) != 1 {
			t.Fatalf("bulk answer %s: %v", out, err)
		}
		r := answer.Items[0]["index"]
		if r.Error == nil {
			return r.Status, "", ""
		}
		return r.Status, r.Error.Type, r.Error.Reason
	}
}

// accepts and rejects check one document's fate.
func accepts(t *testing.T, index func(string) (int, string, string), doc string) {
	t.Helper()
	if status, typ, reason := index(doc); status >= 300 {
		t.Errorf("%s: rejected %d %s: %s, want accepted", doc, status, typ, reason)
	}
}

func rejects(t *testing.T, index func(string) (int, string, string), doc, wantType, wantReason string) {
	t.Helper()
	status, typ, reason := index(doc)
	if status != 400 || typ != wantType || !strings.Contains(reason, wantReason) {
		t.Errorf("%s: %d %s: %s, want 400 %s containing %q", doc, status, typ, reason, wantType, wantReason)
	}
}

const dpe = "document_parsing_exception"

func TestMappingKeyword(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"k":{"type":"keyword","ignore_above":4}}}`)
	accepts(t, index, `{"k":"ab"}`)
	accepts(t, index, `{"k":"longer than ignore_above"}`) // not indexed, not rejected
	accepts(t, index, `{"k":12}`)
	accepts(t, index, `{"k":true}`)
	accepts(t, index, `{"k":["a","b"]}`)
	accepts(t, index, `{"k":null}`)
	rejects(t, index, `{"k":{"pk":"x","name":"y"}}`, dpe,
		"failed to parse field [k] of type [keyword] in document with id '7'. Preview of field's value: '{pk=x, name=y}'")
}

func TestMappingIP(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"ip":{"type":"ip"}}}`)
	accepts(t, index, `{"ip":"192.0.2.7"}`)
	accepts(t, index, `{"ip":"2001:db8::1"}`)
	rejects(t, index, `{"ip":"not-an-ip"}`, dpe, "'not-an-ip' is not an IP string literal.")
	rejects(t, index, `{"ip":"10.0.0.0/8"}`, dpe, "failed to parse field [ip] of type [ip]")
}

func TestMappingDate(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"d":{"type":"date"}}}`)
	for _, v := range []string{`"2024-08-07T06:28:59.565Z"`, `"2024-08-07T06:28:59.565191+02:00"`, `"2024-08-07"`,
		`"2024"`, `1723012139565`, `"1723012139565"`} {
		accepts(t, index, `{"d":`+v+`}`)
	}
	rejects(t, index, `{"d":"yesterday"}`, dpe, "failed to parse field [d] of type [date]")
	rejects(t, index, `{"d":"2024-02-30"}`, dpe, "of type [date]")
	rejects(t, index, `{"d":"2024-08-07 06:28:59"}`, dpe, "of type [date]")
}

func TestMappingLongCoercion(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"n":{"type":"long"},"strict":{"type":"long","coerce":false},"i":{"type":"integer"}}}`)
	for _, v := range []string{`12`, `"12"`, `1.5`, `"1.5"`, `""`, `-9223372036854775808`} {
		accepts(t, index, `{"n":`+v+`}`)
	}
	rejects(t, index, `{"n":"abc"}`, dpe, `For input string: "abc"`)
	rejects(t, index, `{"n":true}`, dpe, "of type [long]")
	rejects(t, index, `{"n":9223372036854775808}`, dpe, "out of range for a long")
	rejects(t, index, `{"n":{"a":1}}`, dpe, "of type [long]")
	rejects(t, index, `{"strict":"12"}`, dpe, "of type [long]")
	rejects(t, index, `{"strict":1.5}`, dpe, "has a decimal part")
	rejects(t, index, `{"i":2147483648}`, dpe, "out of range for a integer")
}

func TestMappingBooleanFlattenedGeoConstant(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"b":{"type":"boolean"},"f":{"type":"flattened"},"g":{"type":"geo_point"},
		"c":{"type":"constant_keyword","value":"authentik.event"}}}`)
	accepts(t, index, `{"b":true,"f":{"a":{"b":1}},"g":{"lat":51.5,"lon":-0.1},"c":"authentik.event"}`)
	accepts(t, index, `{"b":"false","g":"51.5,-0.1"}`)
	rejects(t, index, `{"b":"yes"}`, dpe, "Failed to parse value [yes] as only [true] or [false] are allowed.")
	rejects(t, index, `{"b":1}`, dpe, "of type [boolean]")
	rejects(t, index, `{"f":"text"}`, dpe, "failed to parse field [f] of type [flattened]")
	rejects(t, index, `{"g":{"lat":"x"}}`, dpe, "of type [geo_point]")
	rejects(t, index, `{"c":"authentik.user"}`, dpe, "only accepts values that are equal to the value defined in the mappings")
}

func TestMappingObjects(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"o":{"properties":{"k":{"type":"keyword"}}},
		"s":{"dynamic":"strict","properties":{"k":{"type":"keyword"}}}}}`)
	accepts(t, index, `{"o":{"k":"x"}}`)
	accepts(t, index, `{"o.k":"dotted keys are paths"}`)
	rejects(t, index, `{"o":"concrete"}`, dpe, "object mapping for [o] tried to parse field [o] as object, but found a concrete value")
	rejects(t, index, `{"o.k":{"x":1}}`, dpe, "failed to parse field [o.k] of type [keyword]")
	accepts(t, index, `{"s":{"k":"x"}}`)
	rejects(t, index, `{"s":{"new":"x"}}`, "strict_dynamic_mapping_exception",
		"mapping set to strict, dynamic introduction of [new] within [s] is not allowed")
}

func TestDynamicMappingFixedByTheFirstDocument(t *testing.T) {
	index := mappedIndex(t, `{}`)
	accepts(t, index, `{"pk":12}`) // long
	rejects(t, index, `{"pk":"3a1f27c6e298428f"}`, dpe, "failed to parse field [pk] of type [long]")
	accepts(t, index, `{"pk":"13"}`)                     // a numeric string coerces
	accepts(t, index, `{"when":"2024-08-07T06:28:59Z"}`) // date_detection: a date
	rejects(t, index, `{"when":"soon"}`, dpe, "of type [date]")
	accepts(t, index, `{"flow":"53287faa8a644b6cb124cb602a84282f"}`) // text + keyword
	rejects(t, index, `{"flow":{"pk":"x"}}`, dpe, "failed to parse field [flow] of type [text]")
	accepts(t, index, `{"obj":{"a":1}}`)
	rejects(t, index, `{"obj":"x"}`, dpe, "object mapping for [obj]")
}

func TestARejectedDocumentMapsNothing(t *testing.T) {
	index := mappedIndex(t, `{"properties":{"ip":{"type":"ip"}}}`)
	rejects(t, index, `{"later":{"a":1},"ip":"bad"}`, dpe, "is not an IP string literal")
	accepts(t, index, `{"later":"a string: later was never mapped as an object"}`)
}

func TestDetectionSettings(t *testing.T) {
	index := mappedIndex(t, `{"date_detection":false,"numeric_detection":true}`)
	accepts(t, index, `{"when":"2024-08-07T06:28:59Z","n":"12"}`)
	accepts(t, index, `{"when":"not a date"}`)                 // date_detection off: text
	rejects(t, index, `{"n":"twelve"}`, dpe, "of type [long]") // numeric_detection made n a long
}

func TestDynamicTemplatesInOrder(t *testing.T) {
	index := mappedIndex(t, `{"dynamic_templates":[
		{"ids":{"path_match":"ctx.*.pk","mapping":{"type":"keyword"}}},
		{"ips":{"match":"*_ip","match_mapping_type":"string","mapping":{"type":"ip"}}},
		{"strings":{"match_mapping_type":"string","mapping":{"type":"keyword","ignore_above":1024}}},
		{"never":{"match_mapping_type":"string","mapping":{"type":"long"}}}]}`)
	accepts(t, index, `{"ctx":{"model":{"pk":12}}}`)             // the first template: keyword, not long
	accepts(t, index, `{"ctx":{"model":{"pk":"3a1f27c6e298"}}}`) // so a string pk later fits
	accepts(t, index, `{"client_ip":"192.0.2.1"}`)
	rejects(t, index, `{"client_ip":"nope"}`, dpe, "of type [ip]")
	accepts(t, index, `{"name":"the strings template comes before never"}`)
	accepts(t, index, `{"name":"still a keyword"}`)
}

func TestTotalFieldsLimit(t *testing.T) {
	index := mappedIndex(t, `{}`) // limit 12 from the template's settings
	accepts(t, index, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`)
	rejects(t, index, `{"g":1,"h":2,"i":3,"j":4,"k":5,"l":6,"m":7}`, dpe, "Limit of total fields [12] has been exceeded")
}
