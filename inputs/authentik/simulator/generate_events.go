package simulator

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// origin says how an event came to be, which decides its user and client_ip.
type origin uint8

const (
	// fromRequest events are written while serving an HTTP request: a user,
	// a client_ip and context.http_request.
	fromRequest origin = iota
	// fromTask events are written by background tasks: user {} and a null
	// client_ip.
	fromTask
	// fromUserTask events name a user but were written outside a request
	// (policy execution, custom events): null client_ip.
	fromUserTask
)

// actionKind describes one event action and how to build its context.
type actionKind struct {
	action string
	app    string
	weight int
	origin origin
	build  func(b *ctxBuilder) obj
}

// userShape says which user snapshot form an event carries.
type userShape uint8

const (
	shapeEmpty    userShape = iota // {} (system events)
	shapeActor                     // {pk, email, username}
	shapeAnon                      // AnonymousUser with is_anonymous
	shapeOnBehalf                  // actor + on_behalf_of (impersonation)
	shapeAuthAs                    // pending user + authenticated_as (flows)
)

// eventHead is the cheap part of a rendered event, enough for most filters
// and orderings; it allocates nothing.
type eventHead struct {
	kind   *actionKind
	shape  userShape
	actor  *user      // the acting directory user (session user)
	target *user      // impersonated / pending user, if any
	ip     netip.Addr // invalid = null
	pool   *ipPool
	brand  obj
}

// generator renders events deterministically from (seed, index).
type generator struct {
	seed     int64
	dir      *directory
	actors   []*user
	mask     *masker
	kinds    []*actionKind
	weights  []int
	total    int
	brands   [2]obj
	appPKs   []string // application uuids, hex
	flowPKs  map[string]string
	clientID []string
}

const retention = 365 * 24 * time.Hour

// newGenerator returns the generator of a data set; extra are the actions of
// later releases, emitted besides eventKinds.
func newGenerator(seed int64, dir *directory, m *masker, extra []*actionKind) *generator {
	g := &generator{seed: seed, dir: dir, mask: m, kinds: append(eventKinds(), extra...), flowPKs: map[string]string{}}
	for _, k := range g.kinds {
		g.weights = append(g.weights, k.weight)
		g.total += k.weight
	}
	for _, u := range dir.users {
		if u.typ != typeInternalService {
			g.actors = append(g.actors, u)
		}
	}
	r := newRNG(seed, 0, streamIDs)
	g.brands[0] = sortedObj(modelRef(mtBrand, r.hex(32), "Default brand"))
	g.brands[1] = sortedObj(modelRef(mtBrand, r.hex(32), "Brand sso.partner.example"))
	for range applications {
		g.appPKs = append(g.appPKs, r.hex(32))
		g.clientID = append(g.clientID, clientID(&r))
	}
	for _, f := range allFlows {
		g.flowPKs[f.slug] = r.hex(32)
	}
	return g
}

func clientID(r *rng) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 40)
	for i := range b {
		b[i] = alnum[r.intn(len(alnum))]
	}
	return string(b)
}

// isAction reports whether a is one of the generator's (the release's)
// actions, custom_* excluded: the choices of authentik's action filters.
func (g *generator) isAction(a string) bool {
	for _, k := range g.kinds {
		if k.action == a && !strings.HasPrefix(a, "custom_") {
			return true
		}
	}
	return false
}

// pkFor derives an event's uuid from its index.
func (g *generator) pkFor(idx uint64) [16]byte {
	r := newRNG(g.seed, idx, streamPK)
	return r.uuid4()
}

// expires is created + retention, computed a few hundred microseconds to a
// few milliseconds before created as authentik does.
func (g *generator) expires(rec eventRec) int64 {
	r := newRNG(g.seed, rec.idx, streamExpires)
	return rec.created + retention.Microseconds() - int64(200+r.intn(8800))
}

// kindOf picks the action: the first events cover every action once (in a
// seeded order), later ones follow the weights.
func (g *generator) kindOf(r *rng, idx uint64) *actionKind {
	if idx < uint64(len(g.kinds)) {
		perm := newRNG(g.seed, 0, streamKinds)
		order := make([]int, len(g.kinds))
		for i := range order {
			j := perm.intn(i + 1)
			order[i], order[j] = order[j], i
		}
		return g.kinds[order[idx]]
	}
	return g.kinds[weighted(r, g.weights, g.total)]
}

// head derives the event's action, user, client address and brand.
func (g *generator) head(rec eventRec) eventHead {
	r := newRNG(g.seed, rec.idx, streamHead)
	h := eventHead{kind: g.kindOf(&r, rec.idx), brand: g.brands[0]}
	if h.kind.origin == fromTask {
		return h
	}
	h.shape, h.actor = shapeActor, g.pickActor(&r)
	if h.kind.origin == fromUserTask {
		return h
	}
	switch h.kind.action {
	case "login_failed":
		if r.chance(0.5) {
			h.shape, h.actor = shapeAnon, nil
		}
	case "impersonation_started", "impersonation_ended":
		h.target = g.pickActor(&r)
		if h.kind.action == "impersonation_started" || r.chance(0.7) {
			h.shape = shapeOnBehalf
		}
	case "user_write":
		if r.chance(0.1) {
			h.shape, h.target = shapeAuthAs, g.pickActor(&r)
		}
	}
	h.pool = &ipPools[weighted(&r, ipPoolWeights, ipPoolTotal)]
	if h.kind.action == "password_set" && r.chance(0.4) {
		h.pool = &ipPools[len(ipPools)-1]
	}
	h.ip = h.pool.draw(&r)
	if r.chance(0.1) {
		h.brand = g.brands[1]
	}
	return h
}

// userObj renders event.user.
func (h *eventHead) userObj(d *directory) obj {
	switch h.shape {
	case shapeActor:
		return h.actor.snapshot()
	case shapeAnon:
		return d.anon
	case shapeOnBehalf:
		return append(h.actor.snapshot(), kv{"on_behalf_of", h.target.snapshot()})
	case shapeAuthAs:
		return append(h.target.snapshot(), kv{"authenticated_as", h.actor.snapshot()})
	}
	return obj{}
}

// username returns user.username and whether the snapshot has one.
func (h *eventHead) username() (string, bool) {
	switch h.shape {
	case shapeActor, shapeOnBehalf:
		return h.actor.username, true
	case shapeAnon:
		return "AnonymousUser", true
	case shapeAuthAs:
		return h.target.username, true
	}
	return "", false
}

// pickActor favours akadmin, like real installations where the admin does
// most of the configuring.
func (g *generator) pickActor(r *rng) *user {
	if r.chance(0.15) || len(g.actors) == 1 {
		return g.actors[0]
	}
	return g.actors[1+r.intn(len(g.actors)-1)]
}

// context builds, enriches and masks the event's context.
func (g *generator) context(rec eventRec, h *eventHead) obj {
	b := &ctxBuilder{g: g, h: h, rec: rec, r: newRNG(g.seed, rec.idx, streamContext)}
	ctx := h.kind.build(b)
	if h.pool != nil && h.pool.geo != nil && (h.kind.action == "authorize_application" || b.r.chance(0.5)) {
		ctx = append(ctx, kv{"geo", h.pool.geo})
		if h.pool.asn != nil {
			ctx = append(ctx, kv{"asn", h.pool.asn})
		}
	}
	masked, _ := g.mask.obj(ctx)
	return masked
}

// appendEvent renders one event in the Event serializer's field order. It
// writes directly into the buffer: this is the hot path of every poll.
func (g *generator) appendEvent(e *encoder, rec eventRec) {
	h := g.head(rec)
	e.raw(`{"pk":"`)
	e.buf = appendUUID(e.buf, rec.pk)
	e.raw(`","user":`)
	e.value(h.userObj(g.dir))
	e.raw(`,"action":`)
	e.str(h.kind.action)
	e.raw(`,"app":`)
	e.str(h.kind.app)
	e.raw(`,"context":`)
	e.value(g.context(rec, &h))
	e.raw(`,"client_ip":`)
	if h.ip.IsValid() {
		e.buf = append(e.buf, '"')
		e.buf = h.ip.AppendTo(e.buf)
		e.buf = append(e.buf, '"')
	} else {
		e.raw("null")
	}
	e.raw(`,"created":"`)
	e.buf = appendTime(e.buf, rec.created)
	e.raw(`","expires":"`)
	e.buf = appendTime(e.buf, g.expires(rec))
	e.raw(`","brand":`)
	e.value(h.brand)
	e.raw("}")
}

// ctxBuilder carries what context builders need for one event.
type ctxBuilder struct {
	g   *generator
	h   *eventHead
	rec eventRec
	r   rng
}

// http builds context.http_request for a browser or API client request.
func (b *ctxBuilder) http(method, path string, args obj) obj {
	ua := userAgents[weighted(&b.r, uaWeights, uaTotal)].ua
	return obj{{"args", args}, {"path", path}, {"method", method}, {"user_agent", ua}, {"request_id", b.r.hex(32)}}
}

// apiHTTP is http with an API client's user agent.
func (b *ctxBuilder) apiHTTP(method, path string, args obj) obj {
	o := b.http(method, path, args)
	o[3].v = userAgents[6+b.r.intn(4)].ua
	return o
}

func (b *ctxBuilder) actorOrAdmin() *user {
	if b.h.actor != nil {
		return b.h.actor
	}
	return b.g.dir.users[0]
}

func (b *ctxBuilder) app() (int, application) {
	i := b.r.intn(len(applications))
	return i, applications[i]
}

func (b *ctxBuilder) appRef(i int) obj {
	return modelRef(mtApplication, b.g.appPKs[i], applications[i].name)
}

func (b *ctxBuilder) providerRef(i int) obj {
	return modelRef(mtOAuth2, i+1, "Provider for "+applications[i].name)
}

func (b *ctxBuilder) flowRef(f flow) obj {
	return modelRef(mtFlow, b.g.flowPKs[f.slug], flowTitle(f.slug))
}

func flowTitle(slug string) string {
	return fmt.Sprintf("Flow %s", slug)
}

func executorPath(f flow) string { return "/api/v3/flows/executor/" + f.slug + "/" }
