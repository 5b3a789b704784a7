package authentik

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"akship/agent"
)

func TestPageLargerThanLimitFailsAtOnce(t *testing.T) {
	body := `{"pagination":{"next":0,"previous":0,"count":1,"current":1,"total_pages":1,"start_index":1,"end_index":1},"results":[{"pk":"` +
		strings.Repeat("x", 2000) + `"}]}`
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/json")
				if chunked {
					_, _ = w.Write([]byte(body[:10]))
					w.(http.Flusher).Flush() // no Content-Length
					_, _ = w.Write([]byte(body[10:]))
					return
				}
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c := testClient(t, srv)
			c.maxPage = 1000
			_, err := c.List(context.Background(), "users", "core/users/", url.Values{})
			if !agent.IsPermanent(err) || !strings.Contains(err.Error(), "inputs.users.page_size") ||
				!strings.Contains(err.Error(), "1000 bytes") {
				t.Fatalf("List error = %v, want a permanent error naming the limit and inputs.users.page_size", err)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("the page was requested %d times, want 1", n)
			}
			// A body of exactly the limit is accepted.
			c.maxPage = int64(len(body))
			if _, err := c.List(context.Background(), "users", "core/users/", url.Values{}); err != nil {
				t.Fatalf("a page of exactly the limit: %v", err)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	if got := byteSize(maxPageBytes); got != "256 MiB" {
		t.Errorf("byteSize(maxPageBytes) = %q", got)
	}
	if got := byteSize(1000); got != "1000 bytes" {
		t.Errorf("byteSize(1000) = %q", got)
	}
}
