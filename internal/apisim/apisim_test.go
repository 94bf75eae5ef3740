package apisim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/schema"
)

const (
	key       = "k"
	requestID = "c0ffee00-1234-4d2e-9abc-0123456789ab"
)

// scripted answers every call with what the test set, and records what it was given.
type scripted struct {
	mu      sync.Mutex
	err     error
	results []apisim.Result
	got     []apisim.Record
}

func (s *scripted) PutRecord(_ context.Context, r apisim.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, r)
	return s.err
}

func (s *scripted) PutRecords(_ context.Context, recs []apisim.Record) ([]apisim.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, recs...)
	if s.err != nil {
		return nil, s.err
	}
	return s.results, nil
}

func newHandler(t *testing.T, sink apisim.Sink, unknown schema.UnknownFields) *apisim.Handler {
	t.Helper()
	h, err := apisim.New(apisim.Options{Stage: "api", APIKey: key, Sink: sink, UnknownFields: unknown, RequestID: func() string { return requestID }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// answer is one response of the API.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("answer body is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

type request struct {
	method, path, key, contentType, body string
}

func post(path, body string) request {
	return request{http.MethodPost, "/api" + path, key, "application/json", body}
}

func serve(h http.Handler, r request) answer {
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.key != "" {
		req.Header.Set("x-api-key", r.key)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return answer{w.Code, w.Header().Get("Retry-After"), w.Body.String()}
}

func event(i int, userID string) string {
	return fmt.Sprintf(`{"event_id":"e-%d","event_type":"progress","user_id":%q,"occurred_at":"2026-03-04T05:06:07.123+01:00","position_sec":%d.5,"attributes":{"player":"web"}}`, i, userID, i)
}

func batch(events ...string) string { return `{"records": [` + strings.Join(events, ", ") + `]}` }

func TestNewChecksOptions(t *testing.T) {
	for _, c := range []struct {
		o    apisim.Options
		want string
	}{
		{apisim.Options{APIKey: key}, "Sink is required"},
		{apisim.Options{Sink: &scripted{}}, "APIKey is required"},
		{apisim.Options{Sink: &scripted{}, APIKey: key, UnknownFields: "drop"}, `UnknownFields "drop": use "keep" or "reject"`},
	} {
		if _, err := apisim.New(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.o, err, c.want)
		}
	}
}

// Every way a request fails before it reaches the stream, in API Gateway's order.
func TestRequestsRefusedBeforeTheStream(t *testing.T) {
	valid := event(1, "u-1")
	cases := []struct {
		name    string
		unknown schema.UnknownFields
		req     request
		status  int
		message string // a substring of the answer's message
	}{
		{"GET", "", request{http.MethodGet, "/api/v1/events", key, "application/json", ""}, 404, "no such route"},
		{"no stage", "", request{http.MethodPost, "/v1/events", key, "application/json", valid}, 404, "no such route"},
		{"unknown route", "", post("/v1/event", valid), 404, "no such route"},
		{"no key", "", request{http.MethodPost, "/api/v1/events", "", "application/json", valid}, 403, "missing or invalid x-api-key"},
		{"wrong key", "", request{http.MethodPost, "/api/v1/events", "K", "application/json", valid}, 403, "missing or invalid x-api-key"},
		{"text/plain", "", request{http.MethodPost, "/api/v1/events", key, "text/plain", valid}, 415, "send Content-Type: application/json"},
		{"too large", "", post("/v1/events", strings.Repeat(" ", apisim.MaxBodyBytes+1)), 413, "request too large"},
		{"not JSON", "", post("/v1/events", `{"event_id": `), 400, "invalid request body: [Could not parse request body into json"},
		{"missing fields", "", post("/v1/events", `{"event_id":"a","event_type":"t"}`), 400, `invalid request body: [object has missing required properties (["user_id","occurred_at"])]`},
		{"wrong type", "", post("/v1/events", strings.Replace(valid, `"u-1"`, `42`, 1)), 400,
			`instance type (integer) does not match any allowed primitive type (allowed: ["string"]) (at /user_id)`},
		{"too long", "", post("/v1/events", strings.Replace(valid, `"u-1"`, `"`+strings.Repeat("x", 257)+`"`, 1)), 400,
			`is too long (length: 257, maximum allowed: 256) (at /user_id)`},
		{"bad timestamp", "", post("/v1/events", strings.Replace(valid, `2026-03-04T05:06:07.123+01:00`, `yesterday`, 1)), 400,
			`does not match input string "yesterday" (at /occurred_at)`},
		{"negative", "", post("/v1/events", strings.Replace(valid, `"position_sec":1.5`, `"position_sec":-1`, 1)), 400,
			`numeric instance is lower than the required minimum (minimum: 0, found: -1) (at /position_sec)`},
		{"pipeline field", "", post("/v1/events", strings.Replace(valid, `{`, `{"ingested_at":"2026-01-01T00:00:00Z",`, 1)), 400,
			`instance matched a schema which it should not have (at /ingested_at)`},
		{"unknown field rejected", schema.RejectUnknown, post("/v1/events", strings.Replace(valid, `{`, `{"colour":"red",`, 1)), 400,
			`object instance has properties which are not allowed by the schema: ["colour"]`},
		{"empty batch", "", post("/v1/events/batch", `{"records": []}`), 400, "array is too short: must have at least 1 elements but instance has 0 elements (at /records)"},
		{"501 records", "", post("/v1/events/batch", batch(slicesOf(valid, 501)...)), 400, "array is too long: must have at most 500 elements but instance has 501 elements (at /records)"},
		{"bad record in a batch", "", post("/v1/events/batch", batch(valid, `{"event_id":"b"}`)), 400, `object has missing required properties (["event_type","user_id","occurred_at"]) (at /records/1)`},
		{"batch of one event", "", post("/v1/events/batch", valid), 400, `object has missing required properties (["records"])`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &scripted{}
			a := serve(newHandler(t, sink, c.unknown), c.req)
			body := a.json(t)
			if a.status != c.status || !strings.Contains(fmt.Sprint(body["message"]), c.message) {
				t.Errorf("%d %s, want %d and a message with %q", a.status, a.body, c.status, c.message)
			}
			if body["request_id"] != requestID || len(body) != 2 {
				t.Errorf("body %s, want exactly message and request_id", a.body)
			}
			if len(sink.got) != 0 {
				t.Errorf("the stream was given %d records", len(sink.got))
			}
		})
	}
}

func slicesOf(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// Unknown fields pass under keep; a missing Content-Type is JSON, as in API Gateway; the
// records carry the partition key field and the event as the templates forward it.
func TestAcceptedRequestsReachTheSink(t *testing.T) {
	sink := &scripted{}
	h := newHandler(t, sink, schema.KeepUnknown)
	single := strings.Replace(event(1, `o'brien "x"`), `{`, "{\n  \"colour\": \"red\",", 1)
	if a := serve(h, request{http.MethodPost, "/api/v1/events", key, "", single}); a.status != 200 || a.body != `{"accepted":1,"failed":0,"request_id":"`+requestID+`"}` {
		t.Fatalf("single: %d %s", a.status, a.body)
	}
	sink.results = []apisim.Result{{}, {}}
	pretty := batch(event(2, "u-2"), "{\n\t\"event_id\": \"e-3\", \"event_type\": \"play\", \"user_id\": \"zoë\", \"occurred_at\": 1e9\n}")
	if a := serve(h, request{http.MethodPost, "/api/v1/events/batch", key, "application/json; charset=utf-8", pretty}); a.status != 200 {
		t.Fatalf("batch: %d %s", a.status, a.body)
	}
	want := []apisim.Record{
		{PartitionKey: `o'brien "x"`, Data: []byte(single)}, // the body exactly as sent
		{PartitionKey: "u-2", Data: []byte(event(2, "u-2"))},
		{PartitionKey: "zoë", Data: []byte(`{"event_id":"e-3","event_type":"play","user_id":"zoë","occurred_at":1e9}`)},
	}
	if !reflect.DeepEqual(sink.got, want) {
		t.Errorf("records\n%q\nwant\n%q", sink.got, want)
	}
}

// An error without an answer from Kinesis is API Gateway's own 500.
func TestIntegrationFailure(t *testing.T) {
	a := serve(newHandler(t, &scripted{err: errors.New("connection refused")}, ""), post("/v1/events", event(1, "u")))
	if a.status != 500 || a.retryAfter != "" || a.body != `{"message": "Internal server error", "request_id": "`+requestID+`"}` {
		t.Errorf("%d %q %s", a.status, a.retryAfter, a.body)
	}
}
