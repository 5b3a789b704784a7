package simulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
)

// User types, as authentik's UserTypeEnum.
const (
	typeInternal        = "internal"
	typeExternal        = "external"
	typeServiceAccount  = "service_account"
	typeInternalService = "internal_service_account"
)

// anonymousPK is the pk of authentik's built-in AnonymousUser. It appears in
// event user snapshots but never in the users list.
const anonymousPK = 2

// user is one generated authentik user. lastLogin is mutable (TouchUser) and
// guarded by Simulator.mu; everything else is fixed at construction.
type user struct {
	pk          int
	username    string
	name        string
	email       string
	active      bool
	lastLogin   int64 // unix µs; 0 = null
	superuser   bool
	groups      []*group
	attrs       obj
	uid         string
	path        string
	typ         string
	uuid        [16]byte
	pwChange    int64
	initials    string
	avatarColor string
}

// role is an RBAC role assigned to groups.
type role struct {
	uuid [16]byte
	name string
}

// group is one generated authentik group.
type group struct {
	uuid      [16]byte
	numPK     int
	name      string
	superuser bool
	parent    *group
	members   []*user // sorted by pk
	attrs     obj
	roles     []role
}

// directory holds the generated users and groups.
type directory struct {
	users  []*user // sorted by pk
	byPK   map[int]*user
	groups []*group
	anon   obj // the AnonymousUser snapshot used by events
}

// numPK reproduces authentik's Group.num_pk: the first five decimal digits of
// the uuid's 128-bit integer value.
func numPK(u [16]byte) int {
	s := new(big.Int).SetBytes(u[:]).String()
	n := 0
	for _, c := range s[:min(5, len(s))] {
		n = n*10 + int(c-'0')
	}
	return n
}

// newDirectory generates nUsers listable users and nGroups groups.
func newDirectory(seed int64, nUsers, nGroups int, now time.Time) *directory {
	r := newRNG(seed, 0, streamDirectory)
	d := &directory{byPK: make(map[int]*user, nUsers)}
	d.anon = sortedObj(obj{{"pk", anonymousPK}, {"email", ""}, {"username", "AnonymousUser"}, {"is_anonymous", true}})
	d.groups = genGroups(&r, nGroups)
	d.users = genUsers(&r, seed, nUsers, now.UnixMicro())
	for _, u := range d.users {
		d.byPK[u.pk] = u
	}
	assignMembers(&r, d)
	return d
}

func genGroups(r *rng, n int) []*group {
	roles := make([]role, len(roleNames))
	for i, name := range roleNames {
		roles[i] = role{uuid: r.uuid4(), name: name}
	}
	groups := make([]*group, 0, n)
	seen := map[string]bool{}
	for i := range n {
		g := &group{uuid: r.uuid4(), attrs: obj{}}
		g.numPK = numPK(g.uuid)
		switch {
		case i == 0:
			g.name, g.superuser = "authentik Admins", true
		case i == 1:
			g.name = "authentik Read-only"
			g.roles = []role{roles[len(roles)-1]}
			g.attrs = obj{{"notes", "Read-only access to every object, granted through the role of the same name.\n"}}
		case i == 2:
			g.name, g.parent = "infra-admins", groups[0]
		default:
			g.name = uniqueName(groupNames[(i-3)%len(groupNames)], seen)
			decorateGroup(r, g, groups, roles)
		}
		seen[g.name] = true
		g.attrs = sortedObj(g.attrs)
		groups = append(groups, g)
	}
	return groups
}

func uniqueName(base string, seen map[string]bool) string {
	name := base
	for i := 2; seen[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

func decorateGroup(r *rng, g *group, earlier []*group, roles []role) {
	if len(earlier) > 3 && r.chance(0.25) {
		g.parent = earlier[3+r.intn(len(earlier)-3)]
	}
	if r.chance(0.3) {
		g.roles = append(g.roles, roles[r.intn(len(roles)-1)])
	}
	switch r.intn(4) {
	case 0:
		g.attrs = obj{{"notes", "Managed by the " + g.name + " team lead."}}
	case 1:
		g.attrs = obj{{"ldap_uniq", fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1100+r.intn(8000))},
			{"distinguishedName", "CN=" + g.name + ",OU=Groups,DC=corp,DC=example"}}
	}
}

func genUsers(r *rng, seed int64, n int, now int64) []*user {
	users := make([]*user, 0, n)
	seen := map[string]bool{}
	pk := 1
	for i := range n {
		var u *user
		switch i {
		case 0:
			u = &user{username: "akadmin", name: "authentik Default Admin", email: "root@localhost",
				path: "users", typ: typeInternal, active: true, attrs: obj{}}
		case 1:
			u = &user{username: "ak-outpost-" + r.hex(32), name: "Outpost authentik Embedded Outpost Service-Account",
				path: "goauthentik.io/outposts", typ: typeInternalService, active: true,
				attrs: obj{{"goauthentik.io/user/token-expires", false}}}
		default:
			u = genPerson(r, seen)
		}
		seen[u.username] = true
		u.pk = pk
		pk++
		if pk == anonymousPK {
			pk++
		}
		finishUser(r, seed, u, now)
		users = append(users, u)
	}
	return users
}

var asciiFold = strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "å", "a")

// genPerson draws a human or service account with the variety the agent
// must handle: external and service accounts, LDAP-synced attributes,
// inactive users, empty emails and names.
func genPerson(r *rng, seen map[string]bool) *user {
	if r.chance(0.06) {
		word := uniqueName("svc-"+pick(r, serviceWords), seen)
		return &user{username: word, name: word, path: "goauthentik.io/service-accounts", typ: typeServiceAccount,
			active: true, attrs: obj{{"goauthentik.io/user/service-account", true}, {"goauthentik.io/user/token-expires", false}}}
	}
	first, last := pick(r, firstNames), pick(r, lastNames)
	u := &user{name: title(first) + " " + title(last), path: "users", typ: typeInternal, active: !r.chance(0.08), attrs: obj{}}
	base := asciiFold.Replace(first + "." + last)
	switch x := r.intn(100); {
	case x < 12:
		u.typ = typeExternal
		u.username = uniqueName(base+"@partner.example", seen)
		u.email = u.username
	case x < 40:
		u.username = uniqueName(base, seen)
		u.email = u.username + "@corp.example"
		u.path = "goauthentik.io/sources/corp-ldap/Staff"
		u.attrs = obj{{"sn", title(last)}, {"upn", u.username + "@corp.example"},
			{"ldap_uniq", fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1000+r.intn(90000))}}
	default:
		u.username = uniqueName(base, seen)
		u.email = u.username + "@example.com"
		if r.chance(0.2) {
			u.attrs = obj{{"settings", obj{{"locale", pick(r, []string{"", "de", "en", "fr", "sv"})}}}}
		}
	}
	if r.chance(0.05) {
		u.email = ""
	}
	if r.chance(0.02) {
		u.name = ""
	}
	return u
}

func title(s string) string {
	for i, c := range s {
		return string(unicode.ToUpper(c)) + s[i+len(string(c)):]
	}
	return s
}

func finishUser(r *rng, seed int64, u *user, now int64) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d-%d", seed, u.pk))
	u.uid = hex.EncodeToString(sum[:])
	u.uuid = r.uuid4()
	u.pwChange = now - int64(r.between(3600, 400*86400))*1_000_000 - int64(r.intn(1_000_000))
	if u.typ != typeInternalService && u.typ != typeServiceAccount && r.chance(0.75) {
		u.lastLogin = now - int64(r.between(60, 90*86400))*1_000_000 - int64(r.intn(1_000_000))
	}
	u.attrs = sortedObj(u.attrs)
	u.initials = initials(u)
	u.avatarColor = fmt.Sprintf("#%06x", r.intn(1<<24))
}

func initials(u *user) string {
	src := u.name
	if src == "" {
		src = u.username
	}
	var b strings.Builder
	for _, w := range strings.Fields(src) {
		for _, c := range w {
			b.WriteRune(unicode.ToUpper(c))
			break
		}
		if b.Len() >= 2 {
			break
		}
	}
	return b.String()
}

// assignMembers puts users in groups: akadmin in authentik Admins, humans
// in zero to three other groups.
func assignMembers(r *rng, d *directory) {
	join := func(u *user, g *group) {
		for _, have := range u.groups {
			if have == g {
				return
			}
		}
		u.groups = append(u.groups, g)
		g.members = append(g.members, u)
	}
	if len(d.groups) == 0 {
		return
	}
	join(d.users[0], d.groups[0])
	for _, u := range d.users[1:] {
		if u.typ == typeInternalService || u.typ == typeServiceAccount || len(d.groups) == 1 {
			continue
		}
		if r.chance(0.03) {
			join(u, d.groups[r.intn(min(3, len(d.groups)))])
		}
		pool := d.groups[1:]
		if len(d.groups) > 3 {
			pool = d.groups[3:] // keep superusers rare: infra-admins inherits from Admins
		}
		for range r.intn(4) {
			join(u, pick(r, pool))
		}
	}
	for _, u := range d.users {
		u.superuser = inheritsSuperuser(u)
	}
}

// inheritsSuperuser mirrors User.is_superuser: true when any direct group or
// one of its ancestors is a superuser group.
func inheritsSuperuser(u *user) bool {
	for _, g := range u.groups {
		for p, depth := g, 0; p != nil && depth < 32; p, depth = p.parent, depth+1 {
			if p.superuser {
				return true
			}
		}
	}
	return false
}

// snapshot is the {pk, email, username} user reference authentik stores in
// events.
func (u *user) snapshot() obj {
	return obj{{"pk", u.pk}, {"email", u.email}, {"username", u.username}}
}
