package apisim_test

// A body over its route's limit: apisim refuses it with the answer the deployed API gives,
// which is the response template's reading of Kinesis's refusal of the request template's
// stand-in, and nothing reaches the sink.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/vtl"
)

// paddedEvent is a valid event (unknown fields kept) whose body is n UTF-16 code units long.
func paddedEvent(t *testing.T, n int) string {
	t.Helper()
	base := event(1, "u-1")
	pad := n - len(base) - len(`"pad":"",`)
	body := `{"pad":"` + strings.Repeat("x", pad) + `",` + base[1:]
	if apispec.BodyLength([]byte(body)) != n {
		t.Fatalf("padded event is %d long, want %d", apispec.BodyLength([]byte(body)), n)
	}
	return body
}

// standIn is what a request template sends Kinesis instead of a body over the limit.
type standIn struct {
	StreamName      string
	Data            []byte
	PartitionKey    string
	ExplicitHashKey string
	Records         []types.PutRecordsRequestEntry
}

// refusal sends the stand-in to kinesalite and returns Kinesis's answer as its JSON body.
func refusal(t *testing.T, c *kinesis.Client, in standIn) string {
	t.Helper()
	var err error
	if in.Records != nil {
		_, err = c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: &in.StreamName, Records: in.Records})
	} else {
		_, err = c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: &in.StreamName, Data: in.Data, PartitionKey: &in.PartitionKey, ExplicitHashKey: &in.ExplicitHashKey})
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Kinesis stored the stand-in (err %v)", err)
	}
	b, _ := json.Marshal(map[string]string{"__type": ae.ErrorCode(), "message": ae.ErrorMessage()})
	return string(b)
}

func TestBodiesOverTheLimitMatchTheTemplates(t *testing.T) {
	client := testenv.KinesisClient(testenv.Kinesalite(t))
	testenv.CreateStream(t, client, stream, 1)
	cases := []struct {
		name, path, body string
		batch            bool
	}{
		{"event one over", "/v1/events", paddedEvent(t, apispec.MaxEventBytes+1), false},
		{"batch one over", "/v1/events/batch", batch(paddedEvent(t, apispec.MaxBatchBytes-len(batch(""))+1)), true},
	}
	for _, c := range cases {
		sink := &scripted{}
		a := serve(newHandler(t, sink, ""), post(c.path, c.body))
		if len(sink.got) != 0 {
			t.Errorf("%s: %d records reached the sink", c.name, len(sink.got))
		}
		// The deployed API: the request template's stand-in, Kinesis's refusal, the response template.
		tmpl, cors := vtl.PutRecordRequest(stream, "user_id"), vtl.CORS{}
		answer := cors.ClientErrorResponse(vtl.SingleRecordCount, vtl.TooLargeMessage(false))
		if c.batch {
			tmpl, answer = vtl.PutRecordsRequest(stream, "user_id"), cors.ClientErrorResponse(vtl.BatchRecordCount, vtl.TooLargeMessage(true))
		}
		req := testenv.RenderVTL[testenv.VTLJob, testenv.VTLResult](t, []testenv.VTLJob{{Template: tmpl, Mode: "request", Body: c.body, Context: map[string]any{"requestId": requestID}}})[0]
		var in standIn
		if err := json.Unmarshal([]byte(req.Output), &in); err != nil || req.Error != "" {
			t.Fatalf("%s: template output %v %s:\n%.300s", c.name, err, req.Error, req.Output)
		}
		body := refusal(t, client, in)
		res := testenv.RenderVTL[testenv.VTLJob, testenv.VTLResult](t, []testenv.VTLJob{{Template: answer, Mode: "response", Body: body, Context: map[string]any{"requestId": requestID}}})[0]
		if res.Status == nil || *res.Status != "413" || a.status != http.StatusRequestEntityTooLarge || a.retryAfter != "" {
			t.Errorf("%s: template status %v for Kinesis's %s; apisim %d", c.name, deref(res.Status), body, a.status)
		}
		sameJSON(t, c.name, a.body, res.Output)
	}
	if n := len(testenv.ReadAll(t, client, stream)); n != 0 {
		t.Errorf("the stream holds %d records after refused bodies", n)
	}
}

// At the limit, a body is forwarded; over it no record is made, on either route.
func TestBodyLimitsAreExact(t *testing.T) {
	for _, c := range []struct {
		path  string
		body  func(n int) string
		limit int
	}{
		{"/v1/events", func(n int) string { return paddedEvent(t, n) }, apispec.MaxEventBytes},
		{"/v1/events/batch", func(n int) string { return batch(paddedEvent(t, n-len(batch("")))) }, apispec.MaxBatchBytes},
	} {
		for _, n := range []int{c.limit, c.limit + 1} {
			sink := &scripted{results: failures(1, nil)}
			a := serve(newHandler(t, sink, ""), post(c.path, c.body(n)))
			if want := n <= c.limit; (a.status == http.StatusOK) != want || (len(sink.got) == 1) != want {
				t.Errorf("%s, %s characters: %d, %d records", c.path, strconv.Itoa(n), a.status, len(sink.got))
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}
