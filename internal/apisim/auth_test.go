package apisim_test

// The auth modes: SigV4 signatures are verified by signing the request again with the known
// credentials; user pool tokens by issuer, use, expiry and scope. Every refusal is the
// mode's gateway response, as the deployed API words it.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

var (
	now    = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	signer = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
)

const (
	pool      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"
	poolIss   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"
	otherIss  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_ZyXwVuTsR"
	eventPath = "/api/v1/events"
)

func authHandler(t *testing.T, o apisim.Options) (*apisim.Handler, *scripted) {
	t.Helper()
	sink := &scripted{}
	o.Stage, o.Sink, o.RequestID, o.Now = "api", sink, func() string { return requestID }, func() time.Time { return now }
	h, err := apisim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h, sink
}

// signed is a request signed by the producer's SigV4Auth; edit changes it after signing.
func signed(t *testing.T, creds aws.Credentials, region string, at time.Time, body string, edit func(*http.Request)) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://abc123.execute-api.eu-west-1.amazonaws.com"+eventPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	a := producer.SigV4Auth{Credentials: credentials.StaticCredentialsProvider{Value: creds}, Region: region, Now: func() time.Time { return at }}
	if err := a.Authenticate(context.Background(), req, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	return req
}

func serveRequest(h http.Handler, req *http.Request) answer {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return answer{w.Code, w.Header().Get("Retry-After"), w.Body.String()}
}

// wantRefusal checks an answer is the mode's gateway response of typ, with message.
func wantRefusal(t *testing.T, name string, auth apispec.Auth, a answer, typ, message string) {
	t.Helper()
	gr := vtl.CORS{}.GatewayResponsesFor(auth)[typ]
	if strconv.Itoa(a.status) != gr.Status {
		t.Errorf("%s: status %d, want %s (%s)", name, a.status, gr.Status, typ)
	}
	quoted, _ := json.Marshal(message)
	want := strings.NewReplacer("$context.requestId", requestID, "$context.error.messageString", string(quoted)).Replace(gr.Template)
	sameJSON(t, name, a.body, want)
}

func TestSigV4IsVerified(t *testing.T) {
	session := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "session-secret", SessionToken: "token-of-the-session"}
	h, sink := authHandler(t, apisim.Options{Auth: apispec.AuthIAM, Region: "eu-west-1",
		Credentials: map[string]aws.Credentials{signer.AccessKeyID: signer, session.AccessKeyID: session}})
	body := event(1, "u-1")
	for name, req := range map[string]*http.Request{
		"signed":               signed(t, signer, "eu-west-1", now, body, nil),
		"signed a minute late": signed(t, signer, "eu-west-1", now.Add(-time.Minute), body, nil),
		"session credentials":  signed(t, session, "eu-west-1", now, body, nil),
		"an unsigned header":   signed(t, signer, "eu-west-1", now, body, func(r *http.Request) { r.Header.Set("X-Trace", "added by a proxy") }),
	} {
		if a := serveRequest(h, req); a.status != http.StatusOK {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	if len(sink.got) != 4 {
		t.Errorf("%d records stored, want 4", len(sink.got))
	}
	wrong := signer
	wrong.SecretAccessKey = "not-the-secret"
	unknown := signer
	unknown.AccessKeyID = "AKIDUNKNOWN"
	const badSig = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	for _, c := range []struct {
		name, typ, message string
		req                *http.Request
	}{
		{"unsigned", "MISSING_AUTHENTICATION_TOKEN", "", httptest.NewRequest(http.MethodPost, eventPath, strings.NewReader(body))},
		{"wrong secret", "INVALID_SIGNATURE", badSig, signed(t, wrong, "eu-west-1", now, body, nil)},
		{"unknown access key", "UNAUTHORIZED", "The security token included in the request is invalid.", signed(t, unknown, "eu-west-1", now, body, nil)},
		{"body changed after signing", "INVALID_SIGNATURE", badSig, signed(t, signer, "eu-west-1", now, body, func(r *http.Request) {
			r.Body = http.NoBody
			r.ContentLength = int64(len(body))
		})},
		{"signed header changed", "INVALID_SIGNATURE", badSig, signed(t, signer, "eu-west-1", now, body, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") })},
		{"other region", "INVALID_SIGNATURE", "Credential should be scoped to a valid region and service execute-api, not 'us-east-1/execute-api'.", signed(t, signer, "us-east-1", now, body, nil)},
		{"signed 20 minutes ago", "INVALID_SIGNATURE", "Signature expired: " + now.Add(-20*time.Minute).Format("20060102T150405Z") + " is more than 15 minutes from the server's time.",
			signed(t, signer, "eu-west-1", now.Add(-20*time.Minute), body, nil)},
		{"session token dropped", "UNAUTHORIZED", "The security token included in the request is invalid.", signed(t, session, "eu-west-1", now, body, func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") })},
	} {
		a := serveRequest(h, c.req)
		wantRefusal(t, c.name, apispec.AuthIAM, a, c.typ, c.message)
	}
	if len(sink.got) != 4 {
		t.Errorf("refused requests reached the sink: %d records", len(sink.got))
	}
	if a := serveRequest(h, httptest.NewRequest(http.MethodPost, eventPath, strings.NewReader(body))); !strings.Contains(a.body, "SigV4") {
		t.Errorf("an unsigned request is not told to sign: %s", a.body)
	}
}

// token is a user pool JWT with the claims; the signature is not checked here (apisim has no
// user pool keys), only present.
func token(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "kid": "key-1"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

func TestUserPoolTokensAreChecked(t *testing.T) {
	exp := now.Add(time.Hour).Unix()
	id := token(map[string]any{"iss": poolIss, "token_use": "id", "exp": exp, "cognito:username": "u-1"})
	access := token(map[string]any{"iss": poolIss, "token_use": "access", "exp": exp, "scope": "openid events/write"})
	unscopedAccess := token(map[string]any{"iss": poolIss, "token_use": "access", "exp": exp, "scope": "openid"})
	for _, c := range []struct {
		name   string
		scopes []string
		header string
		typ    string // "" accepted
	}{
		{"ID token", nil, id, ""},
		{"no token", nil, "", "UNAUTHORIZED"},
		{"with a scheme", nil, "Bearer " + id, "UNAUTHORIZED"},
		{"expired", nil, token(map[string]any{"iss": poolIss, "token_use": "id", "exp": now.Add(-time.Second).Unix()}), "UNAUTHORIZED"},
		{"another pool", nil, token(map[string]any{"iss": otherIss, "token_use": "id", "exp": exp}), "UNAUTHORIZED"},
		{"not a JWT", nil, "opaque-token", "UNAUTHORIZED"},
		{"access token without scopes configured", nil, access, "UNAUTHORIZED"},
		{"access token with the scope", []string{"events/write"}, access, ""},
		{"access token without the scope", []string{"events/write"}, unscopedAccess, "ACCESS_DENIED"},
		{"ID token where scopes are required", []string{"events/write"}, id, "UNAUTHORIZED"},
	} {
		h, sink := authHandler(t, apisim.Options{Auth: apispec.AuthJWT, UserPoolArns: []string{pool}, Scopes: c.scopes})
		req := httptest.NewRequest(http.MethodPost, eventPath, strings.NewReader(event(1, "u-1")))
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		a := serveRequest(h, req)
		if c.typ == "" {
			if a.status != http.StatusOK || len(sink.got) != 1 {
				t.Errorf("%s: %d %s", c.name, a.status, a.body)
			}
			continue
		}
		wantRefusal(t, c.name, apispec.AuthJWT, a, c.typ, "Unauthorized")
		if len(sink.got) != 0 {
			t.Errorf("%s: stored", c.name)
		}
	}
}

func TestAuthOptionsAreChecked(t *testing.T) {
	for _, c := range []struct {
		o    apisim.Options
		want string
	}{
		{apisim.Options{Sink: &scripted{}, Auth: apispec.AuthIAM}, "Credentials and Region are required with iam"},
		{apisim.Options{Sink: &scripted{}, Auth: apispec.AuthJWT}, "UserPoolArns is required with jwt"},
		{apisim.Options{Sink: &scripted{}, Auth: apispec.AuthJWT, UserPoolArns: []string{"eu-west-1_AbC"}}, "is not a Cognito user pool ARN"},
		{apisim.Options{Sink: &scripted{}, Auth: "basic"}, `Options.Auth "basic"`},
	} {
		if _, err := apisim.New(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want %q", c.o, err, c.want)
		}
	}
}

// The producer's client in each mode, through the API stand-in: everything stored, and a
// refusal aborts with what the mode's credentials need.
func TestProducerAuthenticatesInEveryMode(t *testing.T) {
	provider := credentials.StaticCredentialsProvider{Value: signer}
	idToken := token(map[string]any{"iss": poolIss, "token_use": "id", "exp": time.Now().Add(time.Hour).Unix()})
	for _, c := range []struct {
		opts      apisim.Options
		good, bad producer.Auth
		refused   string
	}{
		{apisim.Options{APIKey: "k"}, producer.APIKeyAuth{Key: "k"}, producer.APIKeyAuth{Key: "x"}, "missing or invalid API key"},
		{apisim.Options{Auth: apispec.AuthIAM, Region: "eu-west-1", Credentials: map[string]aws.Credentials{signer.AccessKeyID: signer}},
			producer.SigV4Auth{Credentials: provider, Region: "eu-west-1"}, producer.SigV4Auth{Credentials: provider, Region: "us-east-1"}, "signature refused"},
		{apisim.Options{Auth: apispec.AuthJWT, UserPoolArns: []string{pool}}, producer.BearerAuth{Token: idToken}, producer.BearerAuth{Token: "x.y.z"}, "token refused"},
	} {
		api := testenv.NewAPIWith(t, c.opts, testenv.APIFaults{}, 1)
		events, batchURL := apispec.RoutesOf(schema.DefaultDataset).URLs(api.URL)
		for _, batch := range []bool{false, true} {
			p := &producer.APIPutter{EventsURL: events, BatchURL: batchURL, Auth: c.good, Batch: batch}
			recs := []producer.Record{{ID: "e-" + strconv.FormatBool(batch), PartitionKey: "u", Data: []byte(`{"event_id":"e-` + strconv.FormatBool(batch) + `","event_type":"t","user_id":"u","occurred_at":1714564799}`)}}
			if _, err := p.Put(context.Background(), recs); err != nil {
				t.Errorf("%s (batch %t): %v", c.opts.Auth, batch, err)
			}
			p.Auth = c.bad
			if _, err := p.Put(context.Background(), recs); err == nil || !strings.Contains(err.Error(), c.refused) {
				t.Errorf("%s (batch %t), bad credentials: %v, want %q", c.opts.Auth, batch, err, c.refused)
			}
		}
		if got := api.Stored(); len(got) != 2 {
			t.Errorf("%s: stored %v", c.opts.Auth, got)
		}
	}
}
