package simulator

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

const schemaHost = "http://authentik.test"

// loadSchema loads authentik's OpenAPI fragment and adapts it for
// validating the simulator:
//   - the server is made absolute so the router can match request URLs;
//   - EventActions becomes an open string (the 27 enum values, the actions
//     2026.2 and 2026.8 add (spec §14, an additive change) or any
//     custom_<name>): authentik writes custom_* actions that are not enum
//     members (spec §6), and the conformance records contain one;
//   - uuid formats are checked, which kin-openapi does not do by default.
func loadSchema(t *testing.T) routers.Router {
	t.Helper()
	path := filepath.Join(sharedDir(t), "spec", "openapi-fragment.yml")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	doc.Servers = openapi3.Servers{{URL: schemaHost + "/api/v3"}}
	actions := doc.Components.Schemas["EventActions"].Value
	var alts []string
	for _, v := range actions.Enum {
		alts = append(alts, v.(string))
	}
	for _, k := range append(actions2026x2(), actions2026x8()...) {
		alts = append(alts, k.action)
	}
	actions.Enum = nil
	actions.Pattern = "^(" + strings.Join(alts, "|") + "|custom_[a-z0-9_]+)$"
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("schema invalid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// TestResponsesMatchOpenAPISchema validates every emulated release's
// responses against authentik's OpenAPI fragment (later releases only add
// keys: autocomplete, actions).
func TestResponsesMatchOpenAPISchema(t *testing.T) {
	t.Parallel()
	router := loadSchema(t)
	for _, version := range Versions {
		t.Run(version, func(t *testing.T) {
			s := newSim(t, Options{Events: 600, Users: 120, Groups: 15, Version: version, License: LicenseEnterprise})
			validateRelease(t, router, s)
		})
	}
}

func validateRelease(t *testing.T, router routers.Router, s *Simulator) {
	groupPK := list(t, s, "/api/v3/core/groups/").Results[0]["pk"].(string)
	tests := []struct {
		target string
		status int
	}{
		{"/api/v3/events/events/", 200},
		{"/api/v3/events/events/?page_size=600", 200},
		{"/api/v3/events/events/?page=3&page_size=50&ordering=-created,-pk", 200},
		{"/api/v3/events/events/?action=login&client_ip=81.2.69.150", 200},
		{"/api/v3/events/events/?action=nothing", 200},
		{"/api/v3/events/events/?context_model_name=user&ordering=action", 200},
		{"/api/v3/events/events/?search=akadmin", 200},
		{"/api/v3/events/events/?search=" + strings.ReplaceAll(`action = "login"`, " ", "+"), 200},
		{"/api/v3/events/events/?actions=login&actions=logout&username=akadmin", 200},
		{"/api/v3/events/events/?page=999", 404},
		{"/api/v3/events/events/" + s.EventPKs()[0] + "/", 200},
		{"/api/v3/core/users/", 200},
		{"/api/v3/core/users/?page_size=500&include_groups=false", 200},
		{"/api/v3/core/users/?type=internal&type=external&is_active=true", 200},
		{"/api/v3/core/users/?type=robot", 400},
		{"/api/v3/core/users/1/", 200},
		{"/api/v3/core/groups/", 200},
		{"/api/v3/core/groups/?include_users=false", 200},
		{"/api/v3/core/groups/?include_users=true&ordering=-num_pk&page_size=5&page=2", 200},
		{"/api/v3/core/groups/" + groupPK + "/", 200},
		{"/api/v3/core/groups/" + groupPK + "/?include_users=false", 200},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			validateExchange(t, router, s, tt.target, "Bearer "+testToken, tt.status)
		})
	}
	t.Run("403 without credentials", func(t *testing.T) {
		validateExchange(t, router, s, "/api/v3/core/users/", "", 403)
	})
}

// validateExchange sends the request, checks the status and validates the
// request and the response against the schema.
func validateExchange(t *testing.T, router routers.Router, s *Simulator, target, auth string, status int) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, schemaHost+target, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != status {
		t.Fatalf("status %d, want %d: %.300s", w.Code, status, w.Body.Bytes())
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("no schema route for %s: %v", target, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: status != 404, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	// A 400 is provoked by a request the schema rejects too.
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && status != 400 {
		t.Fatalf("request does not match the schema: %v", err)
	}
	if status == 404 {
		return // the schema documents no 404s; their body is checked elsewhere
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 w.Code,
		Header:                 w.Header(),
		Body:                   io.NopCloser(bytes.NewReader(w.Body.Bytes())),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		msg := err.Error()
		t.Fatalf("response does not match the schema: %.2000s", msg)
	}
}
