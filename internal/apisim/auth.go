package apisim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/producer"
)

// refusal is a gateway response that refuses a caller: its type and $context.error.message.
type refusal struct {
	typ, message string
}

// authenticate checks a request's credentials as the stage's auth mode does; nil lets it in.
func (h *Handler) authenticate(r *http.Request, body []byte) *refusal {
	switch h.o.Auth {
	case apispec.AuthIAM:
		return h.checkSigV4(r, body)
	case apispec.AuthJWT:
		return h.checkToken(r.Header.Get(apispec.AuthorizationHeader))
	}
	if r.Header.Get(producer.APIKeyHeader) != h.o.APIKey {
		return &refusal{typ: "INVALID_API_KEY", message: "Forbidden"}
	}
	return nil
}

// Messages API Gateway gives for refused signatures ($context.error.message).
const (
	msgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnknownKey   = "The security token included in the request is invalid."
)

// sigV4Skew is how far a request's X-Amz-Date may be from the clock (SigV4's 15 minutes).
const sigV4Skew = 15 * time.Minute

// sigV4Header is an Authorization header's parts.
type sigV4Header struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

func parseSigV4(v string) (sigV4Header, bool) {
	rest, ok := strings.CutPrefix(v, "AWS4-HMAC-SHA256 ")
	if !ok {
		return sigV4Header{}, false
	}
	var h sigV4Header
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(val, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return sigV4Header{}, false
			}
			h.keyID, h.date, h.region, h.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			h.signedHeaders = strings.Split(val, ";")
		case "Signature":
			h.signature = val
		}
	}
	return h, h.keyID != "" && h.signature != "" && len(h.signedHeaders) > 0
}

// checkSigV4 verifies a SigV4 signature the way AWS does: it signs the request again with the
// secret of the access key it names (Options.Credentials) and compares the two signatures.
// aws-sdk-go-v2 has no verifier; its signer, given the same headers, time and payload hash,
// computes the signature a correct client computed.
func (h *Handler) checkSigV4(r *http.Request, body []byte) *refusal {
	auth := r.Header.Get(apispec.AuthorizationHeader)
	if auth == "" {
		return &refusal{typ: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token"}
	}
	sig, ok := parseSigV4(auth)
	if !ok {
		return &refusal{typ: "INVALID_SIGNATURE", message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	}
	creds, known := h.o.Credentials[sig.keyID]
	if !known || r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		// Temporary credentials are valid only with their session token.
		return &refusal{typ: "UNAUTHORIZED", message: msgUnknownKey}
	}
	if sig.service != apispec.ExecuteAPIService || sig.region != h.o.Region {
		return &refusal{typ: "INVALID_SIGNATURE", message: fmt.Sprintf("Credential should be scoped to a valid region and service %s, not '%s/%s'.", apispec.ExecuteAPIService, sig.region, sig.service)}
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || at.Format("20060102") != sig.date {
		return &refusal{typ: "INVALID_SIGNATURE", message: "X-Amz-Date is missing or does not match the credential scope's date."}
	}
	if d := h.o.Now().Sub(at); d > sigV4Skew || d < -sigV4Skew {
		return &refusal{typ: "INVALID_SIGNATURE", message: "Signature expired: " + r.Header.Get("X-Amz-Date") + " is more than 15 minutes from the server's time."}
	}
	if want, err := resign(r, sig, creds, body, at); err != nil || want != sig.signature {
		return &refusal{typ: "INVALID_SIGNATURE", message: msgBadSignature}
	}
	return nil
}

// resign signs a copy of r that carries only the headers the client signed, and returns the
// signature.
func resign(r *http.Request, sig sigV4Header, creds aws.Credentials, body []byte, at time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	c, err := http.NewRequestWithContext(context.Background(), r.Method, u.String(), nil)
	if err != nil {
		return "", err
	}
	c.Host = r.Host
	for _, name := range sig.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, c, producer.PayloadHash(body), sig.service, sig.region, at); err != nil {
		return "", err
	}
	got, ok := parseSigV4(c.Header.Get(apispec.AuthorizationHeader))
	if !ok || !slices.Equal(got.signedHeaders, sig.signedHeaders) {
		return "", fmt.Errorf("signed headers differ: %v, %v", got.signedHeaders, sig.signedHeaders)
	}
	return got.signature, nil
}

// checkToken admits a user pool token as a COGNITO_USER_POOLS authorizer does, except that
// the signature is not checked (there is no user pool's key set here): the Authorization
// header holds a JWT (the token itself, no scheme) of one of the user pools (iss), not
// expired, an ID token, or with Options.Scopes an access token carrying one of them.
func (h *Handler) checkToken(v string) *refusal {
	unauthorized := &refusal{typ: "UNAUTHORIZED", message: "Unauthorized"}
	claims, ok := jwtClaims(v)
	if !ok || !slices.Contains(h.issuers, claims.Issuer) || claims.Expires == 0 || h.o.Now().Unix() >= claims.Expires {
		return unauthorized
	}
	if len(h.o.Scopes) == 0 {
		if claims.Use != "id" {
			return unauthorized
		}
		return nil
	}
	if claims.Use != "access" {
		return unauthorized
	}
	for _, s := range strings.Fields(claims.Scope) {
		if slices.Contains(h.o.Scopes, s) {
			return nil
		}
	}
	return &refusal{typ: "ACCESS_DENIED", message: "Unauthorized"}
}

// tokenClaims are the claims checkToken reads.
type tokenClaims struct {
	Issuer  string `json:"iss"`
	Expires int64  `json:"exp"`
	Use     string `json:"token_use"`
	Scope   string `json:"scope"`
}

// jwtClaims decodes a compact JWS: a JSON header with alg and kid, JSON claims, a signature.
func jwtClaims(token string) (tokenClaims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[2] == "" {
		return tokenClaims{}, false
	}
	var header struct{ Alg, Kid string }
	var claims tokenClaims
	for i, v := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, v) != nil {
			return tokenClaims{}, false
		}
	}
	return claims, header.Alg != "" && header.Kid != ""
}

// issuersOf are the iss claims of the user pools' tokens.
func issuersOf(arns []string) ([]string, error) {
	var out []string
	for _, a := range arns {
		iss, err := awsrules.UserPoolIssuer(a)
		if err != nil {
			return nil, err
		}
		out = append(out, iss)
	}
	return out, nil
}
