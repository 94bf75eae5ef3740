// Package apisim is the ingest API's contract as an http.Handler, for local runs and tests:
// POST /v1/events and POST /v1/events/batch under a stage prefix, an x-api-key check, bodies
// validated against the request models the stack gives API Gateway (schema.EventModel and
// BatchModel, for the stack's unknownFields setting), and the status codes, headers and JSON
// bodies of the API's mapping templates (package vtl) for every answer Kinesis can give.
// Behind it a Sink stores the records: MemorySink (with fault injection) or KinesisSink (a
// Kinesis endpoint, e.g. a local kinesalite). The routes and the key header are the ones the
// producer's client uses (producer.EventsPath, BatchPath, APIKeyHeader).
//
// Not simulated: CORS (OPTIONS and the Access-Control headers), the usage plan's throttling
// and quota, and API Gateway's own 504 on an integration timeout.
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

	"github.com/google/uuid"

	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

// MaxBodyBytes is API Gateway's payload limit: larger requests are answered 413.
const MaxBodyBytes = 10 << 20

// Options configure a Handler.
type Options struct {
	// Schema is the event schema; nil means schema.Default().
	Schema *schema.Schema
	// UnknownFields is the stack's unknownFields setting: keep (default) or reject.
	UnknownFields schema.UnknownFields
	// Stage is the stage name the routes live under ("api": POST /api/v1/events); empty
	// serves them at the root.
	Stage string
	// APIKey is the key requests must carry in x-api-key (required).
	APIKey string
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
	o      Options
	models *Models
	prefix string
}

// New checks o and compiles the request models.
func New(o Options) (*Handler, error) {
	if o.Sink == nil {
		return nil, errors.New("apisim: Options.Sink is required")
	}
	if o.APIKey == "" {
		return nil, errors.New("apisim: Options.APIKey is required (the deployed API always requires a key)")
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
	if o.RequestID == nil {
		o.RequestID = uuid.NewString // API Gateway's request ids are UUIDs
	}
	models, err := CompileModels(o.Schema, o.UnknownFields)
	if err != nil {
		return nil, fmt.Errorf("apisim: %w", err)
	}
	h := &Handler{o: o, models: models}
	if stage := strings.Trim(o.Stage, "/"); stage != "" {
		h.prefix = "/" + stage
	}
	return h, nil
}

// ServeHTTP answers one request in API Gateway's order: route, API key, content type, size,
// request model, then the integration (the Sink) and its response template.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := h.o.RequestID()
	h.write(w, h.answer(r, id))
}

func (h *Handler) answer(r *http.Request, id string) response {
	batch, ok := h.route(r)
	switch {
	case !ok:
		return gatewayResponse("MISSING_AUTHENTICATION_TOKEN", http.StatusNotFound, id, "", "")
	case r.Header.Get(producer.APIKeyHeader) != h.o.APIKey:
		return gatewayResponse("INVALID_API_KEY", http.StatusForbidden, id, "", "")
	case !isJSON(r.Header.Get("Content-Type")):
		return gatewayResponse("UNSUPPORTED_MEDIA_TYPE", http.StatusUnsupportedMediaType, id, "", "")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		return gatewayResponse("REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, id, "", "")
	}
	if batch {
		return h.putRecords(r.Context(), body, id)
	}
	return h.putRecord(r.Context(), body, id)
}

// route reports whether r is one of the two POST routes, and which.
func (h *Handler) route(r *http.Request) (batch, ok bool) {
	if r.Method != http.MethodPost {
		return false, false
	}
	switch r.URL.Path {
	case h.prefix + producer.EventsPath:
		return false, true
	case h.prefix + producer.BatchPath:
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
		return badBody(err, id)
	}
	var ev map[string]json.RawMessage
	_ = json.Unmarshal(body, &ev) // valid: the model checked it is an object
	rec := Record{PartitionKey: producer.PartitionKeyValue(ev[h.o.Schema.PartitionKey]), Data: body}
	return putRecordAnswer(h.o.Sink.PutRecord(ctx, rec), id)
}

func (h *Handler) putRecords(ctx context.Context, body []byte, id string) response {
	if err := h.models.ValidateBatch(body); err != nil {
		return badBody(err, id)
	}
	recs, err := h.records(body)
	if err != nil {
		return badBody(err, id)
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
func badBody(err error, id string) response {
	return gatewayResponse("BAD_REQUEST_BODY", http.StatusBadRequest, id, err.Error(), "")
}

func (h *Handler) write(w http.ResponseWriter, resp response) {
	w.Header().Set("Content-Type", vtl.ContentType)
	if resp.retryAfter {
		w.Header().Set("Retry-After", h.o.RetryAfter)
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}
