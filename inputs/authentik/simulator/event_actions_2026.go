package simulator

// Actions authentik added in 2026 (shared/spec/authentik-api.md §14, from
// authentik/events/migrations/0020_alter_event_action.py). Their contexts
// follow Event.new's sanitize_item rules (model instances become
// {pk, app, name, model_name}); their exact keys are not documented
// upstream, so they are kept to a message and the object concerned.

var (
	mtReview        = modelType{"authentik_enterprise_reviews", "review"}
	mtDataExport    = modelType{"authentik_enterprise_reports", "dataexport"}
	mtAccessRequest = modelType{"authentik_enterprise_access_requests", "accessrequest"}
)

// actions2026x2 are the actions 2026.2 adds: access reviews, data exports
// and configuration warnings.
func actions2026x2() []*actionKind {
	const reviews = "authentik.enterprise.reviews.tasks"
	return []*actionKind{
		{"configuration_warning", "authentik.admin.tasks", 2, fromTask,
			customMessage("The configured certificate expires in less than 30 days.")},
		{"export_ready", "authentik.enterprise.reports.tasks", 1, fromTask, buildExportReady},
		{"review_initiated", reviews, 1, fromTask, reviewContext("Access review started.")},
		{"review_overdue", reviews, 1, fromTask, reviewContext("Access review is overdue.")},
		{"review_attested", "authentik.enterprise.reviews.api", 1, fromRequest, reviewContext("Access attested.")},
		{"review_completed", reviews, 1, fromTask, reviewContext("Access review completed.")},
	}
}

// actions2026x8 are the access-request actions 2026.8 adds.
func actions2026x8() []*actionKind {
	const api = "authentik.enterprise.access_requests.api"
	return []*actionKind{
		{"access_request_created", api, 2, fromRequest, accessRequestContext("created")},
		{"access_request_approved", api, 1, fromRequest, accessRequestContext("approved")},
		{"access_request_denied", api, 1, fromRequest, accessRequestContext("denied")},
		{"access_request_revoked", api, 1, fromRequest, accessRequestContext("revoked")},
	}
}

func buildExportReady(b *ctxBuilder) obj {
	return obj{{"message", "Data export is ready for download."},
		{"export", modelRef(mtDataExport, b.r.hex(32), "Events export")}}
}

func reviewContext(msg string) func(*ctxBuilder) obj {
	return func(b *ctxBuilder) obj {
		i, _ := b.app()
		return obj{{"message", msg}, {"review", modelRef(mtReview, b.r.hex(32), "Quarterly access review")},
			{"application", b.appRef(i)}}
	}
}

func accessRequestContext(state string) func(*ctxBuilder) obj {
	return func(b *ctxBuilder) obj {
		i, _ := b.app()
		u := b.actorOrAdmin()
		return obj{{"message", "Access request " + state + "."},
			{"access_request", modelRef(mtAccessRequest, b.r.hex(32), "Access to "+applications[i].name)},
			{"application", b.appRef(i)}, {"username", u.username}}
	}
}
