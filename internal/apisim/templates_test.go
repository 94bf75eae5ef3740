package apisim_test

// apisim against the deployed API's own mapping templates: for the same request and the same
// Kinesis answer, the templates rendered as API Gateway would (velocityjs, testenv.RenderVTL)
// and apisim give the same records, status, Retry-After and body.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

const stream = "streamlake-dev-events"

// kinesisCase is one request and the answer Kinesis gives it.
type kinesisCase struct {
	name    string
	batch   bool
	body    string
	err     *apisim.StreamError // a whole-request error, or
	results []apisim.Result     // PutRecords' per-record answer
}

const ptee, internal = "ProvisionedThroughputExceededException", "InternalFailure"

func failures(n int, failed map[int]string) []apisim.Result {
	out := make([]apisim.Result, n)
	for i := range out {
		if code, ok := failed[i]; ok {
			out[i] = apisim.Result{ErrorCode: code, ErrorMessage: "Rate \"exceeded\" for shard 'x' \\ é\n" + code}
			continue
		}
		out[i] = apisim.Result{SequenceNumber: fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i), ShardID: "shardId-000000000002"}
	}
	return out
}

// kinesisBody is Kinesis's JSON answer for a case.
func (c kinesisCase) kinesisBody(t *testing.T) string {
	t.Helper()
	var v any
	switch {
	case c.err != nil:
		v = map[string]string{"__type": c.err.Code, "message": c.err.Message}
	case !c.batch:
		v = map[string]string{"SequenceNumber": "49590338271490256608559692538361571095921575989136588898", "ShardId": "shardId-000000000001", "EncryptionType": "KMS"}
	default:
		recs := make([]map[string]string, len(c.results))
		failed := 0
		for i, r := range c.results {
			if r.ErrorCode != "" {
				recs[i] = map[string]string{"ErrorCode": r.ErrorCode, "ErrorMessage": r.ErrorMessage}
				failed++
				continue
			}
			recs[i] = map[string]string{"SequenceNumber": r.SequenceNumber, "ShardId": r.ShardID}
		}
		v = map[string]any{"FailedRecordCount": failed, "Records": recs, "EncryptionType": "KMS"}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// template is the integration response template API Gateway selects for the case, and the
// method status before the template overrides it (components/ingestapi.go).
func (c kinesisCase) template() (tmpl string, status int) {
	var cors vtl.CORS
	count := vtl.SingleRecordCount
	if c.batch {
		count = vtl.BatchRecordCount
	}
	switch {
	case c.err != nil && c.err.Status >= 500:
		return cors.ServerErrorResponse(count), http.StatusServiceUnavailable
	case c.err != nil:
		return cors.ClientErrorResponse(count, vtl.TooLargeMessage(c.batch)), http.StatusBadRequest
	case c.batch:
		return cors.BatchResponse(), http.StatusOK
	}
	return cors.SuccessResponse(), http.StatusOK
}

func TestAnswersMatchTheResponseTemplates(t *testing.T) {
	single := event(7, `say "hi" \ zoë`)
	five := batch(event(0, "a"), event(1, "b"), event(2, "c"), event(3, "d"), event(4, "e"))
	cases := []kinesisCase{
		{name: "PutRecord stored", body: single},
		{name: "PutRecord throttled", body: single, err: &apisim.StreamError{Status: 400, Code: ptee, Message: "Rate exceeded for stream " + stream}},
		{name: "PutRecord access denied", body: single, err: &apisim.StreamError{Status: 400, Code: "AccessDeniedException", Message: "not authorized"}},
		{name: "PutRecord refused record", body: single, err: &apisim.StreamError{Status: 400, Code: "ValidationException", Message: `1 validation error detected: Value 'x' at 'partitionKey' failed "to" satisfy constraint`}},
		{name: "PutRecord 4xx without message", body: single, err: &apisim.StreamError{Status: 400, Code: "SerializationException"}},
		{name: "PutRecord 5xx", body: single, err: &apisim.StreamError{Status: 500, Code: internal, Message: "Internal service failure."}},
		{name: "batch stored", batch: true, body: five, results: failures(5, nil)},
		{name: "batch partly throttled", batch: true, body: five, results: failures(5, map[int]string{1: ptee, 3: ptee})},
		{name: "batch throttled and internal", batch: true, body: five, results: failures(5, map[int]string{0: internal, 2: ptee})},
		{name: "batch per-record KMS error", batch: true, body: five, results: failures(5, map[int]string{4: "KMSAccessDeniedException"})},
		{name: "batch internal failures", batch: true, body: five, results: failures(5, map[int]string{2: internal})},
		{name: "batch throttled whole", batch: true, body: five, err: &apisim.StreamError{Status: 400, Code: "ThrottlingException", Message: "slow down"}},
		{name: "batch stream missing", batch: true, body: five, err: &apisim.StreamError{Status: 400, Code: "ResourceNotFoundException", Message: "Stream x not found"}},
		{name: "batch 5xx", batch: true, body: five, err: &apisim.StreamError{Status: 503, Code: "ServiceUnavailable"}},
	}
	var jobs []testenv.VTLJob
	answers := make([]answer, len(cases))
	for i, c := range cases {
		sink := &scripted{results: c.results}
		if c.err != nil {
			sink.err = c.err
		}
		path := "/v1/events"
		if c.batch {
			path = "/v1/events/batch"
		}
		answers[i] = serve(newHandler(t, sink, ""), post(path, c.body))
		tmpl, _ := c.template()
		jobs = append(jobs, testenv.VTLJob{Template: tmpl, Mode: "response", Body: c.kinesisBody(t), Context: map[string]any{"requestId": requestID}})
	}
	for i, r := range testenv.RenderVTL[testenv.VTLJob, testenv.VTLResult](t, jobs) {
		c, a := cases[i], answers[i]
		_, status := c.template()
		if r.Error != "" || len(r.Warnings) > 0 {
			t.Fatalf("%s: template: %s %v", c.name, r.Error, r.Warnings)
		}
		if r.Status != nil {
			status, _ = strconv.Atoi(*r.Status)
		}
		if a.status != status || a.retryAfter != r.Headers["Retry-After"] {
			t.Errorf("%s: apisim %d Retry-After %q, template %d %v", c.name, a.status, a.retryAfter, status, r.Headers)
		}
		sameJSON(t, c.name, a.body, r.Output)
		if id := a.json(t)["request_id"]; id != requestID {
			t.Errorf("%s: request_id %v", c.name, id)
		}
	}
}

// The records apisim hands its sink are what the request templates send Kinesis.
func TestRecordsMatchTheRequestTemplates(t *testing.T) {
	users := []string{"u-42", `say "hi"`, "o'brien", `C:\users\x`, "zoë-日本-🙂", "tab\there\nnewline", "</script>", `$context.requestId #set($x = 1)`}
	var events []string
	for i, u := range users {
		events = append(events, event(i, u))
	}
	pretty := "{\n  \"user_id\" : \"u-1\",\n\t\"event_id\": \"e\", \"event_type\": \"t\", \"occurred_at\": 1714564799,\n  \"position_sec\": 1.50\n}\n"
	bodies := append(slices.Clone(events), pretty, batch(append(events, pretty)...))
	var jobs []testenv.VTLJob
	var got [][]apisim.Record
	for _, body := range bodies {
		sink := &scripted{}
		tmpl, path := vtl.PutRecordRequest(stream, "user_id"), "/v1/events"
		if strings.HasPrefix(body, `{"records"`) {
			tmpl, path = vtl.PutRecordsRequest(stream, "user_id"), "/v1/events/batch"
			sink.results = failures(len(users)+1, nil)
		}
		if a := serve(newHandler(t, sink, ""), post(path, body)); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, a.status, a.body)
		}
		got = append(got, sink.got)
		jobs = append(jobs, testenv.VTLJob{Template: tmpl, Mode: "request", Body: body, Context: map[string]any{"requestId": requestID}})
	}
	for i, r := range testenv.RenderVTL[testenv.VTLJob, testenv.VTLResult](t, jobs) {
		var in struct {
			StreamName   string
			Data         []byte
			PartitionKey string
			Records      []struct {
				Data         []byte
				PartitionKey string
			}
		}
		if err := json.Unmarshal([]byte(r.Output), &in); err != nil || r.Error != "" {
			t.Fatalf("template output %v %s:\n%s", err, r.Error, r.Output)
		}
		want := []apisim.Record{{PartitionKey: in.PartitionKey, Data: in.Data}}
		if in.Records != nil {
			want = want[:0]
			for _, rec := range in.Records {
				want = append(want, apisim.Record{PartitionKey: rec.PartitionKey, Data: rec.Data})
			}
		}
		compareRecords(t, bodies[i], got[i], want, in.Records == nil)
	}
}

// compareRecords compares partition keys exactly, data exactly on the single route (the body
// as sent) and as JSON on the batch route (re-serialised by both).
func compareRecords(t *testing.T, body string, got, want []apisim.Record, exact bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, template %d", body, len(got), len(want))
	}
	for k := range got {
		if got[k].PartitionKey != want[k].PartitionKey {
			t.Errorf("record %d of %s: partition key %q, template %q", k, body, got[k].PartitionKey, want[k].PartitionKey)
		}
		if exact && string(got[k].Data) != string(want[k].Data) {
			t.Errorf("record %d: data %q, template %q", k, got[k].Data, want[k].Data)
		}
		if !exact {
			sameJSON(t, fmt.Sprintf("record %d of %s", k, body), string(got[k].Data), string(want[k].Data))
			if !json.Valid(got[k].Data) || strings.ContainsAny(string(got[k].Data), "\n\t") {
				t.Errorf("record %d: data is not compact JSON: %s", k, got[k].Data)
			}
		}
	}
}

// API Gateway's own answers: apisim substitutes the gateway templates as API Gateway does.
func TestGatewayAnswersMatchTheGatewayTemplates(t *testing.T) {
	h := newHandler(t, &scripted{}, schema.RejectUnknown)
	valid := event(1, "u")
	cases := []struct {
		typ string
		req request
	}{
		{"BAD_REQUEST_BODY", post("/v1/events", `{"event_id":"a \"quoted\" \\ path","user_id":42,"colour":"x"}`)},
		{"BAD_REQUEST_BODY", post("/v1/events/batch", batch(valid, `{"event_id":"b","user_id":"C:\\x","event_type":"t","occurred_at":"not \"a\" time"}`))},
		{"BAD_REQUEST_BODY", post("/v1/events", `{"event_id":`)},
		{"INVALID_API_KEY", request{http.MethodPost, "/api/v1/events", "", "application/json", valid}},
		{"MISSING_AUTHENTICATION_TOKEN", post("/v2/events", valid)},
		{"UNSUPPORTED_MEDIA_TYPE", request{http.MethodPost, "/api/v1/events", key, "text/csv", valid}},
	}
	responses := vtl.CORS{}.GatewayResponses()
	var jobs []testenv.VTLJob
	var answers []answer
	for _, c := range cases {
		a := serve(h, c.req)
		answers = append(answers, a)
		var body struct{ Message string }
		if err := json.Unmarshal([]byte(a.body), &body); err != nil {
			t.Fatalf("%s: %v: %s", c.typ, err, a.body)
		}
		validation := strings.TrimPrefix(body.Message, "invalid request body: ")
		escaped, _ := json.Marshal(validation)
		jobs = append(jobs, testenv.VTLJob{Template: responses[c.typ].Template, Mode: "gateway", Context: map[string]any{
			"requestId": requestID,
			"error":     map[string]any{"validationErrorString": string(escaped[1 : len(escaped)-1])},
		}})
	}
	for i, r := range testenv.RenderVTL[testenv.VTLJob, testenv.VTLResult](t, jobs) {
		c, a := cases[i], answers[i]
		if strconv.Itoa(a.status) != responses[c.typ].Status || r.Error != "" {
			t.Errorf("%s: status %d, gateway response %s %s", c.typ, a.status, responses[c.typ].Status, r.Error)
		}
		sameJSON(t, c.typ, a.body, r.Output)
		if id := a.json(t)["request_id"]; id != requestID {
			t.Errorf("%s: request_id %v", c.typ, id)
		}
	}
}

// sameJSON fails unless got and want are the same JSON value.
func sameJSON(t *testing.T, name, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: apisim body is not JSON: %v\n%s", name, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Errorf("%s: template output is not JSON: %v\n%s", name, err, want)
		return
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\napisim   %s\ntemplate %s", name, got, want)
	}
}
