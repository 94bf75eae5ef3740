package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

// TestPanicFailsOneRecord injects a panic into one record: that record alone is answered
// ProcessingFailed with its data, logged at ERROR, and the batch goes on.
func TestPanicFailsOneRecord(t *testing.T) {
	testHook = func(data []byte) {
		if bytes.Contains(data, []byte("boom")) {
			var m map[string]int
			m["x"]++ //nolint:staticcheck // a nil map write: a real runtime panic, on purpose
		}
	}
	defer func() { testHook = nil }()
	var logs bytes.Buffer
	tr := newTransformer(t, Options{Logger: testLogger(&logs)})
	ev := &events.KinesisFirehoseEvent{InvocationID: "p", Records: []events.KinesisFirehoseEventRecord{
		{RecordID: "1", Data: event()},
		{RecordID: "2", Data: event(`"event_id":"boom"`)},
		{RecordID: "3", Data: event()},
	}}
	for i := range ev.Records {
		ev.Records[i].ApproximateArrivalTimestamp.Time = arrival
	}
	resp, st, err := tr.Transform(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	res, err := firehosecheck.Response(schema.Default(), ev, resp)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Result != "Ok" || res[1].Result != "ProcessingFailed" || res[2].Result != "Ok" || st.FailedByRule[RuleInternal] != 1 {
		t.Fatalf("results %v %v %v, stats %+v", res[0].Result, res[1].Result, res[2].Result, st)
	}
	var line map[string]any
	first, _, _ := strings.Cut(logs.String(), "\n")
	if err := json.Unmarshal([]byte(first), &line); err != nil || line["level"] != "ERROR" || line["rule"] != "internal" || line["record_id"] != "2" {
		t.Fatalf("log line %s", first)
	}
	if !strings.Contains(first, "nil map") {
		t.Fatalf("panic value not logged: %s", first)
	}
}
