package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/internal/testenv"
)

const testPool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"

// standinCredentials are the ones fakeAWS puts in the environment (the default chain).
var standinCredentials = map[string]aws.Credentials{"AKIDSTANDIN": {AccessKeyID: "AKIDSTANDIN", SecretAccessKey: "standin-secret"}}

// userPoolToken is an unexpired ID token of testPool (apisim checks claims, not signatures).
func userPoolToken() string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "kid": "k"}) + "." +
		enc(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI", "token_use": "id", "exp": time.Now().Add(time.Hour).Unix()}) + ".c2ln"
}

// `streamlake send` in each auth mode against the API contract: SigV4 with the default
// credential chain, a user pool token from $STREAMLAKE_TOKEN (never printed), usage errors for
// credentials of another mode.
func TestSendInEveryAuthMode(t *testing.T) {
	fakeAWS(t)
	iam := testenv.NewAPIWith(t, apisim.Options{Auth: apispec.AuthIAM, Region: "eu-west-1", Credentials: standinCredentials}, testenv.APIFaults{}, 1)
	jwt := testenv.NewAPIWith(t, apisim.Options{Auth: apispec.AuthJWT, UserPoolArns: []string{testPool}}, testenv.APIFaults{}, 1)
	token := userPoolToken()
	cases := []struct {
		name string
		api  *testenv.API
		env  map[string]string
		args []string
		code int
		want string // in stdout (ok) or stderr
	}{
		{"iam", iam, nil, []string{"--auth", "iam", "--region", "eu-west-1", "--batch"}, exitOK, "(SigV4, eu-west-1)"},
		{"iam, single route", iam, nil, []string{"--auth", "iam", "--region", "eu-west-1"}, exitOK, "(SigV4, eu-west-1)"},
		{"iam signed for another region", iam, nil, []string{"--auth", "iam", "--region", "us-east-1"}, exitFail, "signature refused"},
		{"jwt", jwt, map[string]string{"STREAMLAKE_TOKEN": token}, []string{"--auth", "jwt", "--batch"}, exitOK, "(user pool token)"},
		{"jwt, token flag", jwt, nil, []string{"--auth", "jwt", "--token", token}, exitOK, "(user pool token)"},
		{"jwt, bad token", jwt, map[string]string{"STREAMLAKE_TOKEN": "not.a.token"}, []string{"--auth", "jwt"}, exitFail, "token refused"},
		{"jwt without a token", jwt, nil, []string{"--auth", "jwt"}, exitUsage, "needs a user pool token: set $STREAMLAKE_TOKEN"},
		{"a key with iam", iam, nil, []string{"--auth", "iam", "--api-key", "k"}, exitUsage, "--api-key is for --auth apiKey, not iam"},
		{"a token with an API key", iam, nil, []string{"--token", token}, exitUsage, "--token is for --auth jwt, not apiKey"},
		{"unknown mode", iam, nil, []string{"--auth", "basic"}, exitUsage, `auth mode must be one of apiKey, iam, jwt, got "basic"`},
	}
	for _, c := range cases {
		args := append([]string{"send", "--api-url", c.api.URL, "--count", "7"}, c.args...)
		r := cli{t: t, env: c.env}.run(args...)
		out := r.stdout
		if c.code != exitOK {
			out = r.stderr
		}
		if r.code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d (want %d)\nstdout %s\nstderr %s\nwant %q", c.name, r.code, c.code, r.stdout, r.stderr, c.want)
		}
		if strings.Contains(r.stdout+r.stderr, token) {
			t.Errorf("%s: the token was printed", c.name)
		}
	}
	for name, api := range map[string]*testenv.API{"iam": iam, "jwt": jwt} {
		if n := len(api.Stored()); n != 14 {
			t.Errorf("%s: %d events stored, want 7 per successful run", name, n)
		}
	}
}

// `streamlake verify` sends its tagged batch with the stack's auth mode (here read from the
// stack outputs: iam), then finds it in Athena.
func TestVerifyWithSigV4(t *testing.T) {
	endpoint := motoLake(t)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	api := testenv.NewAPIWith(t, apisim.Options{Auth: apispec.AuthIAM, Region: testenv.Region, Credentials: standinCredentials}, testenv.APIFaults{}, 1)
	seedAthena(t, endpoint, nil, rowsFor("viam1", []int{1, 2, 3}, now, time.Second))
	outputs, _ := json.Marshal(map[string]string{outRegion: testenv.Region, outEventsURL: api.URL + "/v1/events", outBatchURL: api.URL + "/v1/events/batch",
		outAPIAuth: string(apispec.AuthIAM), outBucket: "lake", outDatabase: "streamlake_dev", outTable: "events", outWorkgroup: "wg"})
	pulumi := func(context.Context, ...string) ([]byte, error) { return outputs, nil }
	r := cli{t: t, now: func() time.Time { return now }, pulumi: pulumi}.run("verify", "--run-id", "viam1", "--count", "3", "--poll", "50ms",
		"--timeout", "30s", "--endpoint-url", endpoint, "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep verifyOutput
	decodeJSON(t, r.stdout, &rep)
	if !rep.OK || rep.Found != 3 || !strings.Contains(rep.Target, "SigV4") {
		t.Errorf("report %+v", rep.verifyReport)
	}
	if n := len(api.Stored()); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}
}
