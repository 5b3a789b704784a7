package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"akship/internal/httpx"
)

// ProbeBulk posts an empty bulk request (a lone newline) to every host and
// checks that each answers as a bulk endpoint does: Elasticsearch refuses
// it with 400 action_request_validation_exception ("no requests added"), a
// compatible server such as VictoriaLogs answers 200 with an "items" list.
// Any other answer — a 404, a web page, a plain-text 400 like VictoriaLogs'
// "unsupported path requested" at its root, an error of another type — means
// the host's URL is not a bulk endpoint, and the returned error names that
// hosts entry and what VictoriaLogs needs. Hosts that cannot be reached or
// answer 401, 403, 429 or 5xx are skipped here: retrying may fix those, and
// Check reports them.
//
// It also returns warnings about the destination: for VictoriaLogs, that it
// silently drops events older than its retention.
func (o *Output) ProbeBulk(ctx context.Context) (warnings []string, err error) {
	targets, err := o.hostPerformers()
	if err != nil {
		return nil, err
	}
	victoria := false
	for _, t := range targets {
		isVL, err := o.probeOne(ctx, t)
		if err != nil {
			return nil, err
		}
		victoria = victoria || isVL
	}
	if victoria {
		warnings = append(warnings, "the destination is VictoriaLogs, which silently drops log entries older "+
			"than its -retentionPeriod (7 days by default) while answering success: a backfill of older authentik "+
			"events loses them; set -retentionPeriod to at least authentik's event retention")
	}
	return warnings, nil
}

// hostPerformer sends requests to one hosts entry.
type hostPerformer struct {
	host    string // as configured, for messages (credentials redacted)
	perform func(*http.Request) (*http.Response, error)
}

// hostPerformers returns a client per hosts entry (one for cloud_id), each
// with the output's credentials, TLS settings and headers.
func (o *Output) hostPerformers() ([]hostPerformer, error) {
	if o.cfg.CloudID != "" || len(o.cfg.Addresses()) == 1 {
		name := "cloud_id"
		if o.cfg.CloudID == "" {
			name = redactURL(o.cfg.Addresses()[0])
		}
		return []hostPerformer{{host: name, perform: o.perform}}, nil
	}
	var out []hostPerformer
	for _, h := range o.cfg.Addresses() {
		c := o.cfg
		c.Hosts = []string{h}
		client, err := newClient(&c, nil)
		if err != nil {
			return nil, fullKeys(err)
		}
		perform := client.Perform
		if c.AllowNonElastic {
			perform = client.Transport.Perform
		}
		out = append(out, hostPerformer{host: redactURL(h), perform: perform})
	}
	return out, nil
}

// probeOne checks one host; it reports whether the host looks like
// VictoriaLogs.
func (o *Output) probeOne(ctx context.Context, t hostPerformer) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.bulkURL, bytes.NewReader([]byte("\n")))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := t.perform(req)
	if err != nil {
		if isNotElasticsearch(err) {
			return false, o.notBulk(t.host, 200, "an answer without \"X-Elastic-Product: Elasticsearch\"")
		}
		return false, nil // unreachable: Check reports it, writes retry
	}
	defer drain(res.Body)
	data := httpx.ReadPrefix(res.Body, maxErrorBytes)
	code := res.StatusCode
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusTooManyRequests ||
		code >= 500:
		return false, nil
	case code >= 200 && code < 300:
		var answer struct {
			Items *[]json.RawMessage `json:"items"`
		}
		if json.Unmarshal(data, &answer) == nil && answer.Items != nil {
			return isVictoriaLogs(t.host, res.Header), nil
		}
	case code == http.StatusBadRequest:
		var answer struct {
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &answer) == nil && answer.Error.Type == "action_request_validation_exception" {
			return false, nil
		}
	}
	return false, o.notBulk(t.host, code, readError(bytes.NewReader(data)))
}

// notBulk is the error for a host that does not answer as a bulk endpoint.
func (o *Output) notBulk(host string, code int, answer string) error {
	return fmt.Errorf("output.elasticsearch.hosts: %s does not answer as an Elasticsearch bulk endpoint "+
		"(POST %s with an empty body answered %d: %s); use the URL of Elasticsearch itself, or for VictoriaLogs "+
		"its Elasticsearch path, http://host:9428/insert/elasticsearch", host, strings.SplitN(o.bulkURL, "?", 2)[0],
		code, answer)
}

// isVictoriaLogs recognises VictoriaLogs by its Elasticsearch path or the
// header every VictoriaMetrics server sends.
func isVictoriaLogs(host string, h http.Header) bool {
	return strings.Contains(host, "/insert/elasticsearch") || h.Get("X-Server-Hostname") != ""
}
