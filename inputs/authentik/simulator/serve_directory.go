package simulator

import (
	"net/url"
	"strconv"
	"strings"
)

var userOrderFields = map[string]bool{
	"pk": true, "username": true, "name": true, "is_active": true, "last_login": true, "email": true,
	"attributes": true, "path": true, "type": true, "uuid": true, "password_change_date": true,
	"is_superuser": true, "uid": true,
}

var groupOrderFields = map[string]bool{
	"pk": true, "num_pk": true, "name": true, "is_superuser": true, "parent": true, "parent__name": true,
	"attributes": true,
}

var userQLSchema = qlSchema{
	"pk": {typ: qlInt}, "id": {typ: qlInt}, "username": {typ: qlStr}, "name": {typ: qlStr},
	"email": {typ: qlStr}, "path": {typ: qlStr}, "type": {typ: qlStr}, "uuid": {typ: qlStr},
	"is_active": {typ: qlBool}, "last_login": {typ: qlTime, nullable: true},
}

// userRow adapts a user to search and QL evaluation.
type userRow struct{ u *user }

func (r userRow) qlValue(field string) qlValue {
	u := r.u
	switch field {
	case "pk", "id":
		return qlValue{n: int64(u.pk)}
	case "username":
		return qlValue{s: u.username}
	case "name":
		return qlValue{s: u.name}
	case "email":
		return qlValue{s: u.email}
	case "path":
		return qlValue{s: u.path}
	case "type":
		return qlValue{s: u.typ}
	case "uuid":
		return qlValue{s: formatUUID(u.uuid)}
	case "is_active":
		return qlValue{n: boolInt(u.active)}
	case "last_login":
		return qlValue{n: u.lastLogin, null: u.lastLogin == 0}
	}
	return qlValue{null: true}
}

func (r userRow) haystacks() []func() string {
	u := r.u
	return []func() string{
		func() string { return strings.ToLower(u.username) },
		func() string { return strings.ToLower(u.name) },
		func() string { return strconv.FormatBool(u.active) },
		func() string { return strings.ToLower(u.email) },
		func() string { return formatUUID(u.uuid) },
		func() string { return strings.ToLower(jsonText(u.attrs)) },
	}
}

// listUsers serves GET /api/v3/core/users/.
func (s *Simulator) listUsers(q url.Values) response {
	keep, bad := s.userFilter(q)
	if bad != nil {
		return *bad
	}
	keys := parseOrdering(q, userOrderFields, orderKey{field: "username"})
	include := includeFlag(q, "include_groups")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var rows []*user
	for _, u := range s.dir.users {
		for range keep(u) {
			rows = append(rows, u)
		}
	}
	perm := sortRows(len(rows), keys, userColumn(rows))
	p, ok := paginate(q, len(rows), s.pageSize(q))
	if !ok {
		return errInvalidPage
	}
	body := listBody(p, s.prof.autocompleteEvents, p.hi-p.lo, func(e *encoder, i int) {
		e.value(s.userRecord(rows[perm[p.lo+i]], include))
	})
	return response{status: 200, body: body}
}

// userColumn builds sort columns for rows.
func userColumn(rows []*user) func(string) column {
	return func(field string) column {
		switch field {
		case "pk", "is_active", "is_superuser", "last_login", "password_change_date":
			c := make(intColumn, len(rows))
			for i, u := range rows {
				c[i] = userInt(u, field)
			}
			return c
		}
		c := make(strColumn, len(rows))
		for i, u := range rows {
			c[i] = userText(u, field)
		}
		return c
	}
}

func userInt(u *user, field string) int64 {
	switch field {
	case "pk":
		return int64(u.pk)
	case "is_active":
		return boolInt(u.active)
	case "is_superuser":
		return boolInt(u.superuser)
	case "password_change_date":
		return u.pwChange
	}
	if u.lastLogin == 0 {
		return nullMax
	}
	return u.lastLogin
}

func userText(u *user, field string) string {
	switch field {
	case "username":
		return u.username
	case "name":
		return u.name
	case "email":
		return u.email
	case "path":
		return u.path
	case "type":
		return u.typ
	case "uuid":
		return formatUUID(u.uuid)
	case "uid":
		return u.uid
	}
	return jsonText(u.attrs)
}

// getUser serves GET /api/v3/core/users/{id}/. AnonymousUser is excluded
// from the queryset, so its pk is a 404 too.
func (s *Simulator) getUser(id string, q url.Values) response {
	pk, err := strconv.Atoi(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.dir.byPK[pk]
	if err != nil || !ok {
		return errNotFound
	}
	return jsonResponse(200, s.userRecord(u, includeFlag(q, "include_groups")))
}

// listGroups serves GET /api/v3/core/groups/.
func (s *Simulator) listGroups(q url.Values) response {
	keep, bad := s.groupFilter(q)
	if bad != nil {
		return *bad
	}
	keys := parseOrdering(q, groupOrderFields, orderKey{field: "name"})
	include := includeFlag(q, "include_users")
	var rows []*group
	for _, g := range s.dir.groups {
		if keep(g) {
			rows = append(rows, g)
		}
	}
	perm := sortRows(len(rows), keys, groupColumn(rows))
	p, ok := paginate(q, len(rows), s.pageSize(q))
	if !ok {
		return errInvalidPage
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	body := listBody(p, s.prof.autocompleteGroups, p.hi-p.lo, func(e *encoder, i int) {
		e.value(groupRecord(rows[perm[p.lo+i]], include))
	})
	return response{status: 200, body: body}
}

func groupColumn(rows []*group) func(string) column {
	return func(field string) column {
		switch field {
		case "num_pk", "is_superuser":
			c := make(intColumn, len(rows))
			for i, g := range rows {
				c[i] = int64(g.numPK)
				if field == "is_superuser" {
					c[i] = boolInt(g.superuser)
				}
			}
			return c
		case "pk":
			c := make(uuidColumn, len(rows))
			for i, g := range rows {
				c[i] = g.uuid
			}
			return c
		}
		c := make(strColumn, len(rows))
		for i, g := range rows {
			c[i] = groupText(g, field)
		}
		return c
	}
}

// groupText returns a text sort value; a missing parent sorts last, like
// NULL in PostgreSQL, via a value above every uuid and name.
func groupText(g *group, field string) string {
	switch field {
	case "name":
		return g.name
	case "parent", "parent__name":
		if g.parent == nil {
			return "\U0010FFFF"
		}
		if field == "parent" {
			return formatUUID(g.parent.uuid)
		}
		return g.parent.name
	}
	return jsonText(g.attrs)
}

// getGroup serves GET /api/v3/core/groups/{uuid}/.
func (s *Simulator) getGroup(id string, q url.Values) response {
	u, ok := parseUUID(id)
	if !ok {
		return errNotFound
	}
	for _, g := range s.dir.groups {
		if g.uuid == u {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return jsonResponse(200, groupRecord(g, includeFlag(q, "include_users")))
		}
	}
	return errNotFound
}
