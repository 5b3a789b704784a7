package esdouble

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Templates is a copy of the stored templates and policies, by name.
type Templates struct {
	Index     map[string]json.RawMessage // PUT _index_template/<name> bodies
	Component map[string]json.RawMessage // PUT _component_template/<name> bodies
	ILM       map[string]json.RawMessage // the "policy" of PUT _ilm/policy/<name>
}

// stored is one stored template or policy.
type stored struct {
	body     json.RawMessage
	version  int
	modified time.Time
	// For index templates: what data stream detection needs.
	patterns   []string
	priority   int
	dataStream bool
	// failureStore: template.data_stream_options.failure_store.enabled.
	failureStore bool
}

// templateStore holds the three kinds, keyed by the API path prefix.
type templateStore map[string]map[string]*stored

func newTemplateStore() templateStore {
	return templateStore{"_index_template": {}, "_component_template": {}, "_ilm/policy": {}}
}

// builtinDataStreams are the patterns of Elasticsearch's stock index
// templates (priority 100) that create data streams.
var builtinDataStreams = []string{"logs-*-*", "metrics-*-*", "synthetics-*-*", "traces-*-*"}

// best returns the index template that applies to a new index called
// name: the matching one with the highest priority, or nil.
func (t templateStore) best(name string) *stored {
	var best *stored
	for _, s := range t["_index_template"] {
		if slices.ContainsFunc(s.patterns, func(p string) bool { return match(p, name) }) &&
			(best == nil || s.priority > best.priority) {
			best = s
		}
	}
	return best
}

// dataStream reports whether writing to name creates a data stream: the
// matching index template with the highest priority decides, then the
// stock templates.
func (t templateStore) dataStream(name string) bool {
	best := t.best(name)
	if best != nil && best.priority >= 100 {
		return best.dataStream
	}
	for _, p := range builtinDataStreams {
		if match(p, name) {
			return true
		}
	}
	return best != nil && best.dataStream
}

// failureStore reports whether a data stream called name gets a failure
// store: the matching index template with the highest priority says so.
func (t templateStore) failureStore(name string) bool {
	best := t.best(name)
	return best != nil && best.failureStore
}

// Templates returns copies of everything stored.
func (d *Double) Templates() Templates {
	d.mu.Lock()
	defer d.mu.Unlock()
	cp := func(kind string) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for name, s := range d.templates[kind] {
			out[name] = slices.Clone(s.body)
		}
		return out
	}
	return Templates{Index: cp("_index_template"), Component: cp("_component_template"), ILM: cp("_ilm/policy")}
}

// template serves PUT, GET and DELETE of one template or policy.
func (d *Double) template(w http.ResponseWriter, r *http.Request, kind, name string) {
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "parse_exception", err.Error())
			return
		}
		d.remember(r, body)
		s, status, typ, reason := d.putTemplate(kind, name, body)
		if s == nil {
			writeError(w, status, typ, reason)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"acknowledged": true})
	case http.MethodGet:
		d.getTemplate(w, kind, name)
	case http.MethodDelete:
		d.mu.Lock()
		_, ok := d.templates[kind][name]
		delete(d.templates[kind], name)
		d.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "resource_not_found_exception", kind+" ["+name+"] missing")
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"acknowledged": true})
	default:
		writeError(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "method not allowed")
	}
}

// putTemplate validates and stores a body the way Elasticsearch checks it:
// a JSON object, index patterns for index templates, existing component
// templates, a policy object for ILM.
func (d *Double) putTemplate(kind, name string, body []byte) (*stored, int, string, string) {
	var parsed struct {
		IndexPatterns []string        `json:"index_patterns"`
		Priority      int             `json:"priority"`
		ComposedOf    []string        `json:"composed_of"`
		IgnoreMissing []string        `json:"ignore_missing_component_templates"`
		DataStream    json.RawMessage `json:"data_stream"`
		Policy        json.RawMessage `json:"policy"`
		Template      json.RawMessage `json:"template"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil {
		return nil, 400, "x_content_parse_exception", "failed to parse the body: " + err.Error()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch kind {
	case "_index_template":
		if len(parsed.IndexPatterns) == 0 {
			return nil, 400, "action_request_validation_exception", "Validation Failed: 1: index patterns are missing;"
		}
		var missing []string
		for _, c := range parsed.ComposedOf {
			if d.templates["_component_template"][c] == nil && !slices.Contains(parsed.IgnoreMissing, c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return nil, 400, "invalid_index_template_exception", fmt.Sprintf(
				"index_template [%s] invalid, cause [index template [%s] specifies component templates %v that do not exist]",
				name, name, missing)
		}
	case "_component_template":
		if len(parsed.Template) == 0 {
			return nil, 400, "action_request_validation_exception", "Validation Failed: 1: template is missing;"
		}
	case "_ilm/policy":
		if len(parsed.Policy) == 0 {
			return nil, 400, "x_content_parse_exception", "[put_lifecycle_request] policy is required"
		}
		body = parsed.Policy
	}
	var options struct {
		DataStreamOptions *struct {
			FailureStore struct {
				Enabled bool `json:"enabled"`
			} `json:"failure_store"`
		} `json:"data_stream_options"`
	}
	_ = json.Unmarshal(parsed.Template, &options)
	if options.DataStreamOptions != nil && d.noFailureStore {
		return nil, 400, "x_content_parse_exception", "[1:2] [template] unknown field [data_stream_options]"
	}
	s := &stored{body: body, version: 1, modified: time.Now().UTC(), patterns: parsed.IndexPatterns,
		priority: parsed.Priority, dataStream: len(parsed.DataStream) > 0,
		failureStore: options.DataStreamOptions != nil && options.DataStreamOptions.FailureStore.Enabled}
	if old := d.templates[kind][name]; old != nil {
		s.version = old.version + 1
	}
	d.templates[kind][name] = s
	return s, 0, "", ""
}

// getTemplate answers GET in the shape of each API.
func (d *Double) getTemplate(w http.ResponseWriter, kind, name string) {
	d.mu.Lock()
	s := d.templates[kind][name]
	d.mu.Unlock()
	if s == nil {
		what := strings.TrimPrefix(kind, "_")
		writeError(w, http.StatusNotFound, "resource_not_found_exception", what+" matching ["+name+"] not found")
		return
	}
	switch kind {
	case "_index_template":
		writeJSON(w, http.StatusOK, map[string]any{"index_templates": []any{
			map[string]any{"name": name, "index_template": s.body}}})
	case "_component_template":
		writeJSON(w, http.StatusOK, map[string]any{"component_templates": []any{
			map[string]any{"name": name, "component_template": s.body}}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{
			"version": s.version, "modified_date": s.modified.Format(time.RFC3339Nano), "policy": s.body}})
	}
}

// mappingsFor composes the mappings a new index called name gets: those of
// the matching index template with the highest priority, its component
// templates first (in composed_of order), then its own; the stock logs
// template's rules for logs-*-* names without one of at least its
// priority; Elasticsearch's defaults otherwise.
func (t templateStore) mappingsFor(name string) *mappings {
	best := t.best(name)
	m := newMappings()
	if best == nil || best.priority < 100 && match("logs-*-*", name) {
		if match("logs-*-*", name) {
			_ = m.merge(stockLogsMappings)
		}
		return m
	}
	var idx struct {
		ComposedOf []string `json:"composed_of"`
		Template   struct {
			Mappings json.RawMessage `json:"mappings"`
			Settings json.RawMessage `json:"settings"`
		} `json:"template"`
	}
	_ = json.Unmarshal(best.body, &idx)
	apply := func(tpl json.RawMessage) {
		var c struct {
			Template struct {
				Mappings json.RawMessage `json:"mappings"`
				Settings json.RawMessage `json:"settings"`
			} `json:"template"`
		}
		_ = json.Unmarshal(tpl, &c)
		_ = m.merge(c.Template.Mappings)
		if n := settingsLimit(c.Template.Settings); n > 0 {
			m.fieldLimit = n
		}
	}
	for _, c := range idx.ComposedOf {
		if s := t["_component_template"][c]; s != nil {
			apply(s.body)
		}
	}
	apply(best.body)
	return m
}

// stockLogsMappings is the part of Elasticsearch's built-in logs template
// (logs@mappings and ecs@mappings, priority 100, for logs-*-*) that
// decides whether a document is accepted: no date detection, strings as
// keyword, @timestamp a date, and IP-named string fields as ip.
var stockLogsMappings = json.RawMessage(`{
  "date_detection": false,
  "dynamic_templates": [
    {"ecs_ip": {"path_match": ["ip", "*.ip", "*_ip"], "match_mapping_type": "string", "mapping": {"type": "ip"}}},
    {"all_strings_to_keywords": {"match_mapping_type": "string", "mapping": {"type": "keyword", "ignore_above": 1024}}}
  ],
  "properties": {
    "@timestamp": {"type": "date"},
    "data_stream": {"properties": {
      "type": {"type": "constant_keyword", "value": "logs"},
      "dataset": {"type": "constant_keyword"},
      "namespace": {"type": "constant_keyword"}
    }}
  }
}`)
