// Package apispec is the ingest API's contract in plain values, written once and shared by
// the stack that deploys it (components, vtl), its simulator (internal/apisim) and its
// clients (producer, cmd/streamlake): how a producer authenticates, and how large a request
// may be.
package apispec

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// Auth is how producers authenticate to the ingest API (config key apiAuth).
type Auth string

const (
	// AuthAPIKey is an x-api-key header, throttled and metered per key by the usage plan. A key
	// identifies a client; it does not authorize one (anyone who has it can send).
	AuthAPIKey Auth = "apiKey"
	// AuthIAM is requests signed with SigV4 (service execute-api) by an IAM principal allowed
	// execute-api:Invoke on the two routes. For backend services.
	AuthIAM Auth = "iam"
	// AuthJWT is a token of an Amazon Cognito user pool in the Authorization header, checked by
	// a COGNITO_USER_POOLS authorizer. For browser and mobile players whose users sign in.
	AuthJWT Auth = "jwt"
)

// AuthModes are the modes, in the order the docs list them.
var AuthModes = []Auth{AuthAPIKey, AuthIAM, AuthJWT}

// ParseAuth reads a mode by its config name.
func ParseAuth(s string) (Auth, error) {
	if a := Auth(s); slices.Contains(AuthModes, a) {
		return a, nil
	}
	return "", fmt.Errorf("auth mode must be one of %s, got %q", joinModes(), s)
}

func joinModes() string {
	words := make([]string, len(AuthModes))
	for i, a := range AuthModes {
		words[i] = string(a)
	}
	return strings.Join(words, ", ")
}

// UsesAPIKey reports whether requests carry an API key (and so a usage plan meters them).
func (a Auth) UsesAPIKey() bool { return a == AuthAPIKey }

// The API's routes under its stage URL.
const (
	EventsPath = "/v1/events"
	BatchPath  = "/v1/events/batch"
)

// Headers of the modes.
const (
	// APIKeyHeader carries the API key (apiKey).
	APIKeyHeader = "x-api-key"
	// AuthorizationHeader carries the SigV4 signature (iam) or the user pool token (jwt).
	AuthorizationHeader = "Authorization"
)

// ExecuteAPIService is the SigV4 signing name of API Gateway's invoke endpoint.
const ExecuteAPIService = "execute-api"

// RequestHeaders are the headers a browser may send with each mode, for CORS preflights.
func (a Auth) RequestHeaders() []string {
	switch a {
	case AuthIAM:
		return []string{"Content-Type", AuthorizationHeader, "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}
	case AuthJWT:
		return []string{"Content-Type", AuthorizationHeader}
	}
	return []string{"Content-Type", "X-Api-Key"}
}

// Request limits. API Gateway refuses bodies over 10 MB itself (413); below that, the routes'
// request templates refuse a body longer than its route's limit before any event is put to
// the stream, the batch model refuses more than MaxBatchRecords events, and the WAF (when on)
// refuses a declared Content-Length over the limit before API Gateway runs at all.
const (
	// MaxEventBytes bounds POST /v1/events: one Kinesis record (PutRecord's data limit).
	MaxEventBytes = awsrules.MaxRecordBytes
	// MaxBatchBytes bounds POST /v1/events/batch: one PutRecords request.
	MaxBatchBytes = awsrules.MaxPutRecordsBytes
	// MaxBatchRecords bounds the events of one batch (the batch model's maxItems).
	MaxBatchRecords = schema.MaxBatchRecords
	// GatewayMaxBodyBytes is API Gateway's own payload limit (10 MB): it answers 413 above.
	GatewayMaxBodyBytes = 10 << 20
)

// BodyLength is a body's length as the request templates measure it: $input.body.length(),
// a Java String's length in UTF-16 code units. It equals the byte count for ASCII and is
// smaller for other text, so a body within the limit can still exceed Kinesis's byte limits
// by its non-ASCII characters: Kinesis then refuses the whole request (400, nothing stored).
func BodyLength(body []byte) int {
	n := 0
	for _, r := range string(body) {
		n += utf16.RuneLen(r)
	}
	return n
}

// BatchEnvelope is the bytes a batch body adds around its events: {"records":[ and ]}.
const BatchEnvelope = len(`{"records":[]}`)
