package elasticsearch

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"akship/internal/datasets"
)

// templateFS holds the templates and policy "akship setup" installs, as
// readable JSON. Placeholders in braces ({dataset}, {retention}, …) are
// filled in from the configuration.
//
//go:embed templates/*.json
var templateFS embed.FS

// Names of what Setup installs. They carry an akship prefix so they never
// replace the templates of Elastic's own authentik integration; the index
// templates' priority (250) puts them above both it (200) and the stock
// logs-*-* template (100).
const (
	PolicyName            = "akship-authentik"
	settingsTemplateName  = "akship-authentik@settings"
	ecsTemplateName       = "akship-authentik@ecs"
	mappingsTemplateFmt   = "akship-authentik.%s@mappings"
	indexTemplateFmt      = "akship-logs-authentik.%s"
	templatePlaceholderDS = "{dataset}"
)

// SetupOptions controls Setup.
type SetupOptions struct {
	// DryRun prints every request instead of sending it.
	DryRun bool
	// Out receives the requests (dry run) or one line per installed item;
	// nil discards.
	Out io.Writer
}

// SetupRequest is one idempotent request Setup sends.
type SetupRequest struct {
	Method string
	Path   string
	Body   json.RawMessage
}

// Setup installs, in dependency order, the ILM policy (unless ilm.enabled
// is false), the component templates and one index template per dataset.
// Every request is a PUT of the whole object, so running Setup again
// updates them in place; data streams pick up changes at their next
// rollover.
func Setup(ctx context.Context, cfg Config, opts SetupOptions) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	if err := validateAll(&cfg); err != nil {
		return fmt.Errorf("invalid output.elasticsearch configuration: %w", err)
	}
	reqs, err := SetupRequests(cfg)
	if err != nil {
		return err
	}
	if opts.DryRun {
		fmt.Fprintln(out, "# On a cluster with data stream failure stores (Elasticsearch 8.19+, 9.1+, serverless) the index\n"+
			"# templates also get \"data_stream_options\": {\"failure_store\": {\"enabled\": true}}.")
		return printRequests(out, reqs)
	}
	o, err := New(cfg, nil, nil)
	if err != nil {
		return err
	}
	defer o.Close(ctx)
	if err := o.Start(ctx); err != nil {
		return err
	}
	if o.failureStore.Load() {
		if reqs, err = setupRequests(cfg, true); err != nil {
			return err
		}
		fmt.Fprintln(out, "failure store: enabled on akship's data streams (documents Elasticsearch cannot index are kept there)")
	} else {
		fmt.Fprintln(out, "failure store: not supported by this cluster (needs Elasticsearch 8.19+ or 9.1+); "+
			"documents it rejects go to akship's dead-letter file")
	}
	for _, r := range reqs {
		if err := o.sendSetup(ctx, r); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s: acknowledged\n", r.Method, r.Path)
	}
	return nil
}

// SetupRequests returns the requests Setup sends for cfg (to a cluster
// without data stream failure stores).
func SetupRequests(cfg Config) ([]SetupRequest, error) { return setupRequests(cfg, false) }

// setupRequests returns the requests for cfg; with failureStore, the index
// templates turn on the data stream failure store.
func setupRequests(cfg Config, failureStore bool) ([]SetupRequest, error) {
	vars := map[string]string{
		"{policy}":                          PolicyName,
		"{retention}":                       cfg.ILM.Retention,
		"{rollover_max_age}":                cfg.ILM.RolloverMaxAge,
		"{rollover_max_primary_shard_size}": cfg.ILM.RolloverMaxPrimaryShardSize,
	}
	var reqs []SetupRequest
	add := func(path, file string, extra map[string]string, edit func(map[string]any)) error {
		body, err := renderTemplate(file, vars, extra, edit)
		if err != nil {
			return err
		}
		reqs = append(reqs, SetupRequest{Method: http.MethodPut, Path: path, Body: body})
		return nil
	}
	var errs []error
	if cfg.ILM.Enabled {
		errs = append(errs, add("/_ilm/policy/"+PolicyName, "ilm_policy.json", nil, nil))
	}
	errs = append(errs,
		add("/_component_template/"+settingsTemplateName, "settings.json", nil, settingsEdit(cfg.ILM)),
		add("/_component_template/"+ecsTemplateName, "ecs_mappings.json", nil, nil))
	for _, ds := range datasets.All {
		dsVars := map[string]string{templatePlaceholderDS: string(ds)}
		errs = append(errs,
			add("/_component_template/"+fmt.Sprintf(mappingsTemplateFmt, ds), string(ds)+"_mappings.json", dsVars, nil))
	}
	for _, ds := range datasets.All {
		dsVars := map[string]string{templatePlaceholderDS: string(ds)}
		errs = append(errs,
			add("/_index_template/"+fmt.Sprintf(indexTemplateFmt, ds), "index_template.json", dsVars, indexEdit(cfg.ILM, failureStore)))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// settingsEdit drops the ILM link when ILM is off.
func settingsEdit(ilm ILMConfig) func(map[string]any) {
	if ilm.Enabled {
		return nil
	}
	return func(m map[string]any) {
		index := m["template"].(map[string]any)["settings"].(map[string]any)["index"].(map[string]any)
		delete(index, "lifecycle")
	}
}

// indexEdit gives the data streams a data stream lifecycle with the
// retention when ILM is off (serverless has only that), and with
// failureStore turns on the data stream failure store: Elasticsearch then
// keeps a document it cannot index (a mapping conflict, say) in the data
// stream's failure store and answers the bulk item 201 with
// "failure_store": "used", instead of rejecting it.
func indexEdit(ilm ILMConfig, failureStore bool) func(map[string]any) {
	if ilm.Enabled && !failureStore {
		return nil
	}
	return func(m map[string]any) {
		tpl := m["template"].(map[string]any)
		if !ilm.Enabled {
			tpl["lifecycle"] = map[string]any{"data_retention": ilm.Retention}
		}
		if failureStore {
			tpl["data_stream_options"] = map[string]any{"failure_store": map[string]any{"enabled": true}}
		}
	}
}

// renderTemplate reads a template file, fills in the placeholders, applies
// edit and returns compact JSON.
func renderTemplate(file string, vars, extra map[string]string, edit func(map[string]any)) (json.RawMessage, error) {
	data, err := templateFS.ReadFile("templates/" + file)
	if err != nil {
		return nil, err
	}
	text := string(data)
	for _, m := range []map[string]string{vars, extra} {
		for k, v := range m {
			text = strings.ReplaceAll(text, k, v)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("template %s is not valid JSON: %w", file, err)
	}
	if edit != nil {
		edit(doc)
	}
	return json.Marshal(doc)
}

// printRequests writes the requests as a console would show them.
func printRequests(out io.Writer, reqs []SetupRequest) error {
	for _, r := range reqs {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, r.Body, "", "  "); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "%s %s\n%s\n\n", r.Method, r.Path, pretty.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// sendSetup sends one setup request and checks it was acknowledged.
func (o *Output) sendSetup(ctx context.Context, r SetupRequest) error {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := o.perform(req)
	if err != nil {
		return fmt.Errorf("%s %s failed: %w", r.Method, r.Path, err)
	}
	defer drain(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s failed with %d %s: %s", r.Method, r.Path, res.StatusCode,
			http.StatusText(res.StatusCode), readError(res.Body))
	}
	return nil
}
