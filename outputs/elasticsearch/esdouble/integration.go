package esdouble

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// InstallIntegration installs, from the field definitions in dir (the
// project's ../shared/spec/fields: authentik-package.json and
// ecs-8.11.json), the index templates Fleet installs for Elastic's
// authentik integration, so that the double plays the data streams
// logs-authentik.{event,user,group}-* as Elastic Agent created them:
// priority 200, the package's fields as explicit properties, ECS fields
// through dynamic templates (as ecs@mappings maps them on first use),
// date_detection off and other strings as keyword (logs@mappings,
// ecs@mappings).
func (d *Double) InstallIntegration(dir string) error {
	var pkg map[string]json.RawMessage
	if err := readJSONFile(filepath.Join(dir, "authentik-package.json"), &pkg); err != nil {
		return err
	}
	var ecs struct {
		Fields map[string]map[string]any `json:"fields"`
	}
	if err := readJSONFile(filepath.Join(dir, "ecs-8.11.json"), &ecs); err != nil {
		return err
	}
	ecsTemplates := ecsDynamicTemplates(ecs.Fields)
	for _, dataset := range []string{"event", "user", "group"} {
		var fields map[string]map[string]any
		if err := json.Unmarshal(pkg[dataset], &fields); err != nil {
			return fmt.Errorf("authentik-package.json: %s: %w", dataset, err)
		}
		props := map[string]any{}
		for name, def := range fields {
			if m := fieldMapping(def); m != nil {
				props[name] = m
			}
		}
		body, err := json.Marshal(map[string]any{
			"index_patterns": []string{"logs-authentik." + dataset + "-*"},
			"priority":       200,
			"data_stream":    map[string]any{},
			"template": map[string]any{"mappings": map[string]any{
				"date_detection":    false,
				"dynamic_templates": ecsTemplates,
				"properties":        props,
			}},
		})
		if err != nil {
			return err
		}
		if s, status, _, reason := d.putTemplate("_index_template", "logs-authentik."+dataset, body); s == nil {
			return fmt.Errorf("installing the %s template: %d %s", dataset, status, reason)
		}
	}
	return nil
}

// fieldMapping turns a field definition (type, ignore_above, value,
// multi_fields, object_type) into a mapping; groups are objects, which
// dotted names create anyway.
func fieldMapping(def map[string]any) map[string]any {
	typ, _ := def["type"].(string)
	switch typ {
	case "group", "":
		return nil
	case "object":
		if ot, ok := def["object_type"].(string); ok && ot != "" {
			return nil // an object of typed values: left to dynamic mapping
		}
		return map[string]any{"type": "object"}
	}
	m := map[string]any{"type": typ}
	for _, k := range []string{"ignore_above", "value", "scaling_factor"} {
		if v, ok := def[k]; ok {
			m[k] = v
		}
	}
	if multi, ok := def["multi_fields"].(map[string]any); ok {
		sub := map[string]any{}
		for name, t := range multi {
			sub[name] = map[string]any{"type": t}
		}
		m["fields"] = sub
	}
	return m
}

// ecsDynamicTemplates maps every ECS leaf field on first use by its full
// path, then every other string as keyword.
func ecsDynamicTemplates(fields map[string]map[string]any) []map[string]any {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []map[string]any
	for _, name := range names {
		m := fieldMapping(fields[name])
		if m == nil || m["type"] == "object" || m["type"] == "nested" {
			continue
		}
		out = append(out, map[string]any{"ecs_" + name: map[string]any{"path_match": name, "mapping": m}})
	}
	return append(out, map[string]any{"all_strings_to_keywords": map[string]any{
		"match_mapping_type": "string", "mapping": map[string]any{"type": "keyword", "ignore_above": 1024}}})
}

func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
