package simulator

import (
	"strconv"
)

// modelTarget is the object a model_* event is about.
type modelTarget struct {
	ref      obj
	collPath string // list endpoint, for POST
	itemPath string // detail endpoint, for PATCH/DELETE
	fields   obj    // the model's fields, for creation diffs
	changes  []change
}

// change is one field's before/after pair in a model_updated diff.
type change struct {
	field     string
	prev, new any
}

func buildModelCreated(b *ctxBuilder) obj {
	t := b.pickModel()
	ctx := obj{{"model", t.ref}, {"http_request", b.http("POST", t.collPath, obj{})}}
	if b.r.chance(0.7) {
		diff := obj{}
		for _, f := range t.fields {
			nv, _ := b.g.mask.value(f.k, f.v)
			diff = append(diff, kv{f.k, obj{{"new_value", nv}, {"previous_value", nil}}})
		}
		ctx = append(ctx, kv{"diff", diff})
	}
	return ctx
}

func buildModelUpdated(b *ctxBuilder) obj {
	t := b.pickModel()
	ctx := obj{{"model", t.ref}, {"http_request", b.http(pick(&b.r, []string{"PATCH", "PUT"}), t.itemPath, obj{})}}
	if len(t.changes) > 0 && b.r.chance(0.7) {
		diff := obj{}
		for _, c := range t.changes[:1+b.r.intn(len(t.changes))] {
			pv, _ := b.g.mask.value(c.field, c.prev)
			nv, _ := b.g.mask.value(c.field, c.new)
			diff = append(diff, kv{c.field, obj{{"new_value", nv}, {"previous_value", pv}}})
		}
		ctx = append(ctx, kv{"diff", diff})
	}
	return ctx
}

func buildModelDeleted(b *ctxBuilder) obj {
	t := b.pickModel()
	return obj{{"model", t.ref}, {"http_request", b.http("DELETE", t.itemPath, obj{})}}
}

// pickModel chooses the changed object: mostly users and groups (which the
// agent can use to trigger directory refreshes), sometimes other models.
func (b *ctxBuilder) pickModel() modelTarget {
	switch x := b.r.intn(100); {
	case x < 40:
		return b.userModel()
	case x < 65 && len(b.g.dir.groups) > 0:
		return b.groupModel()
	case x < 75:
		return b.applicationModel()
	case x < 85:
		return b.tokenModel()
	case x < 92:
		return b.providerModel()
	default:
		return b.flowModel()
	}
}

func (b *ctxBuilder) isoAgo(maxDays int) string {
	return formatTime(b.rec.created - int64(b.r.between(1, maxDays*86400))*1_000_000 - int64(b.r.intn(1_000_000)))
}

func (b *ctxBuilder) userModel() modelTarget {
	u := pick(&b.r, b.g.dir.users)
	pk := strconv.Itoa(u.pk)
	return modelTarget{
		ref:      modelRef(mtUser, u.pk, u.username),
		collPath: "/api/v3/core/users/",
		itemPath: "/api/v3/core/users/" + pk + "/",
		fields: obj{{"id", u.pk}, {"name", u.name}, {"path", u.path}, {"type", u.typ}, {"uuid", hexUUID(u.uuid)},
			{"email", u.email}, {"password", "pbkdf2_sha256$870000$" + b.r.hex(22)}, {"username", u.username},
			{"is_active", true}, {"attributes", obj{}}, {"date_joined", formatTime(b.rec.created)},
			{"password_change_date", formatTime(b.rec.created + int64(b.r.between(100, 5000)))}},
		changes: []change{
			{"last_login", b.isoAgo(30), formatTime(b.rec.created)},
			{"is_active", !u.active, u.active},
			{"name", "", u.name},
			{"attributes", obj{}, obj{{"settings", obj{{"locale", "de"}}}}},
			{"password", "pbkdf2_sha256$870000$" + b.r.hex(22), "pbkdf2_sha256$870000$" + b.r.hex(22)},
		},
	}
}

func (b *ctxBuilder) groupModel() modelTarget {
	g := pick(&b.r, b.g.dir.groups)
	var parent any
	if g.parent != nil {
		parent = hexUUID(g.parent.uuid)
	}
	return modelTarget{
		ref:      modelRef(mtGroup, hexUUID(g.uuid), g.name),
		collPath: "/api/v3/core/groups/",
		itemPath: "/api/v3/core/groups/" + formatUUID(g.uuid) + "/",
		fields: obj{{"name", g.name}, {"parent", parent}, {"group_uuid", hexUUID(g.uuid)},
			{"attributes", g.attrs}, {"is_superuser", g.superuser}},
		changes: []change{
			{"attributes", obj{}, g.attrs},
			{"name", g.name + "-old", g.name},
			{"is_superuser", !g.superuser, g.superuser},
		},
	}
}

func (b *ctxBuilder) applicationModel() modelTarget {
	i, app := b.app()
	return modelTarget{
		ref:      b.appRef(i),
		collPath: "/api/v3/core/applications/",
		itemPath: "/api/v3/core/applications/" + app.slug + "/",
		fields: obj{{"name", app.name}, {"slug", app.slug}, {"group", ""}, {"open_in_new_tab", false},
			{"meta_launch_url", ""}, {"policy_engine_mode", "any"}},
		changes: []change{
			{"meta_launch_url", "", app.redirect},
			{"open_in_new_tab", false, true},
			{"policy_engine_mode", "any", "all"},
		},
	}
}

func (b *ctxBuilder) tokenModel() modelTarget {
	ident := pick(&b.r, serviceWords) + "-token"
	exp := formatTime(b.rec.created + retention.Microseconds())
	return modelTarget{
		ref:      modelRef(mtToken, b.r.hex(32), ident),
		collPath: "/api/v3/core/tokens/",
		itemPath: "/api/v3/core/tokens/" + ident + "/",
		fields: obj{{"identifier", ident}, {"intent", "api"}, {"key", b.r.hex(40)}, {"expiring", true},
			{"expires", exp}, {"description", "Token for " + ident}},
		changes: []change{
			{"expiring", true, false},
			{"key", b.r.hex(40), b.r.hex(40)},
			{"description", "", "Rotated by the security team"},
		},
	}
}

func (b *ctxBuilder) providerModel() modelTarget {
	i, app := b.app()
	pk := strconv.Itoa(i + 1)
	return modelTarget{
		ref:      b.providerRef(i),
		collPath: "/api/v3/providers/oauth2/",
		itemPath: "/api/v3/providers/oauth2/" + pk + "/",
		fields: obj{{"name", "Provider for " + app.name}, {"client_id", b.g.clientID[i]}, {"client_type", "confidential"},
			{"client_secret", b.r.hex(64)}, {"redirect_uris", app.redirect}, {"access_token_validity", "minutes=5"}},
		changes: []change{
			{"access_token_validity", "minutes=5", "hours=1"},
			{"client_secret", b.r.hex(64), b.r.hex(64)},
			{"redirect_uris", "", app.redirect},
		},
	}
}

func (b *ctxBuilder) flowModel() modelTarget {
	f := pick(&b.r, allFlows)
	return modelTarget{
		ref:      b.flowRef(f),
		collPath: "/api/v3/flows/instances/",
		itemPath: "/api/v3/flows/instances/" + f.slug + "/",
		fields: obj{{"name", flowTitle(f.slug)}, {"slug", f.slug}, {"title", "Welcome to authentik!"},
			{"designation", f.designation}},
		changes: []change{
			{"title", "Welcome to authentik!", "Welcome to Example Corp"},
			{"compatibility_mode", false, true},
		},
	}
}
