// Package useragent parses User-Agent strings into the ECS user_agent.*
// fields the way Elasticsearch's user_agent ingest processor does, using the
// uap-core regular expressions embedded in github.com/ua-parser/uap-go.
package useragent

import (
	"fmt"
	"strings"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ua-parser/uap-go/uaparser"

	"akship/internal/jsonenc"
)

// UserAgent is a parsed agent. Empty strings are fields the reference does
// not produce for this agent.
type UserAgent struct {
	Original   string
	Name       string // "Other" when no pattern knows the agent
	Version    string // major[.minor[.patch[.build]]]
	OSName     string // empty when no pattern knows the operating system
	OSVersion  string
	OSFull     string // "<os name> <os version>"
	DeviceName string // "Other" when no pattern knows the device

	json []byte // Fields as JSON, made with the parse and cached with it
}

// Parser parses user agents. It is safe for concurrent use.
type Parser struct {
	defs  *uaparser.RegexDefinitions
	cache *lru.Cache[string, UserAgent] // nil when disabled
}

// New compiles the embedded regular expressions (this takes a moment, do it
// once) and sets up a cache of cfg.CacheSize agents.
func New(cfg Config) (*Parser, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	up, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, fmt.Errorf("loading the user-agent patterns failed: %w", err)
	}
	p := &Parser{defs: up.RegexDefinitions}
	if cfg.CacheSize > 0 {
		p.cache, err = lru.New[string, UserAgent](cfg.CacheSize)
		if err != nil {
			return nil, fmt.Errorf("creating the user-agent cache failed: %w", err)
		}
	}
	return p, nil
}

// Parse returns the parsed form of s, from the cache when it was seen
// recently. s may be a view of a buffer the caller reuses: what Parse
// keeps (the cache key, Original) is a copy.
func (p *Parser) Parse(s string) UserAgent {
	if p.cache != nil {
		if ua, ok := p.cache.Get(s); ok {
			return ua
		}
	}
	ua := p.parse(strings.Clone(s))
	ua.json = ua.appendFields(nil)
	if p.cache != nil {
		p.cache.Add(ua.Original, ua)
	}
	return ua
}

// MaxParseLength bounds how much of a user agent the patterns see. The
// cost of a parse grows with the length (about 60 ms per KiB against the
// ~1000 uap-core patterns), and user agents come from unauthenticated
// clients, so an unbounded parse would let anyone burn the agent's CPU with
// long headers. Real agents are far shorter; user_agent.original keeps the
// whole string.
const MaxParseLength = 1024

func (p *Parser) parse(s string) UserAgent {
	ua := UserAgent{Original: s, Name: "Other", DeviceName: "Other"}
	if len(s) > MaxParseLength {
		cut := MaxParseLength
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if name, version, ok := p.agent(s); ok {
		ua.Name, ua.Version = name, version
	}
	if name, version, ok := p.os(s); ok {
		ua.OSName, ua.OSVersion = name, version
		if version != "" {
			ua.OSFull = name + " " + version
		}
	}
	if name, ok := p.device(s); ok {
		ua.DeviceName = name
	}
	return ua
}

// Fields returns the user_agent.* fields as a new map: original, name,
// version, os.{name,version,full} and device.name, leaving out empty ones.
func (ua UserAgent) Fields() map[string]any {
	out := make(map[string]any, 5)
	out["name"], out["device"] = ua.Name, map[string]any{"name": ua.DeviceName}
	if ua.Original != "" {
		out["original"] = ua.Original
	}
	if ua.Version != "" {
		out["version"] = ua.Version
	}
	if ua.OSName != "" {
		os := map[string]any{"name": ua.OSName}
		if ua.OSVersion != "" {
			os["version"] = ua.OSVersion
			os["full"] = ua.OSFull
		}
		out["os"] = os
	}
	return out
}

// AppendJSON appends Fields as a JSON object with its keys sorted as
// akship's encoder sorts them (device, name, original, os, version),
// leaving out empty values, or nothing when there are none. A parsed agent
// carries it ready, so a cached agent costs a copy.
func (ua UserAgent) AppendJSON(b []byte) []byte {
	if ua.json != nil {
		return append(b, ua.json...)
	}
	return ua.appendFields(b)
}

func (ua UserAgent) appendFields(b []byte) []byte {
	o := jsonenc.StartObject(b)
	if ua.DeviceName != "" {
		o.Key("device")
		o.B = append(o.B, `{"name":`...)
		o.B = jsonenc.AppendString(o.B, ua.DeviceName)
		o.B = append(o.B, '}')
	}
	o.String("name", ua.Name)
	o.String("original", ua.Original)
	if ua.OSName != "" {
		o.Key("os")
		os := jsonenc.StartObject(o.B)
		if ua.OSVersion != "" {
			os.String("full", ua.OSFull)
		}
		os.String("name", ua.OSName)
		os.String("version", ua.OSVersion)
		o.B = os.End()
	}
	o.String("version", ua.Version)
	return o.End()
}
