// Package apisim is the ingest API's contract as an http.Handler, for local runs and tests:
// POST /v1/events and POST /v1/events/batch under a stage prefix; the caller checked as the
// stack's apiAuth mode does (an x-api-key; a SigV4 signature, verified against known
// credentials; or a Cognito user pool token); bodies validated against the request models the
// stack gives API Gateway (schema.EventModel and BatchModel, for the stack's unknownFields
// setting) and refused over the routes' limits (apispec); and the status codes, headers and
// JSON bodies of the API's mapping templates (package vtl) for every answer Kinesis can give.
// Behind it a Sink stores the records: MemorySink (with fault injection) or KinesisSink (a
// Kinesis endpoint, e.g. a local kinesalite). The routes and the headers are the ones the
// producer's client uses (producer.EventsPath, BatchPath, APIKeyHeader, producer.Auth).
//
// Not simulated: CORS (OPTIONS and the Access-Control headers), the usage plan's throttling
// and quota, the WAF, IAM policy evaluation (a known signer may invoke), user pool token
// signatures (no key set: a token's issuer, use, expiry and scope are checked), and API
// Gateway's own 504 on an integration timeout.
package apisim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

// MaxBodyBytes is API Gateway's payload limit: larger requests are answered 413.
const MaxBodyBytes = apispec.GatewayMaxBodyBytes

// Options configure a Handler.
type Options struct {
	// Schema is the event schema; nil means schema.Default().
	Schema *schema.Schema
	// UnknownFields is the stack's unknownFields setting: keep (default) or reject.
	UnknownFields schema.UnknownFields
	// Stage is the stage name the routes live under ("api": POST /api/v1/events); empty
	// serves them at the root.
	Stage string
	// Routes are the dataset's routes (apispec.RoutesOf); zero means the default dataset's,
	// /v1/events and /v1/events/batch.
	Routes apispec.Routes
	// Auth is the stack's apiAuth mode; empty means apiKey.
	Auth apispec.Auth
	// APIKey is the key requests must carry in x-api-key (required with apiKey).
	APIKey string
	// Credentials are the AWS credentials whose SigV4 signatures the API accepts (iam), by
	// access key id, and Region the region requests must be signed for.
	Credentials map[string]aws.Credentials
	Region      string
	// UserPoolArns are the pools whose tokens the API accepts (jwt), and Scopes the stack's
	// apiJwtScopes.
	UserPoolArns []string
	Scopes       []string
	// Now is the clock signatures and tokens are checked against; nil means time.Now.
	Now func() time.Time
	// Sink stores accepted records (required).
	Sink Sink
	// RetryAfter is the Retry-After header of 429/500/503 answers; empty means "1", as the
	// deployed API sends. Tests use "0" to retry at once.
	RetryAfter string
	// RequestID makes each answer's request_id; nil means a random UUID.
	RequestID func() string
}

// Handler serves the ingest API.
type Handler struct {
	o       Options
	models  *Models
	prefix  string
	issuers []string // jwt: the pools' iss claims
}

// New checks o and compiles the request models.
func New(o Options) (*Handler, error) {
	if o.Sink == nil {
		return nil, errors.New("apisim: Options.Sink is required")
	}
	issuers, err := checkAuth(&o)
	if err != nil {
		return nil, err
	}
	if o.Schema == nil {
		o.Schema = schema.Default()
	}
	switch o.UnknownFields {
	case "":
		o.UnknownFields = schema.KeepUnknown
	case schema.KeepUnknown, schema.RejectUnknown:
	default:
		return nil, fmt.Errorf("apisim: Options.UnknownFields %q: use %q or %q", o.UnknownFields, schema.KeepUnknown, schema.RejectUnknown)
	}
	if o.RetryAfter == "" {
		o.RetryAfter = "1"
	}
	if o.Routes == (apispec.Routes{}) {
		o.Routes = apispec.RoutesOf(schema.DefaultDataset)
	}
	if o.RequestID == nil {
		o.RequestID = uuid.NewString // API Gateway's request ids are UUIDs
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	models, err := CompileModels(o.Schema, o.UnknownFields)
	if err != nil {
		return nil, fmt.Errorf("apisim: %w", err)
	}
	h := &Handler{o: o, models: models, issuers: issuers}
	if stage := strings.Trim(o.Stage, "/"); stage != "" {
		h.prefix = "/" + stage
	}
	return h, nil
}

// checkAuth checks the options of the auth mode and returns the user pools' issuers (jwt).
func checkAuth(o *Options) ([]string, error) {
	if o.Auth == "" {
		o.Auth = apispec.AuthAPIKey
	}
	switch o.Auth {
	case apispec.AuthAPIKey:
		if o.APIKey == "" {
			return nil, errors.New("apisim: Options.APIKey is required with apiKey (the deployed API then always requires a key)")
		}
	case apispec.AuthIAM:
		if len(o.Credentials) == 0 || o.Region == "" {
			return nil, errors.New("apisim: Options.Credentials and Region are required with iam")
		}
	case apispec.AuthJWT:
		if len(o.UserPoolArns) == 0 {
			return nil, errors.New("apisim: Options.UserPoolArns is required with jwt")
		}
		issuers, err := issuersOf(o.UserPoolArns)
		if err != nil {
			return nil, fmt.Errorf("apisim: %w", err)
		}
		return issuers, nil
	default:
		return nil, fmt.Errorf("apisim: Options.Auth %q: use %s", o.Auth, apispec.AuthModes)
	}
	return nil, nil
}

// ServeHTTP answers one request in API Gateway's order: route, the caller's credentials,
// content type, size, request model, the route's body limit, then the integration (the Sink)
// and its response template.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := h.o.RequestID()
	h.write(w, h.answer(r, id))
}

func (h *Handler) answer(r *http.Request, id string) response {
	batch, ok := h.route(r)
	if !ok {
		return h.gateway("MISSING_AUTHENTICATION_TOKEN", http.StatusNotFound, id, "", "Missing Authentication Token")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	tooLarge := err != nil || len(body) > MaxBodyBytes
	if tooLarge && h.o.Auth == apispec.AuthIAM {
		// The signature covers the body's hash, which a body the gateway refuses cannot have.
		return h.gateway("REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, id, "", "")
	}
	if no := h.authenticate(r, body); no != nil {
		return h.gateway(no.typ, http.StatusForbidden, id, "", no.message)
	}
	switch {
	case !isJSON(r.Header.Get("Content-Type")):
		return h.gateway("UNSUPPORTED_MEDIA_TYPE", http.StatusUnsupportedMediaType, id, "", "")
	case tooLarge:
		return h.gateway("REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, id, "", "")
	}
	if batch {
		return h.putRecords(r.Context(), body, id)
	}
	return h.putRecord(r.Context(), body, id)
}

// gateway is API Gateway's own answer of a type, worded for the stage's auth mode.
func (h *Handler) gateway(typ string, status int, requestID, validation, message string) response {
	return gatewayResponseFor(h.o.Auth, typ, status, requestID, validation, message)
}

// route reports whether r is one of the two POST routes, and which.
func (h *Handler) route(r *http.Request) (batch, ok bool) {
	if r.Method != http.MethodPost {
		return false, false
	}
	switch r.URL.Path {
	case h.prefix + h.o.Routes.Events:
		return false, true
	case h.prefix + h.o.Routes.Batch:
		return true, true
	}
	return false, false
}

// isJSON: the methods have an application/json template only, and pass nothing else through;
// API Gateway takes a request without Content-Type as application/json.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == vtl.ContentType
}

func (h *Handler) putRecord(ctx context.Context, body []byte, id string) response {
	if err := h.models.ValidateEvent(body); err != nil {
		return h.badBody(err, id)
	}
	if apispec.BodyLength(body) > apispec.MaxEventBytes {
		return tooLargeAnswer(false, id)
	}
	var ev map[string]json.RawMessage
	_ = json.Unmarshal(body, &ev) // valid: the model checked it is an object
	rec := Record{PartitionKey: producer.PartitionKeyValue(ev[h.o.Schema.PartitionKey]), Data: body}
	return putRecordAnswer(h.o.Sink.PutRecord(ctx, rec), id)
}

func (h *Handler) putRecords(ctx context.Context, body []byte, id string) response {
	if err := h.models.ValidateBatch(body); err != nil {
		return h.badBody(err, id)
	}
	if apispec.BodyLength(body) > apispec.MaxBatchBytes {
		return tooLargeAnswer(true, id)
	}
	recs, err := h.records(body)
	if err != nil {
		return h.badBody(err, id)
	}
	results, err := h.o.Sink.PutRecords(ctx, recs)
	return putRecordsAnswer(results, err, id)
}

// records are the batch's events as the PutRecords request template forwards them.
func (h *Handler) records(body []byte) ([]Record, error) {
	var b struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	recs := make([]Record, len(b.Records))
	for i, raw := range b.Records {
		var ev map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		var data bytes.Buffer
		if err := json.Compact(&data, raw); err != nil {
			return nil, err
		}
		recs[i] = Record{PartitionKey: producer.PartitionKeyValue(ev[h.o.Schema.PartitionKey]), Data: data.Bytes()}
	}
	return recs, nil
}

// badBody is API Gateway's 400 for a body its model refuses.
func (h *Handler) badBody(err error, id string) response {
	return h.gateway("BAD_REQUEST_BODY", http.StatusBadRequest, id, err.Error(), "")
}

func (h *Handler) write(w http.ResponseWriter, resp response) {
	w.Header().Set("Content-Type", vtl.ContentType)
	if resp.retryAfter {
		w.Header().Set("Retry-After", h.o.RetryAfter)
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}
