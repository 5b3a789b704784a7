package useragent

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	sharedOnce   sync.Once
	sharedParser *Parser
)

// testParser builds the parser once: compiling the patterns takes a while.
func testParser(t testing.TB) *Parser {
	t.Helper()
	sharedOnce.Do(func() {
		p, err := New(DefaultConfig())
		if err != nil {
			panic(err)
		}
		sharedParser = p
	})
	return sharedParser
}

func TestParse(t *testing.T) {
	p := testParser(t)
	tests := []struct {
		name string
		ua   string
		want map[string]any
	}{
		{
			name: "chrome on windows keeps the fourth version part",
			ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36",
			want: map[string]any{
				"original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36",
				"name":     "Chrome", "version": "126.0.6478.127",
				"os":     map[string]any{"name": "Windows", "version": "10", "full": "Windows 10"},
				"device": map[string]any{"name": "Other"},
			},
		},
		{
			name: "firefox on linux has three version parts at most",
			ua:   "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
			want: map[string]any{
				"original": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
				"name":     "Firefox", "version": "128.0",
				"os":     map[string]any{"name": "Ubuntu"},
				"device": map[string]any{"name": "Other"},
			},
		},
		{
			name: "safari on iphone",
			ua:   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			want: map[string]any{
				"original": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
				"name":     "Mobile Safari", "version": "17.5",
				"os":     map[string]any{"name": "iOS", "version": "17.5", "full": "iOS 17.5"},
				"device": map[string]any{"name": "iPhone"},
			},
		},
		{
			name: "unknown agent",
			ua:   "zz-unknown-client",
			want: map[string]any{
				"original": "zz-unknown-client", "name": "Other",
				"device": map[string]any{"name": "Other"},
			},
		},
		{
			name: "empty agent still has name and device",
			ua:   "",
			want: map[string]any{"name": "Other", "device": map[string]any{"name": "Other"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.Parse(tt.ua).Fields()); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.ua, diff)
			}
		})
	}
}

func TestJoinVersion(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"1", "2", "3", "4"}, "1.2.3.4"},
		{[]string{"1", "", "3", "4"}, "1"},
		{[]string{"", "2", "3", ""}, ""},
		{[]string{"10", "0", "", ""}, "10.0"},
	}
	for _, tt := range tests {
		if got := joinVersion(tt.parts); got != tt.want {
			t.Errorf("joinVersion(%q) = %q, want %q", tt.parts, got, tt.want)
		}
	}
}

func TestCacheIsBoundedAndConcurrent(t *testing.T) {
	p, err := New(Config{CacheSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ua := fmt.Sprintf("curl/8.%d.%d", g, i%7)
				if got := p.Parse(ua); got.Name != "curl" {
					t.Errorf("Parse(%q).Name = %q", ua, got.Name)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := p.cache.Len(); n > 4 {
		t.Errorf("cache holds %d agents, want at most 4", n)
	}
}

func TestNoCache(t *testing.T) {
	p, err := New(Config{CacheSize: 0})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Parse("curl/8.5.0"); got.Name != "curl" || got.Version != "8.5.0" {
		t.Errorf("Parse = %+v", got)
	}
	if _, err := New(Config{CacheSize: -1}); err == nil {
		t.Error("New accepted a negative cache size")
	}
}

func BenchmarkParseCached(b *testing.B) {
	p := testParser(b)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36"
	p.Parse(ua)
	b.ReportAllocs()
	for b.Loop() {
		p.Parse(ua).Fields()
	}
}

func BenchmarkParseUncached(b *testing.B) {
	p, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36"
	for b.Loop() {
		p.Parse(ua)
	}
}

func TestLongAgentIsBounded(t *testing.T) {
	p := testParser(t)
	long := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 " +
		strings.Repeat("x(y; z) ", 4000)
	ua := p.Parse(long)
	if ua.Original != long || ua.Name != "Chrome" || ua.Version != "127.0.0.0" {
		t.Errorf("Parse(long) = %+v", ua)
	}
}
