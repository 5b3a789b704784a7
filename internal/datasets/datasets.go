// Package datasets names the kinds of record the authentik input collects —
// events, users and groups — and their qualified names, which their
// documents carry as event.dataset and data_stream.dataset and which name
// their Elasticsearch data streams (logs-authentik.event-<namespace>).
//
// The names are authentik's (what Elastic's authentik integration calls
// its datasets). The core carries them on events as a neutral
// agent.Dataset label; the input that gives them, the mapping and the
// outputs that name things after them, and the CLI import this leaf, so
// that no plugin imports another. It imports nothing but the core.
package datasets

import "akship/agent"

// The datasets the authentik input produces: the label it puts on each
// event (agent.Event.Dataset), which selects the event's mapping program
// and its destination.
const (
	Event agent.Dataset = "event"
	User  agent.Dataset = "user"
	Group agent.Dataset = "group"
)

// All lists every dataset in a stable order.
var All = []agent.Dataset{Event, User, Group}

// Valid reports whether d is one of the datasets.
func Valid(d agent.Dataset) bool {
	switch d {
	case Event, User, Group:
		return true
	}
	return false
}

// Qualified is the dataset's name outside akship, e.g. "authentik.event":
// the value of event.dataset and data_stream.dataset in its documents.
func Qualified(d agent.Dataset) string { return "authentik." + string(d) }
