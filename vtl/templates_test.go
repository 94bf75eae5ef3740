package vtl_test

// Executes every template of this package through testdata/render.js with realistic requests
// and Kinesis answers, and checks what API Gateway would send on: valid JSON, the right
// records, statuses and headers.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/vtl"
)

const testStream = "streamlake-dev-events"

// The integration responses' statuses before a template overrides them, as
// components/ingestapi.go maps Kinesis's HTTP status (integrationStatus).
const (
	defaultOK     = "200"
	defaultClient = "400"
	defaultServer = "503"
)

// userIDs are partition keys that break naive escaping.
var userIDs = []string{
	"u-42",
	`say "hi"`,
	"o'brien",
	`C:\users\x`,
	`\'`,
	`\\'`,
	`'\`,
	`trailing\`,
	"zoë-日本-🙂",
	"tab\there\nnewline\rcr",
	"\u0001\u001f\u007f",
	"line\u2028sep\u2029",
	"</script><b>",
	`$context.requestId #set($x = 1)${x}#if(true)x#end`,
	strings.Repeat("é", 256),
}

// event is a realistic learning-progress event for the default schema.
func event(i int, userID string) map[string]any {
	return map[string]any{
		"event_id":     fmt.Sprintf("e-%04d", i),
		"event_type":   []string{"progress", "play", "pause", "complete"}[i%4],
		"user_id":      userID,
		"occurred_at":  fmt.Sprintf("2026-11-22T02:%02d:%02d.123+01:00", i/60%60, i%60),
		"content_id":   "course-7/lesson-" + fmt.Sprint(i%13),
		"session_id":   "s-" + fmt.Sprint(i%5),
		"position_sec": float64(i) * 30.5,
		"watched_sec":  30,
		"attributes":   map[string]any{"player": "web", "note": userID + " \"quoted\" 'single' \\ ü"},
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func semanticJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

type putRecordInput struct {
	StreamName   string
	Data         string
	PartitionKey string
}

func TestPutRecordRequest(t *testing.T) {
	t.Parallel()
	type tc struct{ name, body, userID string }
	var cases []tc
	for i, id := range userIDs {
		cases = append(cases, tc{fmt.Sprintf("user_id %q", id), mustJSON(t, event(i, id)), id})
	}
	// Bodies exactly as clients send them: pretty-printed, raw UTF-8, \u escapes, escaped slash.
	cases = append(cases,
		tc{"pretty-printed body", "{\n  \"user_id\" : \"u-1\",\n\t\"event_id\": \"e\",\n  \"position_sec\": 1.50\n}\n", "u-1"},
		tc{"escaped user_id in the body", `{"user_id": "caf\u00e9 \ud83d\ude00 \"q\" \/ \\", "event_id": "e"}`, `café 😀 "q" / \`},
		tc{"raw UTF-8 body", `{"user_id":"Zoë","event_type":"play","attributes":{"t":"日本語"}}`, "Zoë"},
	)
	tmpl := vtl.PutRecordRequest(testStream, "user_id")
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{name: c.name, VTLJob: testenv.VTLJob{Template: tmpl, Body: c.body}}
	}
	for i, r := range render(t, jobs...) {
		c := cases[i]
		if r.bad {
			continue
		}
		var in putRecordInput
		if err := decodeStrict(r.Output, &in); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if in.StreamName != testStream {
			t.Errorf("%s: StreamName %q", c.name, in.StreamName)
		}
		data, err := base64.StdEncoding.Strict().DecodeString(in.Data)
		if err != nil {
			t.Errorf("%s: Data is not base64: %v", c.name, err)
		} else if string(data) != c.body {
			t.Errorf("%s: Data decodes to\n%q\nwant the posted body\n%q", c.name, data, c.body)
		}
		if in.PartitionKey != c.userID {
			t.Errorf("%s: PartitionKey %q, want %q", c.name, in.PartitionKey, c.userID)
		}
	}
}

type putRecordsInput struct {
	StreamName string
	Records    []struct {
		Data         string
		PartitionKey string
	}
}

func TestPutRecordsRequest(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		events []map[string]any
		body   string
	}
	batch := func(n int) []map[string]any {
		evs := make([]map[string]any, n)
		for i := range evs {
			evs[i] = event(i, userIDs[i%len(userIDs)]+fmt.Sprint(i))
		}
		return evs
	}
	var cases []tc
	for _, n := range []int{1, 3, 500} {
		evs := batch(n)
		cases = append(cases, tc{fmt.Sprintf("%d records", n), evs, mustJSON(t, map[string]any{vtl.RecordsField: evs})})
	}
	pretty, err := json.MarshalIndent(map[string]any{vtl.RecordsField: batch(3)}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, tc{"3 records, pretty-printed", batch(3), string(pretty)})

	tmpl := vtl.PutRecordsRequest(testStream, "user_id")
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{name: c.name, VTLJob: testenv.VTLJob{Template: tmpl, Body: c.body}}
	}
	for i, r := range render(t, jobs...) {
		c := cases[i]
		if r.bad {
			continue
		}
		var in putRecordsInput
		if err := decodeStrict(r.Output, &in); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if in.StreamName != testStream {
			t.Errorf("%s: StreamName %q", c.name, in.StreamName)
		}
		if len(in.Records) != len(c.events) {
			t.Errorf("%s: %d Kinesis records for %d events", c.name, len(in.Records), len(c.events))
			continue
		}
		for k, rec := range in.Records {
			data, err := base64.StdEncoding.Strict().DecodeString(rec.Data)
			if err != nil {
				t.Errorf("%s: record %d: Data is not base64: %v", c.name, k, err)
				continue
			}
			want := semanticJSON(t, mustJSON(t, c.events[k]))
			if got := semanticJSON(t, string(data)); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: record %d is\n%s\nwant event %d\n%s", c.name, k, data, k, mustJSON(t, c.events[k]))
			}
			if id := c.events[k]["user_id"]; rec.PartitionKey != id {
				t.Errorf("%s: record %d: PartitionKey %q, want %q", c.name, k, rec.PartitionKey, id)
			}
		}
	}
}

// Kinesis answers.
const putRecordOK = `{"EncryptionType":"KMS","SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000001"}`

// putRecordsAnswer is a PutRecords response whose records at the keys of failed failed with
// that error code.
func putRecordsAnswer(t *testing.T, n int, failed map[int]string, withCount bool) string {
	t.Helper()
	recs := make([]map[string]any, n)
	count := 0
	for i := range recs {
		if code, ok := failed[i]; ok {
			count++
			msg := "Internal service failure."
			if code == "ProvisionedThroughputExceededException" {
				msg = fmt.Sprintf("Rate exceeded for shard shardId-%012d in stream %s under account 123456789012.", i%4, testStream)
			}
			recs[i] = map[string]any{"ErrorCode": code, "ErrorMessage": msg}
			continue
		}
		recs[i] = map[string]any{"SequenceNumber": fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i), "ShardId": "shardId-000000000002"}
	}
	answer := map[string]any{"EncryptionType": "KMS", "Records": recs}
	if withCount {
		answer["FailedRecordCount"] = count
	}
	return mustJSON(t, answer)
}

type failedRecord struct {
	Index        int    `json:"index"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

type apiAnswer struct {
	Message       string         `json:"message"`
	Accepted      *int           `json:"accepted"`
	Failed        *int           `json:"failed"`
	RequestID     string         `json:"request_id"`
	FailedRecords []failedRecord `json:"failed_records"`
}

func status(r result, def string) string {
	if r.Status != nil {
		return *r.Status
	}
	return def
}

// responseCase is one Kinesis answer through one response template.
type responseCase struct {
	name        string
	template    string
	body        string // Kinesis's answer
	defStatus   string // the integration response's status before any override
	wantStatus  string
	wantHeaders map[string]string
	check       func(t *testing.T, a apiAnswer)
}

func runResponses(t *testing.T, cases []responseCase, headers map[string]string) {
	t.Helper()
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{name: c.name, VTLJob: testenv.VTLJob{Template: c.template, Body: c.body, Mode: "response", Headers: headers}}
	}
	for i, r := range render(t, jobs...) {
		c := cases[i]
		if r.bad {
			continue
		}
		var a apiAnswer
		if err := decodeStrict(r.Output, &a); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := status(r, c.defStatus); got != c.wantStatus {
			t.Errorf("%s: status %s, want %s", c.name, got, c.wantStatus)
		}
		if want := c.wantHeaders; !maps.Equal(r.Headers, want) { // nil and empty alike
			t.Errorf("%s: headers %v, want %v", c.name, r.Headers, want)
		}
		if a.RequestID != testRequestID {
			t.Errorf("%s: request_id %q", c.name, a.RequestID)
		}
		if c.check != nil {
			c.check(t, a)
		}
	}
}

func counts(name string, accepted int, failed *int) func(*testing.T, apiAnswer) {
	return func(t *testing.T, a apiAnswer) {
		t.Helper()
		if a.Accepted == nil || *a.Accepted != accepted {
			t.Errorf("%s: accepted %v, want %d", name, deref(a.Accepted), accepted)
		}
		if !reflect.DeepEqual(a.Failed, failed) {
			t.Errorf("%s: failed %v, want %v", name, deref(a.Failed), deref(failed))
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func intp(i int) *int { return &i }

var retry = map[string]string{"Retry-After": "1"}

func TestSuccessAndBatchResponses(t *testing.T) {
	t.Parallel()
	var none vtl.CORS
	batch := none.BatchResponse()
	failedRecords := func(name string, want ...failedRecord) func(*testing.T, apiAnswer) {
		return func(t *testing.T, a apiAnswer) {
			t.Helper()
			if len(a.FailedRecords) != len(want) {
				t.Errorf("%s: failed_records %+v, want %+v", name, a.FailedRecords, want)
				return
			}
			for i := range want {
				if a.FailedRecords[i].Index != want[i].Index || a.FailedRecords[i].ErrorCode != want[i].ErrorCode || a.FailedRecords[i].ErrorMessage == "" {
					t.Errorf("%s: failed_records[%d] = %+v, want index %d code %s and a message", name, i, a.FailedRecords[i], want[i].Index, want[i].ErrorCode)
				}
			}
		}
	}
	both := func(fs ...func(*testing.T, apiAnswer)) func(*testing.T, apiAnswer) {
		return func(t *testing.T, a apiAnswer) {
			for _, f := range fs {
				f(t, a)
			}
		}
	}
	const ptee, internal = "ProvisionedThroughputExceededException", "InternalFailure"
	trickyMessage := `{"EncryptionType":"KMS","FailedRecordCount":1,"Records":[{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate \"exceeded\" for shard 'x' \\ é 😀\n/"}]}`
	cases := []responseCase{
		{name: "PutRecord accepted", template: none.SuccessResponse(), body: putRecordOK, defStatus: defaultOK, wantStatus: "200",
			check: counts("PutRecord accepted", 1, intp(0))},
		{name: "batch of 1, all accepted", template: batch, body: putRecordsAnswer(t, 1, nil, true), defStatus: defaultOK, wantStatus: "200",
			check: both(counts("all 1", 1, intp(0)), failedRecords("all 1"))},
		{name: "batch of 500, all accepted", template: batch, body: putRecordsAnswer(t, 500, nil, true), defStatus: defaultOK, wantStatus: "200",
			check: both(counts("all 500", 500, intp(0)), failedRecords("all 500"))},
		{name: "partial failure, throttled", template: batch, body: putRecordsAnswer(t, 5, map[int]string{1: ptee, 3: ptee}, true), defStatus: defaultOK, wantStatus: "429", wantHeaders: retry,
			check: both(counts("throttled", 3, intp(2)), failedRecords("throttled", failedRecord{Index: 1, ErrorCode: ptee}, failedRecord{Index: 3, ErrorCode: ptee}))},
		{name: "throttled and internal failures", template: batch, body: putRecordsAnswer(t, 4, map[int]string{0: internal, 2: ptee}, true), defStatus: defaultOK, wantStatus: "429", wantHeaders: retry,
			check: both(counts("mixed", 2, intp(2)), failedRecords("mixed", failedRecord{Index: 0, ErrorCode: internal}, failedRecord{Index: 2, ErrorCode: ptee}))},
		{name: "per-record KMS error", template: batch, body: putRecordsAnswer(t, 3, map[int]string{1: "KMSAccessDeniedException"}, true), defStatus: defaultOK, wantStatus: "500", wantHeaders: retry,
			check: both(counts("kms", 2, intp(1)), failedRecords("kms", failedRecord{Index: 1, ErrorCode: "KMSAccessDeniedException"}))},
		{name: "KMS throttling is throttling", template: batch, body: putRecordsAnswer(t, 3, map[int]string{1: "KMSThrottlingException"}, true), defStatus: defaultOK, wantStatus: "429", wantHeaders: retry,
			check: both(counts("kms throttled", 2, intp(1)), failedRecords("kms throttled", failedRecord{Index: 1, ErrorCode: "KMSThrottlingException"}))},
		{name: "only internal failures", template: batch, body: putRecordsAnswer(t, 5, map[int]string{4: internal}, true), defStatus: defaultOK, wantStatus: "503", wantHeaders: retry,
			check: both(counts("internal", 4, intp(1)), failedRecords("internal", failedRecord{Index: 4, ErrorCode: internal}))},
		{name: "all 500 throttled", template: batch, body: putRecordsAnswer(t, 500, func() map[int]string {
			m := map[int]string{}
			for i := 0; i < 500; i++ {
				m[i] = ptee
			}
			return m
		}(), true), defStatus: defaultOK, wantStatus: "429", wantHeaders: retry, check: counts("all throttled", 0, intp(500))},
		{name: "failures without FailedRecordCount", template: batch, body: putRecordsAnswer(t, 3, map[int]string{2: ptee}, false), defStatus: defaultOK, wantStatus: "429", wantHeaders: retry,
			check: both(counts("no count", 2, intp(1)), failedRecords("no count", failedRecord{Index: 2, ErrorCode: ptee}))},
		{name: "FailedRecordCount is the count", template: batch, body: `{"FailedRecordCount":2,"Records":[{"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure."},{"SequenceNumber":"1","ShardId":"shardId-000000000000"},{"SequenceNumber":"2","ShardId":"shardId-000000000000"}]}`,
			defStatus: defaultOK, wantStatus: "503", wantHeaders: retry, check: counts("FailedRecordCount", 1, intp(2))},
		{name: "failed record without ErrorMessage", template: batch, body: `{"Records":[{"ErrorCode":"InternalFailure"},{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}`,
			defStatus: defaultOK, wantStatus: "503", wantHeaders: retry, check: func(t *testing.T, a apiAnswer) {
				counts("no ErrorMessage", 1, intp(1))(t, a)
				if len(a.FailedRecords) != 1 || a.FailedRecords[0] != (failedRecord{Index: 0, ErrorCode: internal}) {
					t.Errorf("no ErrorMessage: failed_records %+v", a.FailedRecords)
				}
			}},
		{name: "error message needing escapes", template: batch, body: trickyMessage, defStatus: defaultOK, wantStatus: "429", wantHeaders: retry,
			check: func(t *testing.T, a apiAnswer) {
				if len(a.FailedRecords) != 1 || a.FailedRecords[0].ErrorMessage != "Rate \"exceeded\" for shard 'x' \\ é 😀\n/" {
					t.Errorf("error message not carried intact: %+v", a.FailedRecords)
				}
			}},
	}
	runResponses(t, cases, nil)
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	var none vtl.CORS
	kinesisError := func(typ, msg string) string {
		return mustJSON(t, map[string]string{"__type": typ, "message": msg})
	}
	const validation = "1 validation error detected: Value 'x' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"
	tricky := "bad \"record\" 'x' \\ é 😀\n\t/ $context.requestId #set($a=1)"
	var cases []responseCase
	for _, kind := range []struct {
		name, records string
		failed        *int
		batch         bool
	}{{"PutRecord", vtl.SingleRecordCount, intp(1), false}, {"PutRecords", vtl.BatchRecordCount, nil, true}} {
		client := none.ClientErrorResponse(kind.records, vtl.TooLargeMessage(kind.batch))
		server := none.ServerErrorResponse(kind.records)
		add := func(name, tmpl, body, def, want string, headers map[string]string, check func(*testing.T, apiAnswer)) {
			cases = append(cases, responseCase{name: kind.name + ": " + name, template: tmpl, body: body, defStatus: def, wantStatus: want, wantHeaders: headers, check: check})
		}
		for _, typ := range []string{"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException", "KMSThrottlingException"} {
			add(typ, client, kinesisError(typ, "Rate exceeded for stream "+testStream), defaultClient, "429", retry, counts(typ, 0, kind.failed))
		}
		for _, typ := range []string{"AccessDeniedException", "ResourceNotFoundException", "KMSAccessDeniedException", "ResourceInUseException",
			"KMSDisabledException", "KMSNotFoundException", "UnrecognizedClientException", "ExpiredTokenException"} {
			add(typ, client, kinesisError(typ, "User: arn:aws:sts::123456789012:assumed-role/x is not authorized"), defaultClient, "500", nil, counts(typ, 0, kind.failed))
		}
		for _, c := range []struct{ typ, msg string }{
			{"ValidationException", validation},
			{"com.amazon.coral.validate#ValidationException", validation},
			{"InvalidArgumentException", tricky},
		} {
			msg := c.msg
			add(c.typ, client, kinesisError(c.typ, msg), defaultClient, "400", nil, func(t *testing.T, a apiAnswer) {
				counts(c.typ, 0, kind.failed)(t, a)
				if want := "rejected by the stream: " + msg; a.Message != want {
					t.Errorf("%s: message %q, want %q", c.typ, a.Message, want)
				}
			})
		}
		add("ValidationException with Message", client, mustJSON(t, map[string]string{"__type": "ValidationException", "Message": validation}), defaultClient, "400", nil, func(t *testing.T, a apiAnswer) {
			if want := "rejected by the stream: " + validation; a.Message != want {
				t.Errorf("Message: message %q, want %q", a.Message, want)
			}
		})
		for _, body := range []string{"", "<html><body>413 Request Entity Too Large</body></html>"} {
			add(fmt.Sprintf("4xx with body %q", body), client, body, defaultClient, "400", nil, func(t *testing.T, a apiAnswer) {
				counts("4xx without JSON", 0, kind.failed)(t, a)
				if a.Message != "rejected by the stream: no details" {
					t.Errorf("4xx without JSON: message %q", a.Message)
				}
			})
		}
		add("InternalFailure", server, kinesisError("InternalFailure", "Internal service failure."), defaultServer, "503", retry, counts("5xx", 0, kind.failed))
		add("ServiceUnavailable", server, `{"__type":"ServiceUnavailableException"}`, defaultServer, "503", retry, counts("5xx", 0, kind.failed))
		add("5xx without a body", server, "", defaultServer, "503", retry, counts("5xx", 0, kind.failed))
		add("5xx with an HTML body", server, "<html><body>503 Service Unavailable</body></html>", defaultServer, "503", retry, counts("5xx", 0, kind.failed))
	}
	runResponses(t, cases, nil)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed, other = "https://learn.example.com", "http://localhost:5173"
	configs := []struct {
		name string
		cors vtl.CORS
		// allow says which Origin header values get Access-Control-Allow-Origin, and which value.
		allow func(origin string) (string, bool)
		vary  bool // Vary: Origin on every response
	}{
		{"no CORS", vtl.CORS{}, func(string) (string, bool) { return "", false }, false},
		{"any origin", vtl.CORS{Origins: []string{"*"}}, func(string) (string, bool) { return "*", true }, false},
		{"one origin", vtl.CORS{Origins: []string{allowed}}, func(o string) (string, bool) { return o, o == allowed }, true},
		{"allow-list", vtl.CORS{Origins: []string{allowed, other}}, func(o string) (string, bool) { return o, o == allowed || o == other }, true},
	}
	origins := []map[string]string{
		nil,
		{"Origin": allowed},
		{"origin": allowed}, // HTTP/2 clients send lower-case names
		{"Origin": other},
		{"Origin": "https://evil.example"},
		{"Origin": allowed + ".evil.example"},
		{"Origin": "HTTPS://LEARN.EXAMPLE.COM"},
		{"Origin": "null"},
		{"Origin": ""},
	}
	type tc struct {
		name, template, body, def, want string
		extra                           map[string]string
	}
	var jobs []job
	var wants []map[string]string
	var names, defs, statuses []string
	for _, cfg := range configs {
		templates := []tc{
			{"success", cfg.cors.SuccessResponse(), putRecordOK, defaultOK, "200", nil},
			{"batch throttled", cfg.cors.BatchResponse(), putRecordsAnswer(t, 3, map[int]string{1: "ProvisionedThroughputExceededException"}, true), defaultOK, "429", retry},
			{"client error", cfg.cors.ClientErrorResponse(vtl.BatchRecordCount, vtl.TooLargeMessage(true)), `{"__type":"AccessDeniedException","message":"no"}`, defaultClient, "500", nil},
			{"server error", cfg.cors.ServerErrorResponse(vtl.SingleRecordCount), "", defaultServer, "503", retry},
			{"preflight", cfg.cors.PreflightResponse(), "", defaultOK, "200", nil},
		}
		for _, tm := range templates {
			for _, h := range origins {
				name := fmt.Sprintf("%s, %s, headers %v", cfg.name, tm.name, h)
				want := map[string]string{}
				for k, v := range tm.extra {
					want[k] = v
				}
				origin, sent := h["Origin"]
				if !sent {
					origin, sent = h["origin"]
				}
				if v, ok := cfg.allow(origin); ok && (sent || v == "*") {
					want["Access-Control-Allow-Origin"] = v
				}
				if cfg.vary {
					want["Vary"] = "Origin"
				}
				jobs = append(jobs, job{name: name, VTLJob: testenv.VTLJob{Template: tm.template, Body: tm.body, Mode: "response", Headers: h}})
				wants = append(wants, want)
				names = append(names, name)
				defs, statuses = append(defs, tm.def), append(statuses, tm.want)
			}
		}
	}
	for i, r := range render(t, jobs...) {
		if r.bad {
			continue
		}
		if !json.Valid([]byte(r.Output)) {
			t.Errorf("%s: not JSON:\n%s", names[i], r.Output)
		}
		if !maps.Equal(r.Headers, wants[i]) {
			t.Errorf("%s: headers %v, want %v", names[i], r.Headers, wants[i])
		}
		if got := status(r, defs[i]); got != statuses[i] {
			t.Errorf("%s: status %s, want %s", names[i], got, statuses[i])
		}
	}
}

func TestGatewayResponses(t *testing.T) {
	t.Parallel()
	contexts := []struct {
		name, message, validation string
	}{
		{"missing fields", "Invalid request body", `[object has missing required properties (["occurred_at","user_id"])]`},
		{"too long", "Invalid request body", `[string "` + strings.Repeat("x", 20) + `" is too long (length: 300, maximum allowed: 256)]`},
		{"wrong type", "Invalid request body", `[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]`},
		{"unknown field", "Invalid request body", `[object instance has properties which are not allowed by the schema: ["colour"]]`},
		{"too many records", "Invalid request body", `[array is too long: must have at most 500 elements but instance has 501 elements]`},
		{"quotes in the message", `Missing required request parameters: [x-api-key] "quoted"`, ""},
		{"forbidden", "Forbidden", ""},
	}
	for _, cors := range []vtl.CORS{{}, {Origins: []string{"*"}}, {Origins: []string{"https://learn.example.com"}}, {Origins: []string{"https://learn.example.com", "http://localhost:5173"}}} {
		for _, auth := range apispec.AuthModes {
			responses := cors.GatewayResponsesFor(auth)
			var jobs []job
			var names, want []string
			for _, typ := range slices.Sorted(maps.Keys(responses)) {
				gr := responses[typ]
				for _, c := range contexts {
					quoted, err := json.Marshal(c.message)
					if err != nil {
						t.Fatal(err)
					}
					ctx := map[string]any{
						"requestId": testRequestID,
						"error": map[string]any{
							"message":       c.message,
							"messageString": string(quoted),
							// API Gateway escapes the quotes of validationErrorString in place.
							"validationErrorString": strings.ReplaceAll(c.validation, `"`, `\"`),
							"responseType":          typ,
						},
					}
					jobs = append(jobs, job{name: typ + ", " + c.name, VTLJob: testenv.VTLJob{Template: gr.Template, Mode: "gateway", Context: ctx}})
					names = append(names, fmt.Sprintf("%s %v %s, %s", auth, cors.Origins, typ, c.name))
					switch {
					case strings.Contains(gr.Template, "validationErrorString"):
						want = append(want, "invalid request body: "+c.validation)
					case strings.Contains(gr.Template, "messageString"):
						want = append(want, c.message)
					default:
						want = append(want, "")
					}
				}
			}
			for i, r := range render(t, jobs...) {
				if r.bad {
					continue
				}
				var a apiAnswer
				if err := decodeStrict(r.Output, &a); err != nil {
					t.Errorf("%s: %v", names[i], err)
					continue
				}
				if a.Message == "" || (want[i] != "" && a.Message != want[i]) {
					t.Errorf("%s: message %q, want %q", names[i], a.Message, want[i])
				}
				if a.RequestID != testRequestID {
					t.Errorf("%s: request_id %q", names[i], a.RequestID)
				}
			}
			// Headers: static for one origin or *, the caller's origin for a list, none without CORS.
			for typ, gr := range responses {
				acao := gr.Parameters["gatewayresponse.header.Access-Control-Allow-Origin"]
				switch {
				case !cors.Enabled() && len(gr.Parameters) != 0:
					t.Errorf("no CORS, %s: parameters %v", typ, gr.Parameters)
				case len(cors.Origins) == 1 && acao != "'"+cors.Origins[0]+"'":
					t.Errorf("%v, %s: Access-Control-Allow-Origin %q", cors.Origins, typ, acao)
				case len(cors.Origins) > 1 && (acao != "method.request.header.origin" || gr.Parameters["gatewayresponse.header.Vary"] != "'Origin'"):
					t.Errorf("%v, %s: parameters %v", cors.Origins, typ, gr.Parameters)
				}
			}
		}
	}
}

func TestAccessLogFormat(t *testing.T) {
	t.Parallel()
	format, err := vtl.AccessLogFormat()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"requestId":         testRequestID,
		"extendedRequestId": "Yb3kQF4OIAMEbXw=",
		"identity":          map[string]any{"sourceIp": "203.0.113.7", "apiKeyId": "k1x2y3z4", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"},
		"requestTime":       "22/Nov/2026:02:57:52 +0000",
		"httpMethod":        "POST",
		"resourcePath":      "/v1/events/batch",
		"status":            "400",
		"protocol":          "HTTP/1.1",
		"responseLength":    "112",
		"responseLatency":   "17",
		"integration":       map[string]any{"status": "-", "latency": "-", "error": "-"},
		"error": map[string]any{
			"message":               "Invalid request body",
			"validationErrorString": strings.ReplaceAll(`[object has missing required properties (["user_id"])]`, `"`, `\"`),
		},
	}
	r := render(t, job{name: "access log", VTLJob: testenv.VTLJob{Template: format, Mode: "accesslog", Context: values}})[0]
	var line map[string]string
	if err := decodeStrict(r.Output, &line); err != nil {
		t.Fatal(err)
	}
	if line["requestId"] != testRequestID || line["userAgent"] != values["identity"].(map[string]any)["userAgent"] ||
		line["status"] != "400" || line["validationError"] != `[object has missing required properties (["user_id"])]` {
		t.Errorf("access log line %v", line)
	}
}
