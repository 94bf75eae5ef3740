package vtl_test

// The request templates refuse a body over their route's limit before any event reaches the
// stream, and the client-error template turns Kinesis's refusal of the stand-in into 413.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/vtl"
)

// padded is an event whose JSON is exactly n UTF-16 code units long, filled with fill (one
// code unit each).
func padded(t *testing.T, n int, fill string) string {
	t.Helper()
	ev := event(1, "u-1")
	ev["attributes"] = map[string]any{"pad": ""}
	base := apispec.BodyLength([]byte(mustJSON(t, ev)))
	if n < base {
		t.Fatalf("cannot pad an event of %d to %d", base, n)
	}
	ev["attributes"] = map[string]any{"pad": strings.Repeat(fill, n-base)}
	body := mustJSON(t, ev)
	if got := apispec.BodyLength([]byte(body)); got != n {
		t.Fatalf("padded body is %d long, want %d", got, n)
	}
	return body
}

// paddedBatch is a batch body exactly n code units long.
func paddedBatch(t *testing.T, n int) string {
	t.Helper()
	const wrap = len(`{"records":[]}`)
	return `{"records":[` + padded(t, n-wrap, "x") + `]}`
}

func TestRequestTemplatesRefuseBodiesOverTheLimit(t *testing.T) {
	t.Parallel()
	single := vtl.PutRecordRequest(testStream, "user_id")
	batch := vtl.PutRecordsRequest(testStream, "user_id")
	cases := []struct {
		name, template, body string
		refused              bool
	}{
		{"event at the limit", single, padded(t, apispec.MaxEventBytes, "x"), false},
		{"event one over", single, padded(t, apispec.MaxEventBytes+1, "x"), true},
		// é is one code unit and two UTF-8 bytes: the limit counts what Java's length() counts.
		{"non-ASCII event at the limit (more bytes)", single, padded(t, apispec.MaxEventBytes, "é"), false},
		{"batch at the limit", batch, paddedBatch(t, apispec.MaxBatchBytes), false},
		{"batch one over", batch, paddedBatch(t, apispec.MaxBatchBytes+1), true},
	}
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{name: c.name, VTLJob: testenv.VTLJob{Template: c.template, Body: c.body}}
	}
	for i, r := range render(t, jobs...) {
		c := cases[i]
		if r.bad {
			continue
		}
		var in struct {
			StreamName      string
			Data            *string
			PartitionKey    string
			ExplicitHashKey string
			Records         []struct{ Data, PartitionKey, ExplicitHashKey string }
		}
		if err := decodeStrict(r.Output, &in); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		marked := in.ExplicitHashKey == vtl.TooLargeMarker
		for _, rec := range in.Records {
			if rec.ExplicitHashKey == vtl.TooLargeMarker {
				marked = true
				if rec.Data != "" || len(in.Records) != 1 {
					t.Errorf("%s: the stand-in forwards data: %d records", c.name, len(in.Records))
				}
			}
		}
		if marked != c.refused {
			t.Errorf("%s: refused %t, want %t", c.name, marked, c.refused)
		}
		if c.refused && in.Data != nil && *in.Data != "" {
			t.Errorf("%s: the stand-in forwards the body", c.name)
		}
		if in.StreamName != testStream {
			t.Errorf("%s: StreamName %q", c.name, in.StreamName)
		}
	}
}

// TestBodyLengthCountsAsTheTemplates: apispec.BodyLength (what internal/apisim checks) is
// what $input.body.length() gives.
func TestBodyLengthCountsAsTheTemplates(t *testing.T) {
	t.Parallel()
	bodies := []string{"", "{}", `{"a":"zoë"}`, "日本語", "🙂 two units", "\u2028", "é\u0301"}
	jobs := make([]job, len(bodies))
	for i, b := range bodies {
		jobs[i] = job{name: fmt.Sprintf("%q", b), VTLJob: testenv.VTLJob{Template: "$input.body.length()", Body: b}}
	}
	for i, r := range render(t, jobs...) {
		if r.bad {
			continue
		}
		if want := fmt.Sprint(apispec.BodyLength([]byte(bodies[i]))); r.Output != want {
			t.Errorf("%q: template says %s, apispec.BodyLength %s", bodies[i], r.Output, want)
		}
	}
}

func TestTooLargeAnswers(t *testing.T) {
	t.Parallel()
	var none vtl.CORS
	// Kinesis's words for the stand-in (kinesalite gives the same; see internal/apisim).
	refusal := func(at string) string {
		b, err := json.Marshal(map[string]string{"__type": "ValidationException", "message": fmt.Sprintf(
			"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})", vtl.TooLargeMarker, at)})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var cases []responseCase
	for _, k := range []struct {
		name, records, at string
		failed            *int
		batch             bool
	}{
		{"PutRecord", vtl.SingleRecordCount, "explicitHashKey", intp(1), false},
		{"PutRecords", vtl.BatchRecordCount, "records.1.member.explicitHashKey", nil, true},
	} {
		want := vtl.TooLargeMessage(k.batch)
		cases = append(cases, responseCase{name: k.name + " too large", template: none.ClientErrorResponse(k.records, want),
			body: refusal(k.at), defStatus: defaultClient, wantStatus: "413",
			check: func(t *testing.T, a apiAnswer) {
				counts(k.name, 0, k.failed)(t, a)
				if a.Message != want {
					t.Errorf("%s: message %q, want %q", k.name, a.Message, want)
				}
			}})
	}
	runResponses(t, cases, nil)
}
