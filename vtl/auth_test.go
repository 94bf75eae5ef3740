package vtl_test

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/vtl"
)

// TestAuthModesAnswerAndAllowTheirHeaders: each mode's refusals say what the caller must send,
// with API Gateway's statuses, and browsers may send the mode's headers.
func TestAuthModesAnswerAndAllowTheirHeaders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		auth   apispec.Auth
		want   map[string]string // response type -> status
		header string            // a header preflights must allow
	}{
		{apispec.AuthAPIKey, map[string]string{"INVALID_API_KEY": "403", "MISSING_AUTHENTICATION_TOKEN": "404"}, "X-Api-Key"},
		{apispec.AuthIAM, map[string]string{"MISSING_AUTHENTICATION_TOKEN": "403", "INVALID_SIGNATURE": "403", "ACCESS_DENIED": "403"}, "X-Amz-Date"},
		{apispec.AuthJWT, map[string]string{"UNAUTHORIZED": "401", "ACCESS_DENIED": "403", "MISSING_AUTHENTICATION_TOKEN": "404"}, "Authorization"},
	}
	for _, c := range cases {
		responses := vtl.CORS{}.GatewayResponsesFor(c.auth)
		for typ, status := range c.want {
			if got := responses[typ].Status; got != status {
				t.Errorf("%s: %s answers %q, want %s", c.auth, typ, got, status)
			}
		}
		if c.auth == apispec.AuthIAM && !strings.Contains(responses["MISSING_AUTHENTICATION_TOKEN"].Template, "SigV4") {
			t.Errorf("iam: an unsigned request is not told to sign: %s", responses["MISSING_AUTHENTICATION_TOKEN"].Template)
		}
		allowed := vtl.PreflightHeaders(c.auth)["method.response.header.Access-Control-Allow-Headers"]
		if !strings.Contains(allowed, c.header) {
			t.Errorf("%s: preflight allows %s, not %s", c.auth, allowed, c.header)
		}
	}
}
