package useragent

import (
	"strings"

	"github.com/ua-parser/uap-go/uaparser"
)

// agent finds the first user-agent pattern that matches s and returns the
// family and version. uap-go's UserAgent result stops at the patch number,
// but Elasticsearch appends the pattern's fifth group (uap-core's
// patch_minor, e.g. the last 0 of Chrome/127.0.0.0) when it matched, so the
// patterns are run here directly: the family and the first three version
// parts come from the pattern's replacements (which default to groups 1-4)
// and the build from group 5.
func (p *Parser) agent(s string) (name, version string, ok bool) {
	for _, pat := range p.defs.UA {
		m := pat.Reg.FindStringSubmatchIndex(s)
		if m == nil {
			continue
		}
		name = expand(pat.Reg.ExpandString(nil, pat.FamilyReplacement, s, m))
		if name == "" {
			continue
		}
		parts := []string{
			expand(pat.Reg.ExpandString(nil, pat.V1Replacement, s, m)),
			expand(pat.Reg.ExpandString(nil, pat.V2Replacement, s, m)),
			expand(pat.Reg.ExpandString(nil, pat.V3Replacement, s, m)),
			group(s, m, 5),
		}
		return name, joinVersion(parts), true
	}
	return "", "", false
}

// os finds the first operating-system pattern that matches s.
func (p *Parser) os(s string) (name, version string, ok bool) {
	var o uaparser.Os
	for _, pat := range p.defs.OS {
		pat.Match(s, &o)
		if o.Family != "" {
			return o.Family, joinVersion([]string{o.Major, o.Minor, o.Patch, o.PatchMinor}), true
		}
	}
	return "", "", false
}

// device finds the first device pattern that matches s.
func (p *Parser) device(s string) (name string, ok bool) {
	var d uaparser.Device
	for _, pat := range p.defs.Device {
		pat.Match(s, &d)
		if d.Family != "" {
			return d.Family, true
		}
	}
	return "", false
}

// joinVersion joins the version parts with dots as Elasticsearch does: a
// version exists only with a major part, and each later part is added
// while the parts before it are present.
func joinVersion(parts []string) string {
	n := 0
	for n < len(parts) && parts[n] != "" {
		n++
	}
	return strings.Join(parts[:n], ".")
}

// group returns the text of regexp group i (1-based) or "" when the pattern
// has no such group or it did not take part in the match.
func group(s string, m []int, i int) string {
	if 2*i+1 >= len(m) || m[2*i] < 0 {
		return ""
	}
	return s[m[2*i]:m[2*i+1]]
}

func expand(b []byte) string { return strings.TrimSpace(string(b)) }
