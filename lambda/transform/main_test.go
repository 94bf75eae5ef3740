package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/transform"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigure(t *testing.T) {
	cases := []struct {
		name string
		env  func(string) (string, bool)
		err  string // substring; "" = ok
	}{
		{"keep", env("UNKNOWN_FIELDS", "keep"), ""},
		{"reject, any case", env("UNKNOWN_FIELDS", " Reject "), ""},
		{"missing unknown fields", env(), "UNKNOWN_FIELDS must be"},
		{"bad unknown fields", env("UNKNOWN_FIELDS", "drop"), `got "drop"`},
		{"skew", env("UNKNOWN_FIELDS", "keep", "MAX_FUTURE_SKEW", "15m"), ""},
		{"zero skew", env("UNKNOWN_FIELDS", "keep", "MAX_FUTURE_SKEW", "0s"), ""},
		{"bad skew", env("UNKNOWN_FIELDS", "keep", "MAX_FUTURE_SKEW", "an hour"), "MAX_FUTURE_SKEW must be a duration"},
		{"negative skew", env("UNKNOWN_FIELDS", "keep", "MAX_FUTURE_SKEW", "-1h"), "between 0s and 168h"},
		{"level", env("UNKNOWN_FIELDS", "keep", "LOG_LEVEL", "debug"), ""},
		{"Lambda's level", env("UNKNOWN_FIELDS", "keep", "AWS_LAMBDA_LOG_LEVEL", "WARN"), ""},
		{"bad level", env("UNKNOWN_FIELDS", "keep", "LOG_LEVEL", "loud"), "LOG_LEVEL must be"},
		{"bad Lambda level", env("UNKNOWN_FIELDS", "keep", "AWS_LAMBDA_LOG_LEVEL", "loud"), "AWS_LAMBDA_LOG_LEVEL must be"},
		{"every problem at once", env("UNKNOWN_FIELDS", "x", "MAX_FUTURE_SKEW", "x", "LOG_LEVEL", "x"), "LOG_LEVEL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := configure(c.env, &bytes.Buffer{})
			if c.err == "" {
				if err != nil || tr == nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want one containing %q", err, c.err)
			}
		})
	}
}

// TestConfigureWires checks the settings reach the transformer: reject mode, the skew and
// the log level, through one invocation.
func TestConfigureWires(t *testing.T) {
	var logs bytes.Buffer
	tr, err := configure(env("UNKNOWN_FIELDS", "reject", "MAX_FUTURE_SKEW", "10m", "LOG_LEVEL", "WARN"), &logs)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ev := &events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{
		{RecordID: "unknown", Data: []byte(`{"event_id":"a","event_type":"b","user_id":"c","occurred_at":"2024-05-01T12:00:00Z","x":1}`)},
		{RecordID: "skew", Data: []byte(`{"event_id":"a","event_type":"b","user_id":"c","occurred_at":"2024-05-01T12:10:00.001Z"}`)},
		{RecordID: "ok", Data: []byte(`{"event_id":"a","event_type":"b","user_id":"c","occurred_at":"2024-05-01T12:10:00Z"}`)},
	}}
	for i := range ev.Records {
		ev.Records[i].ApproximateArrivalTimestamp.Time = at
	}
	_, st, err := tr.Transform(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if st.OK != 1 || st.FailedByRule[transform.RuleUnknownField] != 1 || st.FailedByRule[transform.RuleTimestampRange] != 1 {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(logs.String(), "\n"); n != 2 || strings.Contains(logs.String(), "batch transformed") {
		t.Fatalf("want two WARN lines and no INFO summary, got:\n%s", logs.String())
	}
}
