package simulator

import (
	"cmp"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// eventOrderFields are the names DRF accepts in ?ordering= for events.
var eventOrderFields = map[string]bool{
	"pk": true, "user": true, "action": true, "app": true, "context": true,
	"client_ip": true, "created": true, "expires": true, "brand": true,
}

// eventQLSchema is the DjangoQL subset for events.
var eventQLSchema = qlSchema{
	"created":   {typ: qlTime},
	"expires":   {typ: qlTime},
	"action":    {typ: qlStr},
	"app":       {typ: qlStr},
	"client_ip": {typ: qlStr, nullable: true},
}

// eventFilter holds the parsed filterset of the events list.
type eventFilter struct {
	action                       string          // lower-cased icontains operand
	actions                      map[string]bool // 2026.2+: exact, any of
	clientIP                     *string
	username                     *string
	usernameInContext            bool // 2026.2+: username matches context.username too
	modelPK, modelName, modelApp *string
	authorizedApp, brandName     *string
	search                       *matcher
	needContext                  bool
}

func optional(q url.Values, key string) *string {
	if v, ok := charFilter(q, key); ok {
		return &v
	}
	return nil
}

// parseEventFilter parses the events filterset of the release; bad is a
// 400 for an `actions` value that is no valid action.
func (s *Simulator) parseEventFilter(q url.Values) (f eventFilter, bad *response) {
	f = eventFilter{
		clientIP:  optional(q, "client_ip"),
		username:  optional(q, "username"),
		modelPK:   optional(q, "context_model_pk"),
		modelName: optional(q, "context_model_name"),
		modelApp:  optional(q, "context_model_app"),
		brandName: optional(q, "brand_name"),
	}
	if v, ok := charFilter(q, "action"); ok {
		f.action = strings.ToLower(v)
	}
	if v, ok := charFilter(q, "context_authorized_app"); ok {
		v = strings.ReplaceAll(v, "-", "")
		f.authorizedApp = &v
	}
	if f.clientIP != nil {
		v := normalizeIP(*f.clientIP)
		f.clientIP = &v
	}
	if f.modelPK != nil {
		v := strings.ReplaceAll(*f.modelPK, "-", "")
		f.modelPK = &v
	}
	raw, _ := lastValue(q, "search")
	f.search = newMatcher(raw, s.prof.ql, eventQLSchema)
	if s.prof.eventsFilters2026 {
		f.usernameInContext = f.username != nil
		if resp := s.parseActions(q, &f); resp != nil {
			return f, resp
		}
	}
	f.needContext = f.modelPK != nil || f.modelName != nil || f.modelApp != nil || f.authorizedApp != nil
	return f, nil
}

// parseActions reads the `actions` MultipleChoiceFilter (2026.2+): every
// value must be one of the release's actions (custom_* are not choices);
// empty values are ignored.
func (s *Simulator) parseActions(q url.Values, f *eventFilter) *response {
	for _, v := range q["actions"] {
		if v == "" {
			continue
		}
		if !s.gen.isAction(v) {
			resp := validationError("actions", invalidChoice(v))
			return &resp
		}
		if f.actions == nil {
			f.actions = map[string]bool{}
		}
		f.actions[v] = true
	}
	return nil
}

// normalizeIP canonicalises an inet literal (a host prefix like /32 equals
// the bare address); unparseable input matches nothing.
func normalizeIP(s string) string {
	if p, err := netip.ParsePrefix(s); err == nil && p.IsSingleIP() {
		return p.Addr().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return "\x00invalid"
}

// active reports whether any filter applies.
func (f *eventFilter) active() bool {
	return f.action != "" || f.actions != nil || f.clientIP != nil || f.username != nil || f.needContext ||
		f.brandName != nil || f.search != nil
}

// eventRow is one event during filtering, with lazily rendered parts (a
// query on created alone renders nothing).
type eventRow struct {
	g       *generator
	rec     eventRec
	h       eventHead
	hasHead bool
	ctx     obj
}

// head renders the event's head on first use.
func (v *eventRow) head() *eventHead {
	if !v.hasHead {
		v.h, v.hasHead = v.g.head(v.rec), true
	}
	return &v.h
}

func (v *eventRow) context() obj {
	if v.ctx == nil {
		v.ctx = v.g.context(v.rec, v.head())
	}
	return v.ctx
}

// qlValue implements qlRow.
func (v *eventRow) qlValue(field string) qlValue {
	switch field {
	case "created":
		return qlValue{n: v.rec.created}
	case "expires":
		return qlValue{n: v.g.expires(v.rec)}
	case "action":
		return qlValue{s: v.head().kind.action}
	case "app":
		return qlValue{s: v.head().kind.app}
	case "client_ip":
		if h := v.head(); h.ip.IsValid() {
			return qlValue{s: h.ip.String()}
		}
		return qlValue{null: true}
	}
	return qlValue{null: true}
}

// haystacks are the fields DRF's search covers for events, lower-cased.
func (v *eventRow) haystacks() []func() string {
	return []func() string{
		func() string { return formatUUID(v.rec.pk) },
		func() string { return v.head().kind.action },
		func() string { return strings.ToLower(v.head().kind.app) },
		func() string {
			if h := v.head(); h.ip.IsValid() {
				return strings.ToLower(h.ip.String())
			}
			return ""
		},
		func() string { return strings.ToLower(jsonText(v.head().userObj(v.g.dir))) },
		func() string { return strings.ToLower(jsonText(v.context())) },
	}
}

func (f *eventFilter) match(v *eventRow) bool {
	if f.action != "" && !strings.Contains(v.head().kind.action, f.action) {
		return false
	}
	if f.clientIP != nil && (!v.head().ip.IsValid() || v.head().ip.String() != *f.clientIP) {
		return false
	}
	if f.actions != nil && !f.actions[v.head().kind.action] {
		return false
	}
	if f.username != nil && !f.matchUsername(v) {
		return false
	}
	if f.brandName != nil && objString(v.head().brand, "name") != *f.brandName {
		return false
	}
	if f.needContext && !f.matchContext(v.context()) {
		return false
	}
	return f.search == nil || f.search.match(v, v.haystacks)
}

// matchUsername is the username filter: user.username, and from 2026.2
// context.username too.
func (f *eventFilter) matchUsername(v *eventRow) bool {
	if name, ok := v.head().username(); ok && name == *f.username {
		return true
	}
	return f.usernameInContext && objString(v.context(), "username") == *f.username
}

func (f *eventFilter) matchContext(ctx obj) bool {
	model, _ := objGet(ctx, "model").(obj)
	if f.modelName != nil && objString(model, "model_name") != *f.modelName {
		return false
	}
	if f.modelApp != nil && objString(model, "app") != *f.modelApp {
		return false
	}
	if f.modelPK != nil && !pkMatches(objGet(model, "pk"), *f.modelPK) {
		return false
	}
	if f.authorizedApp != nil {
		app, _ := objGet(ctx, "authorized_application").(obj)
		if objString(app, "pk") != *f.authorizedApp {
			return false
		}
	}
	return true
}

// pkMatches mirrors authentik's context_model_pk filter: the dash-stripped
// string, or its integer value when it parses as one.
func pkMatches(pk any, want string) bool {
	switch v := pk.(type) {
	case string:
		return v == want
	case int:
		n, err := strconv.Atoi(want)
		return err == nil && n == v
	}
	return false
}

func objGet(o obj, key string) any {
	for _, f := range o {
		if f.k == key {
			return f.v
		}
	}
	return nil
}

func objString(o obj, key string) string {
	s, _ := objGet(o, key).(string)
	return s
}

// listEvents serves GET /api/v3/events/events/.
func (s *Simulator) listEvents(q url.Values) response {
	f, bad := s.parseEventFilter(q)
	if bad != nil {
		return *bad
	}
	keys := parseOrdering(q, eventOrderFields, orderKey{field: "created", desc: true})
	s.mu.RLock()
	defer s.mu.RUnlock()
	recs, desc := s.selectEvents(&f, keys)
	p, ok := paginate(q, len(recs), s.pageSize(q))
	if !ok {
		return errInvalidPage
	}
	body := listBody(p, s.prof.autocompleteEvents, p.hi-p.lo, func(e *encoder, i int) {
		j := p.lo + i
		if desc {
			j = len(recs) - 1 - j
		}
		s.gen.appendEvent(e, recs[j])
	})
	return response{status: 200, body: body}
}

// selectEvents filters and orders the stored events. When the ordering is
// the store's own (created, pk) order, either direction, it returns the
// stored slice (or the filtered copy) unsorted with desc telling the caller
// to read it backwards, so default polling never sorts.
func (s *Simulator) selectEvents(f *eventFilter, keys []orderKey) (recs []eventRec, desc bool) {
	recs = s.store.recs
	if from, ok := f.createdFrom(); ok {
		// The store is sorted by created: a lower bound is a binary search,
		// as PostgreSQL would use an index (the keyset walk's every request).
		i, _ := slices.BinarySearchFunc(recs, from, func(r eventRec, t int64) int { return cmp.Compare(r.created, t) })
		recs = recs[i:]
	} else if f.active() {
		recs = nil
		row := new(eventRow) // one for all: matching may keep a pointer, so it lives on the heap
		for _, rec := range s.store.recs {
			*row = eventRow{g: s.gen, rec: rec}
			if f.match(row) {
				recs = append(recs, rec)
			}
		}
	}
	if keys[0].field == "created" && keys[1].field == "pk" && keys[0].desc == keys[1].desc {
		return recs, keys[0].desc
	}
	perm := sortRows(len(recs), keys, s.eventColumn(recs))
	sorted := make([]eventRec, len(recs))
	for i, j := range perm {
		sorted[i] = recs[j]
	}
	return sorted, false
}

// eventColumn builds sort columns for recs.
func (s *Simulator) eventColumn(recs []eventRec) func(string) column {
	var hs []eventHead
	heads := func() []eventHead {
		if hs == nil {
			hs = make([]eventHead, len(recs))
			for i, r := range recs {
				hs[i] = s.gen.head(r)
			}
		}
		return hs
	}
	return func(field string) column {
		switch field {
		case "created", "expires":
			c := make(intColumn, len(recs))
			for i, r := range recs {
				c[i] = r.created
				if field == "expires" {
					c[i] = s.gen.expires(r)
				}
			}
			return c
		case "pk":
			c := make(uuidColumn, len(recs))
			for i, r := range recs {
				c[i] = r.pk
			}
			return c
		case "client_ip":
			c := make(ipColumn, len(recs))
			for i, h := range heads() {
				c[i] = h.ip
			}
			return c
		}
		c := make(strColumn, len(recs))
		for i, h := range heads() {
			c[i] = s.eventText(recs[i], &h, field)
		}
		return c
	}
}

// eventText is the sort value of a text or JSON field. jsonb ordering is
// approximated by the jsonb::text form.
func (s *Simulator) eventText(rec eventRec, h *eventHead, field string) string {
	switch field {
	case "action":
		return h.kind.action
	case "app":
		return h.kind.app
	case "user":
		return jsonText(h.userObj(s.dir))
	case "brand":
		return jsonText(h.brand)
	}
	return jsonText(s.gen.context(rec, h))
}

// getEvent serves GET /api/v3/events/events/{uuid}/.
func (s *Simulator) getEvent(id string) response {
	pk, ok := parseUUID(id)
	if !ok {
		return errNotFound
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := s.store.find(pk)
	if i < 0 {
		return errNotFound
	}
	e := encoder{}
	s.gen.appendEvent(&e, s.store.recs[i])
	return response{status: 200, body: e.buf}
}
