package tracer

import (
	"net/http"
	"time"
)

// line is one trace line: an HTTP exchange in ECS field names.
type line struct {
	Timestamp time.Time `json:"@timestamp"`
	Component string    `json:"component"`
	Event     struct {
		// Duration is from sending the request to receiving the response
		// headers, in nanoseconds (ECS event.duration).
		Duration int64 `json:"duration"`
	} `json:"event"`
	URL struct {
		Original string `json:"original"`
	} `json:"url"`
	HTTP struct {
		Request  request   `json:"request"`
		Response *response `json:"response,omitempty"`
	} `json:"http"`
	Error *errorField `json:"error,omitempty"`
}

// request is the http.request object of a trace line.
type request struct {
	Method string              `json:"method"`
	Header map[string][]string `json:"header,omitempty"`
	Body   *bodyRecord         `json:"body,omitempty"`
}

// response is the http.response object of a trace line.
type response struct {
	StatusCode int                 `json:"status_code"`
	Header     map[string][]string `json:"header,omitempty"`
	Body       *bodyRecord         `json:"body,omitempty"`
}

// errorField is the error object of a trace line.
type errorField struct {
	Message string `json:"message"`
}

// transport traces the exchanges it passes to next.
type transport struct {
	t    *Tracer
	next http.RoundTripper
}

// RoundTrip sends req through the wrapped transport and writes its trace
// line once the response headers (and the start of the body) arrived. The
// caller's request is not modified: a body is read through a copy of the
// request, and both bodies reach their readers whole.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tr.t
	if t.closed.Load() {
		return tr.next.RoundTrip(req)
	}
	l := &line{Timestamp: time.Now().UTC(), Component: t.component}
	l.URL.Original = redactURL(req.URL, &t.secrets)
	l.HTTP.Request = request{Method: req.Method, Header: redactHeader(req.Header, &t.secrets)}
	out := req
	if req.Body != nil && req.Body != http.NoBody && t.maxBody > 0 {
		c, body := peek(req.Body, t.maxBody)
		out = req.Clone(req.Context())
		out.Body = body
		l.HTTP.Request.Body = t.record(c, req.Header, req.ContentLength, t.maxBody)
	}
	start := time.Now()
	resp, err := tr.next.RoundTrip(out)
	l.Event.Duration = time.Since(start).Nanoseconds()
	if err != nil {
		l.Error = &errorField{Message: redactText(err.Error(), &t.secrets)}
	}
	if resp != nil {
		r := &response{StatusCode: resp.StatusCode, Header: redactHeader(resp.Header, &t.secrets)}
		if resp.Body != nil && resp.Body != http.NoBody && t.maxBody > 0 {
			c, body := peek(resp.Body, t.maxBody)
			resp.Body = body
			r.Body = t.record(c, resp.Header, resp.ContentLength, t.maxBody)
		}
		l.HTTP.Response = r
	}
	t.write(l)
	return resp, err
}
