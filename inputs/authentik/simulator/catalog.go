package simulator

import "net/netip"

// The static vocabulary the generators draw from. Values that identify
// objects (uuids, pks) are derived from the seed at construction instead.

// ipPool is a set of client addresses with the GeoIP data authentik would
// attach to them. The public pools are networks present in MaxMind's test
// databases (and in akship's demo GeoIP database), restricted to the
// sub-ranges those databases actually answer for.
type ipPool struct {
	name   string
	weight int
	first  netip.Addr // first address of the pool
	size   int        // number of IPv4 addresses; 0 = random host bits (IPv6)
	bits   int        // IPv6 prefix length when size is 0
	geo    obj        // context.geo, nil when the city database has no entry
	asn    obj        // context.asn, nil when the ASN database has no entry
}

var ipPools = []ipPool{
	{name: "london", weight: 24, first: netip.MustParseAddr("81.2.69.142"), size: 66,
		geo: geoObj("London", "GB", "EU", 51.5142, -0.0931)},
	{name: "linkoping", weight: 12, first: netip.MustParseAddr("89.160.20.112"), size: 16,
		geo: geoObj("Linköping", "SE", "EU", 58.4167, 15.6167),
		asn: asnObj(29518, "Bredband2 AB", "89.160.0.0/17")},
	{name: "changchun", weight: 8, first: netip.MustParseAddr("175.16.199.0"), size: 256,
		geo: geoObj("Changchun", "CN", "AS", 43.88, 125.3228)},
	{name: "milton", weight: 12, first: netip.MustParseAddr("216.160.83.56"), size: 8,
		geo: geoObj("Milton", "US", "NA", 47.2513, -122.3149),
		asn: asnObj(209, nil, "216.160.64.0/18")},
	{name: "bhutan", weight: 5, first: netip.MustParseAddr("67.43.156.0"), size: 256,
		geo: geoObj("", "BT", "AS", 27.5, 90.5),
		asn: asnObj(35908, nil, "67.43.152.0/21")},
	{name: "norway", weight: 8, first: netip.MustParseAddr("2a02:cf40::"), bits: 29,
		geo: geoObj("", "NO", "EU", 62, 10)},
	{name: "private10", weight: 12, first: netip.MustParseAddr("10.0.0.0"), size: 1 << 24},
	{name: "private192", weight: 8, first: netip.MustParseAddr("192.168.0.0"), size: 1 << 16},
	{name: "ula", weight: 5, first: netip.MustParseAddr("fd00::"), bits: 8},
	{name: "unknown", weight: 3, first: netip.MustParseAddr("255.255.255.255"), size: 1},
}

var ipPoolWeights, ipPoolTotal = poolWeights()

func poolWeights() ([]int, int) {
	w := make([]int, len(ipPools))
	total := 0
	for i, p := range ipPools {
		w[i] = p.weight
		total += p.weight
	}
	return w, total
}

// geoObj builds context.geo as authentik's GeoIP context processor does; a
// missing city is the empty string.
func geoObj(city, country, continent string, lat, long float64) obj {
	return sortedObj(obj{{"city", city}, {"country", country}, {"continent", continent},
		{"lat", lat}, {"long", long}})
}

// asnObj builds context.asn; a missing organisation is null.
func asnObj(asn int, org any, network string) obj {
	return sortedObj(obj{{"asn", asn}, {"as_org", org}, {"network", network}})
}

// sortedObj returns o in jsonb key order, for objects shared between
// goroutines (encoding them then never needs to copy).
func sortedObj(o obj) obj { return obj(sortedJSONB(o)) }

// draw returns a random address from the pool.
func (p ipPool) draw(r *rng) netip.Addr {
	if p.size > 0 {
		a := p.first.As4()
		v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		v += uint32(r.intn(p.size))
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b := p.first.As16()
	// Keep addresses readable: randomise the bits after the prefix in the
	// first 48 bits and a short interface id, like SLAAC-less deployments.
	hi := r.next()
	for i := p.bits; i < 48; i++ {
		if hi>>(i%64)&1 == 1 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	iid := r.intn(0xffff) + 1
	b[14], b[15] = byte(iid>>8), byte(iid)
	return netip.AddrFrom16(b)
}

// userAgents are real-looking agents with relative weights: mostly browsers,
// some API clients.
var userAgents = []struct {
	ua     string
	weight int
}{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36", 30},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", 12},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", 12},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 Edg/127.0.0.0", 10},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 8},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Mobile Safari/537.36", 8},
	{"curl/8.5.0", 5},
	{"PostmanRuntime/7.41.0", 5},
	{"python-requests/2.32.3", 5},
	{"Go-http-client/1.1", 5},
}

var uaWeights, uaTotal = func() ([]int, int) {
	w := make([]int, len(userAgents))
	t := 0
	for i, u := range userAgents {
		w[i], t = u.weight, t+u.weight
	}
	return w, t
}()

var firstNames = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
	"yara", "zoe", "amir", "bianca", "chen", "dmitri", "elena", "farah", "goran", "hana",
	"igor", "jonas", "kaito", "lena", "mateo", "nora", "oskar", "priya", "quinn", "rosa", "sven",
}

var lastNames = []string{
	"smith", "jones", "garcia", "müller", "rossi", "novak", "kowalski", "tanaka", "kim",
	"nguyen", "silva", "martin", "bernard", "dubois", "lindqvist", "haugen", "okafor",
	"mensah", "patel", "singh", "cohen", "levi", "ivanova", "horvat", "nielsen", "jansen",
	"peeters", "fischer", "weber", "schmidt", "costa", "ferreira", "lopez", "moreau",
	"sato", "wang", "li", "zhang", "oconnor", "walsh",
}

var groupNames = []string{
	"engineering", "platform", "sales", "support", "finance", "people-ops", "marketing",
	"security", "legal", "sre", "design", "data", "contractors", "partners", "helpdesk",
	"auditors", "developers", "qa", "research", "executives", "interns", "vpn-users",
	"grafana-editors", "gitlab-maintainers",
}

var roleNames = []string{"viewer", "auditor", "helpdesk-operator", "app-admin", "authentik Read-only"}

var serviceWords = []string{
	"backup", "ci", "monitoring", "terraform", "ansible", "scim-sync", "reporting", "akship",
	"grafana", "gitlab-runner", "vault", "argocd",
}

// application is an authentik Application with its OAuth2 client.
type application struct {
	name, slug, redirect string
}

var applications = []application{
	{"Grafana", "grafana", "https://grafana.example.com/login/generic_oauth"},
	{"GitLab", "gitlab", "https://gitlab.example.com/users/auth/openid_connect/callback"},
	{"Nextcloud", "nextcloud", "https://cloud.example.com/apps/user_oidc/code"},
	{"Memos", "memos", "http://memos.example.com:5230/auth/callback"},
	{"Alertmanager", "alertmanager", "https://alerts.example.com/outpost.goauthentik.io/callback"},
	{"Vault", "vault", "https://vault.example.com/ui/vault/auth/oidc/oidc/callback"},
	{"Jenkins", "jenkins", "https://ci.example.com/securityRealm/finishLogin"},
	{"Outline", "outline", "https://wiki.example.com/auth/oidc.callback"},
	{"Proxmox VE", "proxmox", "https://pve.example.com:8006"},
	{"Portainer", "portainer", "https://portainer.example.com/"},
}

// flow is an authentik flow with its designation.
type flow struct{ slug, designation string }

var (
	flowAuthentication = flow{"default-authentication-flow", "authentication"}
	flowInvalidation   = flow{"default-invalidation-flow", "invalidation"}
	flowUserSettings   = flow{"default-user-settings-flow", "stage_configuration"}
	flowExplicit       = flow{"default-provider-authorization-explicit-consent", "authorization"}
	flowImplicit       = flow{"default-provider-authorization-implicit-consent", "authorization"}
	flowEnrollment     = flow{"default-enrollment-flow", "enrollment"}
	flowRecovery       = flow{"default-recovery-flow", "recovery"}
	flowSource         = flow{"default-source-authentication", "authentication"}
)

var allFlows = []flow{flowAuthentication, flowInvalidation, flowUserSettings, flowExplicit,
	flowImplicit, flowEnrollment, flowRecovery, flowSource}

// stageRef names a stage model: Django app label, model name, instance name.
type modelType struct{ app, model string }

var (
	mtUser         = modelType{"authentik_core", "user"}
	mtGroup        = modelType{"authentik_core", "group"}
	mtApplication  = modelType{"authentik_core", "application"}
	mtToken        = modelType{"authentik_core", "token"}
	mtBrand        = modelType{"authentik_brands", "brand"}
	mtFlow         = modelType{"authentik_flows", "flow"}
	mtRule         = modelType{"authentik_events", "notificationrule"}
	mtBinding      = modelType{"authentik_policies", "policybinding"}
	mtExprPolicy   = modelType{"authentik_policies_expression", "expressionpolicy"}
	mtOAuth2       = modelType{"authentik_providers_oauth2", "oauth2provider"}
	mtScopeMapping = modelType{"authentik_providers_oauth2", "scopemapping"}
	mtOAuthSource  = modelType{"authentik_sources_oauth", "oauthsource"}
	mtCertificate  = modelType{"authentik_crypto", "certificatekeypair"}
	mtIdentStage   = modelType{"authentik_stages_identification", "identificationstage"}
	mtPasswdStage  = modelType{"authentik_stages_password", "passwordstage"}
	mtTOTPDevice   = modelType{"authentik_stages_authenticator_totp", "totpdevice"}
	mtWebAuthn     = modelType{"authentik_stages_authenticator_webauthn", "webauthndevice"}
	mtInvitation   = modelType{"authentik_stages_invitation", "invitation"}
	mtEvent        = modelType{"authentik_events", "event"}
)

// modelRef renders a model reference as authentik's sanitize_item does.
func modelRef(t modelType, pk any, name string) obj {
	return obj{{"pk", pk}, {"app", t.app}, {"name", name}, {"model_name", t.model}}
}

var oauthSources = []string{"GitHub", "Google", "Azure AD", "Keycloak"}

var expressionPolicies = []string{
	"default-authentication-flow-password-stage", "allow-internal-only", "require-vpn",
	"match-all-events", "deny-bhutan", "mfa-required",
}

var systemTasks = []string{
	"clean_expired_models", "outpost_controller", "ldap_sync", "notification_transport",
	"blueprints_discovery", "update_latest_version", "certificate_discovery", "scim_sync",
}

var authentikVersions = []string{"2025.2.1", "2025.2.2", "2025.2.3", "2025.2.4", "2025.4.0", "2025.4.1"}
