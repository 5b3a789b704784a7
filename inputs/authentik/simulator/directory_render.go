package simulator

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// userRecord renders a User in the serializer's field order. The caller
// holds s.mu (last_login is mutable).
func (s *Simulator) userRecord(u *user, includeGroups bool) record {
	groups := make([]string, len(u.groups))
	var groupsObj any // null unless included
	if includeGroups {
		objs := make([]any, len(u.groups))
		for i, g := range u.groups {
			objs[i] = userGroupRecord(g)
		}
		groupsObj = objs
	}
	for i, g := range u.groups {
		groups[i] = formatUUID(g.uuid)
	}
	return record{
		{"pk", u.pk},
		{"username", u.username},
		{"name", u.name},
		{"is_active", u.active},
		{"last_login", optionalTime(u.lastLogin)},
		{"is_superuser", u.superuser},
		{"groups", groups},
		{"groups_obj", groupsObj},
		{"email", u.email},
		{"avatar", avatar(u)},
		{"attributes", u.attrs},
		{"uid", u.uid},
		{"path", u.path},
		{"type", u.typ},
		{"uuid", formatUUID(u.uuid)},
		{"password_change_date", formatTime(u.pwChange)},
	}
}

func optionalTime(micros int64) any {
	if micros == 0 {
		return nil
	}
	return formatTime(micros)
}

// userGroupRecord renders a UserGroup (a user's groups_obj entry).
func userGroupRecord(g *group) record {
	parent, parentName := parentFields(g)
	return record{
		{"pk", formatUUID(g.uuid)},
		{"num_pk", g.numPK},
		{"name", g.name},
		{"is_superuser", g.superuser},
		{"parent", parent},
		{"parent_name", parentName},
		{"attributes", g.attrs},
	}
}

func parentFields(g *group) (any, any) {
	if g.parent == nil {
		return nil, nil
	}
	return formatUUID(g.parent.uuid), g.parent.name
}

// groupRecord renders a Group in the serializer's field order. The caller
// holds s.mu (members' last_login is mutable).
func groupRecord(g *group, includeUsers bool) record {
	parent, parentName := parentFields(g)
	users := make([]int, len(g.members))
	for i, u := range g.members {
		users[i] = u.pk
	}
	var usersObj any
	if includeUsers {
		objs := make([]any, len(g.members))
		for i, u := range g.members {
			objs[i] = memberRecord(u)
		}
		usersObj = objs
	}
	roles := make([]string, len(g.roles))
	rolesObj := make([]any, len(g.roles))
	for i, r := range g.roles {
		roles[i] = formatUUID(r.uuid)
		rolesObj[i] = record{{"pk", roles[i]}, {"name", r.name}}
	}
	return record{
		{"pk", formatUUID(g.uuid)},
		{"num_pk", g.numPK},
		{"name", g.name},
		{"is_superuser", g.superuser},
		{"parent", parent},
		{"parent_name", parentName},
		{"users", users},
		{"users_obj", usersObj},
		{"attributes", g.attrs},
		{"roles", roles},
		{"roles_obj", rolesObj},
	}
}

// memberRecord renders a GroupMember (a group's users_obj entry).
func memberRecord(u *user) record {
	return record{
		{"pk", u.pk},
		{"username", u.username},
		{"name", u.name},
		{"is_active", u.active},
		{"last_login", optionalTime(u.lastLogin)},
		{"email", u.email},
		{"attributes", u.attrs},
		{"uid", u.uid},
	}
}

// avatar follows authentik's default "gravatar,initials" mode: a Gravatar
// URL for users with an email, a generated initials SVG otherwise, and the
// static default image for outpost service accounts.
func avatar(u *user) string {
	switch {
	case u.typ == typeInternalService:
		return "/static/dist/assets/images/user_default.png"
	case u.email != "":
		sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(u.email))))
		return "https://secure.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?size=158&rating=g&default=404"
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="64px" height="64px" viewBox="0 0 64 64">`+
		`<rect fill="%s" width="64" height="64"/><text x="50%%" y="50%%" fill="#fff" text-anchor="middle" `+
		`dominant-baseline="middle" font-size="28">%s</text></svg>`, u.avatarColor, u.initials)
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
