package cli

import (
	"fmt"
	"strings"

	"akship/inputs/authentik"
)

// minTokenLength is the shortest authentik token akship accepts: the length
// of the keys authentik generates for API tokens. authentik's Token model
// takes its key from default_token_key(), which is generate_id() of the
// tenant's default_token_length, 60 by default (authentik/core/models.py,
// authentik/tenants/models.py; OAuth2 access tokens, also accepted, are
// longer). A shorter value is almost always a placeholder ("example",
// "changeme"), and it could not be told from ordinary text when errors and
// traces are redacted: a token "example" would turn authentik.example.com
// into authentik.[redacted].com.
const minTokenLength = 60

// checkToken rejects an authentik token that cannot be authentik's: one
// that starts with the "Bearer " scheme (akship sends the scheme itself) or
// one shorter than minTokenLength. The error names the key the token came
// from (token or token_file) and never quotes the token.
func checkToken(cfg authentik.ClientConfig, token string) error {
	key := "authentik.token"
	if cfg.TokenFile != "" {
		key = "authentik.token_file"
	}
	v := token
	if len(v) >= 7 && strings.EqualFold(v[:7], "bearer ") {
		return fmt.Errorf("%s: the token starts with \"Bearer \": give the token alone, akship sends "+
			"\"Authorization: Bearer <token>\" itself", key)
	}
	if len(v) < minTokenLength {
		return fmt.Errorf("%s: the token is %d characters long, shorter than authentik's API tokens "+
			"(%d characters): is it a placeholder? Copy the key of an API token from authentik "+
			"(Directory → Tokens and App passwords → Copy token)", key, len(v), minTokenLength)
	}
	return nil
}
