package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testLogger writes JSON lines without the time and duration, so logs can be golden.
func testLogger(w *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration_ms" {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGolden runs realistic Firehose invocations (Kinesis stream source) through Invoke, the
// exact path lambda.Start uses, and compares the response and log bytes with golden files.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/firehose-*.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		if strings.Contains(in, ".golden.") {
			continue
		}
		for _, mode := range []schema.UnknownFields{schema.KeepUnknown, schema.RejectUnknown} {
			base := strings.TrimSuffix(in, ".json") + "." + string(mode)
			t.Run(filepath.Base(base), func(t *testing.T) {
				payload, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				var logs bytes.Buffer
				tr := newTransformer(t, Options{UnknownFields: mode, Logger: testLogger(&logs)})
				resp, err := tr.Invoke(context.Background(), payload)
				if err != nil {
					t.Fatal(err)
				}
				var ev events.KinesisFirehoseEvent
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatal(err)
				}
				if _, err := firehosecheck.Response(schema.Default(), &ev, resp); err != nil {
					t.Fatal(err)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, resp, "", "  "); err != nil {
					t.Fatal(err)
				}
				// The raw bytes are what Lambda returns; the indented copy is for reading.
				golden(t, base+".golden.json", append(resp, '\n'))
				golden(t, base+".golden.pretty.json", append(pretty.Bytes(), '\n'))
				golden(t, base+".golden.log", logs.Bytes())
				for _, r := range ev.Records {
					if len(r.Data) > 8 && bytes.Contains(logs.Bytes(), r.Data[:8]) {
						t.Errorf("log contains record data %q", r.Data[:8])
					}
				}
			})
		}
	}
}

// TestResponseShape pins the envelope: aws-lambda-go's response type would add an empty
// otfMetadata object and a null partitionKeys to every record, which Firehose documents for
// Iceberg destinations only, so the transform writes the envelope itself.
func TestResponseShape(t *testing.T) {
	tr := newTransformer(t, Options{})
	ev := &events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{
		{RecordID: "ok", Data: event()},
		{RecordID: "bad", Data: []byte("x")},
	}}
	ev.Records[0].ApproximateArrivalTimestamp.Time = arrival
	resp, _, err := tr.Transform(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"records":[` +
		`{"recordId":"ok","result":"Ok","data":"eyJldmVudF9pZCI6ImUtMSIsImV2ZW50X3R5cGUiOiJwcm9ncmVzcyIsInVzZXJfaWQiOiJ1LTQyIiwib2NjdXJyZWRfYXQiOiIyMDI0LTA1LTAxVDExOjU5OjU5LjEyM1oiLCJpbmdlc3RlZF9hdCI6IjIwMjQtMDUtMDFUMTI6MDA6MDAuMDAwWiJ9","metadata":{"partitionKeys":{"year":"2024","month":"05","day":"01","hour":"11"}}},` +
		`{"recordId":"bad","result":"ProcessingFailed","data":"eA=="}]}`
	if string(resp) != want {
		t.Fatalf("got  %s\nwant %s", resp, want)
	}
	// What aws-lambda-go's own type would have produced, for contrast.
	theirs, _ := json.Marshal(events.KinesisFirehoseResponse{Records: []events.KinesisFirehoseResponseRecord{{RecordID: "x", Result: "Ok"}}})
	if !bytes.Contains(theirs, []byte(`"otfMetadata"`)) || !bytes.Contains(theirs, []byte(`"partitionKeys":null`)) {
		t.Fatalf("aws-lambda-go no longer adds otfMetadata/null partitionKeys (%s); the hand-written envelope may be unnecessary", theirs)
	}
	// And the aws-lambda-go type still reads ours.
	var parsed events.KinesisFirehoseResponse
	if err := json.Unmarshal(resp, &parsed); err != nil || len(parsed.Records) != 2 || parsed.Records[0].Metadata.PartitionKeys["hour"] != "11" {
		t.Fatalf("aws-lambda-go cannot read the response: %v %+v", err, parsed)
	}
}

func TestEmptyBatch(t *testing.T) {
	tr := newTransformer(t, Options{})
	resp, err := tr.Invoke(context.Background(), []byte(`{"invocationId":"i","records":[]}`))
	if err != nil || string(resp) != `{"records":[]}` {
		t.Fatalf("got %s %v", resp, err)
	}
	if _, err := tr.Invoke(context.Background(), []byte(`{"records":`)); err == nil {
		t.Fatal("a broken invocation payload was answered")
	}
}
