package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// eventKinds lists every action of authentik's EventActions enum (2025.2.3,
// in enum order) plus a few custom_<name> actions, with relative frequencies
// and context builders shaped like authentik's documented examples and the
// conformance records.
func eventKinds() []*actionKind {
	const signals = "authentik.events.signals"
	return []*actionKind{
		{"login", signals, 200, fromRequest, buildLogin},
		{"login_failed", signals, 60, fromRequest, buildLoginFailed},
		{"logout", signals, 80, fromRequest, buildLogout},
		{"user_write", signals, 20, fromRequest, buildUserWrite},
		{"suspicious_request", "authentik.providers.oauth2.views.token", 5, fromRequest, buildSuspicious},
		{"password_set", signals, 10, fromRequest, buildPasswordSet},
		{"secret_view", "authentik.core.api.tokens", 8, fromRequest, buildSecretView},
		{"secret_rotate", "authentik.core.models", 6, fromTask, buildSecretRotate},
		{"invitation_used", "authentik.stages.invitation.stage", 4, fromRequest, buildInvitationUsed},
		{"authorize_application", "authentik.providers.oauth2.views.authorize", 150, fromRequest, buildAuthorize},
		{"source_linked", "authentik.sources.oauth.views.callback", 4, fromRequest, buildSourceLinked},
		{"impersonation_started", "authentik.core.api.users", 3, fromRequest, buildImpersonationStarted},
		{"impersonation_ended", "authentik.core.api.users", 3, fromRequest, buildImpersonationEnded},
		{"flow_execution", "authentik.flows.views.executor", 20, fromRequest, buildFlowExecution},
		{"policy_execution", "authentik.policies.process", 40, fromUserTask, buildPolicyExecution},
		{"policy_exception", "authentik.policies.process", 4, fromUserTask, buildPolicyException},
		{"property_mapping_exception", "authentik.core.expression.evaluator", 3, fromUserTask, buildMappingException},
		{"system_task_execution", "authentik.events.system_tasks", 30, fromTask, buildTaskExecution},
		{"system_task_exception", "authentik.events.system_tasks", 4, fromTask, buildTaskException},
		{"system_exception", "authentik.lib.sentry", 3, fromTask, buildSystemException},
		{"configuration_error", "authentik.providers.oauth2.views.authorize", 4, fromRequest, buildConfigurationError},
		{"model_created", "authentik.events.middleware", 20, fromRequest, buildModelCreated},
		{"model_updated", "authentik.events.middleware", 40, fromRequest, buildModelUpdated},
		{"model_deleted", "authentik.events.middleware", 8, fromRequest, buildModelDeleted},
		{"email_sent", "authentik.stages.email.tasks", 10, fromTask, buildEmailSent},
		{"update_available", "authentik.admin.tasks", 2, fromTask, buildUpdateAvailable},
		{"custom_static_authenticator_disable", "authentik.stages.authenticator_static.signals", 2, fromUserTask,
			customMessage("User disabled Static OTP Tokens.")},
		{"custom_password_expired", "authentik.policies.expiry.policy", 2, fromUserTask,
			customMessage("Password expired.")},
		{"custom_vpn_denied", "authentik.policies.expression.evaluator", 2, fromUserTask,
			customMessage("VPN access denied outside office hours.")},
	}
}

var loginNexts = []string{"/", "/if/admin/#/administration/overview", "/if/user/#/library",
	"/application/o/authorize/?client_id=grafana&response_type=code"}

func buildLogin(b *ctxBuilder) obj {
	method, args := "password", obj{}
	path, verb := executorPath(flowAuthentication), "GET"
	reqArgs := obj{{"next", pick(&b.r, loginNexts)}}
	switch x := b.r.intn(100); {
	case x < 25:
		args = obj{{"mfa_devices", []obj{modelRef(mtTOTPDevice, b.r.between(1, 400), "TOTP Device")}}}
	case x < 33:
		method, args = "auth_webauthn_pwl", obj{{"device", modelRef(mtWebAuthn, b.r.between(1, 400), "YubiKey 5 NFC")}}
	case x < 40:
		method = "app_password"
		args = obj{{"token", modelRef(mtToken, b.r.hex(32), "app-password-"+b.actorOrAdmin().username)}}
		path, verb, reqArgs = "/application/o/token/", "POST", obj{}
	case x < 48:
		method = "ldap"
	case x < 52:
		method, path, verb, reqArgs = "jwt", "/application/o/token/", "POST", obj{}
		args = obj{{"jwt", obj{{"iss", "https://ci.example.com"}, {"sub", "repo:infra/deploy"}, {"aud", "authentik"}}},
			{"provider", b.providerRef(b.r.intn(len(applications)))}}
	}
	if verb == "POST" {
		return obj{{"auth_method", method}, {"auth_method_args", args}, {"http_request", b.apiHTTP(verb, path, reqArgs)}}
	}
	return obj{{"auth_method", method}, {"auth_method_args", args}, {"http_request", b.http(verb, path, reqArgs)}}
}

var guessedUsernames = []string{"admin", "root", "administrator", "test", "guest", "user", "akadmin"}

func buildLoginFailed(b *ctxBuilder) obj {
	stage := modelRef(mtPasswdStage, b.r.hex(32), "default-authentication-password")
	if b.r.chance(0.3) {
		stage = modelRef(mtIdentStage, b.r.hex(32), "default-authentication-identification")
	}
	attempted := pick(&b.r, guessedUsernames)
	if b.h.actor != nil {
		attempted = b.h.actor.username
	}
	passwords := []string{"hunter2", "Winter2025!", "password123", "correct horse battery staple"}
	return obj{{"stage", stage}, {"password", pick(&b.r, passwords)}, {"username", attempted},
		{"http_request", b.http("POST", executorPath(flowAuthentication), obj{{"next", "/"}})}}
}

func buildLogout(b *ctxBuilder) obj {
	return obj{{"http_request", b.http("GET", executorPath(flowInvalidation), obj{})}}
}

func buildUserWrite(b *ctxBuilder) obj {
	u := b.actorOrAdmin()
	if b.h.target != nil {
		u = b.h.target
	}
	created := b.r.chance(0.2)
	f := flowUserSettings
	if created {
		f = flowEnrollment
	}
	return obj{{"name", u.name}, {"email", u.email}, {"created", created}, {"username", u.username},
		{"attributes", obj{{"settings", obj{{"locale", pick(&b.r, []string{"", "de", "en"})}}}}},
		{"http_request", b.http("GET", executorPath(f), obj{})}}
}

func buildSuspicious(b *ctxBuilder) obj {
	msgs := []string{"Refresh token revoked", "Authorization code re-used", "Provided token is expired or revoked"}
	return obj{{"message", pick(&b.r, msgs)}, {"provider", b.providerRef(b.r.intn(len(applications)))},
		{"http_request", b.apiHTTP("POST", "/application/o/token/", obj{})}}
}

func buildPasswordSet(b *ctxBuilder) obj {
	if b.h.ip.String() == "255.255.255.255" {
		return obj{}
	}
	return obj{{"http_request", b.http("POST", executorPath(flowRecovery), obj{})}}
}

func buildSecretView(b *ctxBuilder) obj {
	if b.r.chance(0.6) {
		ident := pick(&b.r, serviceWords) + "-token"
		return obj{{"secret", modelRef(mtToken, b.r.hex(32), ident)},
			{"http_request", b.http("GET", "/api/v3/core/tokens/"+ident+"/view_key/", obj{})}}
	}
	u := b.r.uuid4()
	return obj{{"secret", modelRef(mtCertificate, hexUUID(u), "authentik Self-signed Certificate")},
		{"http_request", b.http("GET", "/api/v3/crypto/certificatekeypairs/"+formatUUID(u)+"/view_private_key/",
			obj{{"download", ""}})}}
}

func buildSecretRotate(b *ctxBuilder) obj {
	ident := pick(&b.r, []string{"authentik_default", "ak-outpost-ldap-api", "ak-outpost-proxy-api"})
	exp := time.UnixMicro(b.rec.created).UTC().Add(10 * time.Minute).Format("2006-01-02 15:04:05.000000+00:00")
	return obj{{"token", modelRef(mtToken, b.r.hex(32), ident+" (expires="+exp+")")},
		{"message", "Token " + ident + "'s secret was rotated."}}
}

func buildInvitationUsed(b *ctxBuilder) obj {
	u := b.r.uuid4()
	return obj{{"invitation_uuid", hexUUID(u)}, {"invitation_name", fmt.Sprintf("onboarding-%d", b.r.between(1, 90))},
		{"http_request", b.http("GET", executorPath(flowEnrollment), obj{{"itoken", formatUUID(u)}})}}
}

func buildAuthorize(b *ctxBuilder) obj {
	i, app := b.app()
	f := flowExplicit
	if b.r.chance(0.4) {
		f = flowImplicit
	}
	args := obj{{"scope", "openid profile email"}, {"state", "auth." + b.r.hex(8)}, {"client_id", b.g.clientID[i]},
		{"redirect_uri", app.redirect}, {"response_type", "code"}}
	return obj{{"flow", b.g.flowPKs[f.slug]}, {"scopes", pick(&b.r, []string{"openid profile email", "profile email openid",
		"ak_proxy profile openid email", "openid email offline_access"})},
		{"http_request", b.http("GET", executorPath(f), args)}, {"authorized_application", b.appRef(i)}}
}

func buildSourceLinked(b *ctxBuilder) obj {
	name := pick(&b.r, oauthSources)
	slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	return obj{{"source", modelRef(mtOAuthSource, b.r.hex(32), name)},
		{"http_request", b.http("GET", "/source/oauth/callback/"+slug+"/", obj{})}}
}

func buildImpersonationStarted(b *ctxBuilder) obj {
	path := "/api/v3/core/users/" + strconv.Itoa(b.h.target.pk) + "/impersonate/"
	ctx := obj{{"http_request", b.http("POST", path, obj{})}}
	if b.r.chance(0.7) {
		ctx = append(ctx, kv{"reason", pick(&b.r, []string{"Support ticket #4711", "Debugging MFA enrolment", "Verifying group access"})})
	}
	return ctx
}

func buildImpersonationEnded(b *ctxBuilder) obj {
	return obj{{"http_request", b.http("GET", "/api/v3/core/users/impersonate_end/", obj{})}}
}

// buildFlowExecution gives context.flow as the Flow model itself, the
// shape Event.new(flow=<Flow>) stores: sanitize_dict turns a model into
// model_to_dict's {app, model_name, pk, name} (authentik/events/utils.py),
// where authorize_application events carry only the pk string. Whether
// current authentik still creates flow_execution events is unsettled (the
// action is in authentik/events/models.py; authentik/flows/views/executor.py
// creates only system_exception events); the object form is kept so that
// consumers are tested against it.
func buildFlowExecution(b *ctxBuilder) obj {
	f := pick(&b.r, allFlows)
	return obj{{"flow", b.flowRef(f)}, {"designation", f.designation}, {"successful", b.r.chance(0.85)},
		{"http_request", b.http("GET", executorPath(f), obj{})}}
}

func (b *ctxBuilder) policyRequest() (obj, obj) {
	i, app := b.app()
	policy := pick(&b.r, expressionPolicies)
	binding := modelRef(mtBinding, b.r.hex(32), "Binding from Application "+app.name+" #0 to Policy "+policy)
	request := obj{{"obj", b.appRef(i)}, {"user", b.actorOrAdmin().snapshot()}, {"context", obj{}}, {"http_request", nil}}
	return binding, request
}

func buildPolicyExecution(b *ctxBuilder) obj {
	binding, request := b.policyRequest()
	passing := b.r.chance(0.8)
	messages := []string{}
	if !passing {
		messages = []string{"Access denied by policy."}
	}
	result := obj{{"passing", passing}, {"messages", messages}, {"raw_result", passing}, {"log_messages", []any{}},
		{"source_binding", nil}, {"source_results", []any{}}}
	return obj{{"result", result}, {"binding", binding}, {"message", "Policy Execution"}, {"request", request},
		{"policy_uuid", b.r.hex(32)}}
}

func (b *ctxBuilder) traceback(where, exc string) string {
	return "Traceback (most recent call last):\n" +
		"  File \"/ak-root/venv/lib/python3.12/site-packages/" + where + "\", line " + strconv.Itoa(b.r.between(20, 900)) +
		", in evaluate\n    return eval(code, self._globals)\n" + exc
}

func buildPolicyException(b *ctxBuilder) obj {
	binding, request := b.policyRequest()
	return obj{{"message", b.traceback("authentik/policies/expression/evaluator.py",
		"NameError: name 'reqest' is not defined")}, {"binding", binding}, {"request", request}}
}

func buildMappingException(b *ctxBuilder) obj {
	return obj{{"expression", "return {\"groups\": [g.name for g in user.ak_groups.all()], \"nick\": user.nickname}"},
		{"message", b.traceback("authentik/core/expression/evaluator.py", "AttributeError: 'User' object has no attribute 'nickname'")},
		{"mapping", modelRef(mtScopeMapping, b.r.hex(32), "authentik default OAuth Mapping: OpenID 'profile'")}}
}

func buildTaskExecution(b *ctxBuilder) obj {
	task := pick(&b.r, systemTasks)
	uid := ""
	if task == "ldap_sync" || task == "scim_sync" {
		uid = "corp-ldap"
	}
	return obj{{"name", task}, {"uid", uid}, {"status", "successful"},
		{"messages", []string{fmt.Sprintf("Task %s finished, %d objects processed.", task, b.r.between(0, 500))}}}
}

func buildTaskException(b *ctxBuilder) obj {
	task := pick(&b.r, systemTasks)
	return obj{{"message", "Task " + task + " encountered an error: " +
		b.traceback("celery/app/trace.py", "ConnectionError: Error 111 connecting to redis:6379. Connection refused.")}}
}

func buildSystemException(b *ctxBuilder) obj {
	return obj{{"message", b.traceback("django/db/backends/utils.py",
		"django.db.utils.OperationalError: canceling statement due to statement timeout")}}
}

func buildConfigurationError(b *ctxBuilder) obj {
	i, app := b.app()
	bad := "https://attacker.example/callback"
	args := obj{{"scope", "openid"}, {"client_id", b.g.clientID[i]}, {"redirect_uri", bad}, {"response_type", "code"}}
	return obj{{"message", "Invalid redirect URI used by provider"}, {"provider", b.providerRef(i)},
		{"redirect_uri", bad}, {"expected", []string{app.redirect}},
		{"http_request", b.http("GET", "/application/o/authorize/", args)}}
}

func buildEmailSent(b *ctxBuilder) obj {
	to := b.actorOrAdmin().email
	if to == "" {
		to = "root@localhost"
	}
	subject := pick(&b.r, []string{"authentik", "Password recovery", "Welcome to authentik", "Notification: login_failed"})
	return obj{{"message", "Email to " + to + " sent"}, {"subject", subject},
		{"body", "<!DOCTYPE html><html><body><p>" + subject + "</p></body></html>"},
		{"from_email", "authentik@example.com"}, {"to_email", []string{to}}}
}

func buildUpdateAvailable(b *ctxBuilder) obj {
	v := pick(&b.r, authentikVersions)
	parts := strings.Split(v, ".")
	return obj{{"message", "Changelog: https://docs.goauthentik.io/docs/releases/" + parts[0] + "." + parts[1] +
		"#fixed-in-" + strings.ReplaceAll(v, ".", "")}, {"new_version", v}}
}

func customMessage(msg string) func(*ctxBuilder) obj {
	return func(*ctxBuilder) obj { return obj{{"message", msg}} }
}
