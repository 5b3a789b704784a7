package simulator

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

var userTypes = map[string]bool{typeInternal: true, typeExternal: true, typeServiceAccount: true, typeInternalService: true}

// userFilter parses the users filterset. keep returns how many times a user
// appears: the is_superuser filter is a join over group memberships, so a
// user in several matching groups appears several times, as in authentik.
func (s *Simulator) userFilter(q url.Values) (keep func(*user) int, bad *response) {
	preds, bad := userFieldFilters(q)
	if bad != nil {
		return nil, bad
	}
	more, bad := s.userRelationFilters(q)
	if bad != nil {
		return nil, bad
	}
	preds = append(preds, more...)
	super, superOK := boolFilter(q, "is_superuser")
	return func(u *user) int {
		for _, p := range preds {
			if !p(u) {
				return 0
			}
		}
		if !superOK {
			return 1
		}
		n := 0
		for _, g := range u.groups {
			if g.superuser == super {
				n++
			}
		}
		return n
	}, nil
}

// userFieldFilters parses the filters on the user's own columns.
func userFieldFilters(q url.Values) ([]func(*user) bool, *response) {
	var preds []func(*user) bool
	exact := func(key string, get func(*user) string) {
		if v, ok := charFilter(q, key); ok {
			preds = append(preds, func(u *user) bool { return get(u) == v })
		}
	}
	exact("username", func(u *user) string { return u.username })
	exact("email", func(u *user) string { return u.email })
	exact("name", func(u *user) string { return u.name })
	exact("path", func(u *user) string { return u.path })
	if v, ok := charFilter(q, "path_startswith"); ok {
		preds = append(preds, func(u *user) bool { return strings.HasPrefix(u.path, v) })
	}
	if v, ok := boolFilter(q, "is_active"); ok {
		preds = append(preds, func(u *user) bool { return u.active == v })
	}
	if v, ok := charFilter(q, "uuid"); ok {
		id, valid := parseUUID(v)
		if !valid {
			r := validationError("uuid", "Enter a valid UUID.")
			return nil, &r
		}
		preds = append(preds, func(u *user) bool { return u.uuid == id })
	}
	if types := q["type"]; len(types) > 0 {
		for _, t := range types {
			if !userTypes[t] {
				r := validationError("type", invalidChoice(t))
				return nil, &r
			}
		}
		preds = append(preds, func(u *user) bool { return contains(types, u.typ) })
	}
	return preds, nil
}

// userRelationFilters parses group membership, attributes and search.
func (s *Simulator) userRelationFilters(q url.Values) ([]func(*user) bool, *response) {
	var preds []func(*user) bool
	for _, key := range []string{"groups_by_name", "groups_by_pk"} {
		groups, r := s.groupChoices(q, key)
		if r != nil {
			return nil, r
		}
		if groups != nil {
			preds = append(preds, func(u *user) bool { return memberOfAny(u, groups) })
		}
	}
	attrs, r := attributesFilter(q)
	if r != nil {
		return nil, r
	}
	if attrs != nil {
		preds = append(preds, func(u *user) bool { return attrs(u.attrs) })
	}
	raw, _ := lastValue(q, "search")
	if m := newMatcher(raw, s.prof.ql, userQLSchema); m != nil {
		preds = append(preds, func(u *user) bool { return m.match(userRow{u}, userRow{u}.haystacks) })
	}
	return preds, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func memberOfAny(u *user, groups map[*group]bool) bool {
	for _, g := range u.groups {
		if groups[g] {
			return true
		}
	}
	return false
}

// groupChoices resolves a ModelMultipleChoiceFilter over groups (by name or
// uuid). Unknown values are a 400, as in authentik; nil means no filter.
func (s *Simulator) groupChoices(q url.Values, key string) (map[*group]bool, *response) {
	values := nonEmpty(q[key])
	if len(values) == 0 {
		return nil, nil
	}
	set := map[*group]bool{}
	for _, v := range values {
		var found *group
		id, isUUID := parseUUID(v)
		if key == "groups_by_pk" && !isUUID {
			r := validationError(key, "“"+v+"” is not a valid value.")
			return nil, &r
		}
		for _, g := range s.dir.groups {
			if (key == "groups_by_name" && g.name == v) || (key == "groups_by_pk" && g.uuid == id) {
				found = g
			}
		}
		if found == nil {
			r := validationError(key, invalidChoice(v))
			return nil, &r
		}
		set[found] = true
	}
	return set, nil
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// groupFilter parses the groups filterset.
func (s *Simulator) groupFilter(q url.Values) (keep func(*group) bool, bad *response) {
	var preds []func(*group) bool
	if v, ok := charFilter(q, "name"); ok {
		preds = append(preds, func(g *group) bool { return g.name == v })
	}
	if v, ok := boolFilter(q, "is_superuser"); ok {
		preds = append(preds, func(g *group) bool { return g.superuser == v })
	}
	members, r := s.memberChoices(q)
	if r != nil {
		return nil, r
	}
	if members != nil {
		preds = append(preds, func(g *group) bool {
			for _, u := range g.members {
				if members[u] {
					return true
				}
			}
			return false
		})
	}
	attrs, r := attributesFilter(q)
	if r != nil {
		return nil, r
	}
	if attrs != nil {
		preds = append(preds, func(g *group) bool { return attrs(g.attrs) })
	}
	if raw, _ := lastValue(q, "search"); raw != "" {
		ts := termSearch{terms: searchTerms(raw)}
		preds = append(preds, func(g *group) bool {
			return ts.match([]func() string{
				func() string { return strings.ToLower(g.name) },
				func() string { return strconv.FormatBool(g.superuser) },
			})
		})
	}
	return func(g *group) bool {
		for _, p := range preds {
			if !p(g) {
				return false
			}
		}
		return true
	}, nil
}

// memberChoices resolves members_by_pk and members_by_username.
func (s *Simulator) memberChoices(q url.Values) (map[*user]bool, *response) {
	var set map[*user]bool
	add := func(key, v string, u *user) *response {
		if u == nil {
			r := validationError(key, invalidChoice(v))
			return &r
		}
		if set == nil {
			set = map[*user]bool{}
		}
		set[u] = true
		return nil
	}
	for _, v := range nonEmpty(q["members_by_pk"]) {
		pk, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			r := validationError("members_by_pk", "“"+v+"” is not a valid value.")
			return nil, &r
		}
		if r := add("members_by_pk", v, s.dir.byPK[pk]); r != nil {
			return nil, r
		}
	}
	for _, v := range nonEmpty(q["members_by_username"]) {
		var found *user
		for _, u := range s.dir.users {
			if u.username == v {
				found = u
			}
		}
		if r := add("members_by_username", v, found); r != nil {
			return nil, r
		}
	}
	return set, nil
}

// attributesFilter implements authentik's attributes filter: a JSON object
// whose keys (with Django "__" paths) must equal the attribute values.
func attributesFilter(q url.Values) (func(obj) bool, *response) {
	raw, ok := charFilter(q, "attributes")
	if !ok {
		return nil, nil
	}
	var want any
	if err := json.Unmarshal([]byte(raw), &want); err != nil {
		r := jsonResponse(400, []string{"filter: failed to parse JSON"})
		return nil, &r
	}
	m, isObj := want.(map[string]any)
	if !isObj {
		r := jsonResponse(400, []string{"filter: value must be key:value mapping"})
		return nil, &r
	}
	return func(attrs obj) bool {
		for key, v := range m {
			got, found := attrPath(attrs, strings.Split(key, "__"))
			if !found || !jsonEqual(got, v) {
				return false
			}
		}
		return true
	}, nil
}

func attrPath(o obj, path []string) (any, bool) {
	var cur any = o
	for _, p := range path {
		co, ok := cur.(obj)
		if !ok {
			return nil, false
		}
		var found bool
		for _, f := range co {
			if f.k == p {
				cur, found = f.v, true
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

// jsonEqual compares a generated value with a decoded JSON value.
func jsonEqual(ours, theirs any) bool {
	e := encoder{}
	e.value(ours)
	var decoded any
	if err := json.Unmarshal(e.buf, &decoded); err != nil {
		return false
	}
	return reflect.DeepEqual(decoded, theirs)
}
