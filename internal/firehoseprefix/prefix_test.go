package firehoseprefix

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

var at = time.Date(2024, 5, 1, 7, 30, 9, 0, time.UTC)

// The stack's own prefixes evaluate to the lake layout the Glue table and the ops CLI expect.
func TestStackPrefixes(t *testing.T) {
	s := schema.Default()
	ev := lakelayout.DeliveryPrefixes(s, lakelayout.EventTime)
	arr := lakelayout.DeliveryPrefixes(s, lakelayout.ArrivalTime)
	keys := map[string]string{"year": "2023", "month": "12", "day": "31", "hour": "23"}
	tokyo := at.In(time.FixedZone("JST", 9*3600)) // formatted in UTC whatever the zone
	cases := []struct {
		name, prefix string
		v            Values
		want         string
	}{
		{"event-time data", ev.Data, Values{Time: at, PartitionKeys: keys}, "data/year=2023/month=12/day=31/hour=23/"},
		{"arrival-time data", arr.Data, Values{Time: tokyo}, "data/year=2024/month=05/day=01/hour=07/"},
		{"errors", ev.Errors, Values{Time: at, ErrorOutputType: "processing-failed"}, "errors/processing-failed/year=2024/month=05/day=01/hour=07/"},
		{"raw", ev.Raw, Values{Time: at}, "raw/year=2024/month=05/day=01/hour=07/"},
		{"raw errors", ev.RawErrors, Values{Time: at, ErrorOutputType: "processing-failed"}, "errors/raw-backup/processing-failed/year=2024/month=05/day=01/hour=07/"},
	}
	for _, c := range cases {
		got, err := Evaluate(c.prefix, c.v)
		if err != nil || got != c.want {
			t.Errorf("%s: Evaluate(%q) = %q, %v; want %q", c.name, c.prefix, got, err, c.want)
			continue
		}
		// Match reads back what Evaluate wrote.
		name := ObjectName("streamlake-dev-delivery", 1, at, "0b9f6a52-1c1e-4a57-9d0c-5a1f0e7f6b11")
		v, rest, ok := Match(c.prefix, got+name)
		if !ok || rest != name || v.ErrorOutputType != c.v.ErrorOutputType {
			t.Errorf("%s: Match = %+v %q %v", c.name, v, rest, ok)
		}
		for k, want := range c.v.PartitionKeys {
			if v.PartitionKeys[k] != want {
				t.Errorf("%s: Match key %s = %q, want %q", c.name, k, v.PartitionKeys[k], want)
			}
		}
		if strings.Contains(c.prefix, "!{timestamp:") && !v.Time.Equal(at.Truncate(time.Hour)) {
			t.Errorf("%s: Match time %v, want %v", c.name, v.Time, at.Truncate(time.Hour))
		}
	}
}

// The examples of AWS's "Custom prefixes for Amazon S3 objects" page.
func TestAWSExamples(t *testing.T) {
	at := time.Date(2018, 7, 6, 23, 30, 0, 0, time.UTC)
	got, err := Evaluate(`myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}`,
		Values{Time: at, ErrorOutputType: "processing-failed"})
	if want := "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed"; err != nil || got != want {
		t.Errorf("quoted literals: %q, %v; want %q", got, err, want)
	}
	got, err = Evaluate(`myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}/!{firehose:random-string}`, Values{Time: at})
	parts := regexp.MustCompile(`^myFirehose/DeliveredYear=2018/anyMonth/rand=([0-9a-f]{8}-[0-9a-f]{2})/([0-9a-f]{8}-[0-9a-f]{2})$`).FindStringSubmatch(got)
	if err != nil || parts == nil || parts[1] == parts[2] {
		t.Errorf("random strings: %q, %v (each occurrence is new)", got, err)
	}
	if got, _ := FormatJava(at, "yy''MM"); got != "18'07" {
		t.Errorf("escaped quote: %q", got)
	}
}

func TestEvaluateErrors(t *testing.T) {
	cases := []struct{ prefix, want string }{
		{"data/year=!{partitionKeyFromLambda:year}/", `record has no partition key "year"`},
		{"errors/!{firehose:error-output-type}/", "no error output type"},
		{"x/!{timestamp:YYYY}/", `letter 'Y' at 0 is not one of`},
		{"x/!{timestamp:yyy}/", `letter 'y' at 0 is not one of`},
		{"x/!{timestamp:'year}/", "unterminated quote"},
		{"x/!{firehose:shard-id}/", "unknown firehose value"},
		{"x/!{kinesis:shard}/", "unknown namespace"},
		{"x/!{timestamp:yyyy/", "malformed"},
	}
	for _, c := range cases {
		got, err := Evaluate(c.prefix, Values{Time: at})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.prefix) {
			t.Errorf("Evaluate(%q) = %q, %v; want an error naming the prefix and %q", c.prefix, got, err, c.want)
		}
	}
	if _, err := Evaluate("data/!{timestamp:yyyy}/", Values{}); err == nil {
		t.Error("a timestamp expression needs a time")
	}
}

func TestMatchRejects(t *testing.T) {
	p := lakelayout.DeliveryPrefixes(schema.Default(), lakelayout.EventTime)
	for _, key := range []string{
		"errors/processing-failed/year=2024/month=02/day=31/hour=00/x", // no such day
		"errors/processing-failed/year=2024/month=02/day=01/hour=00/",  // no object name
		"errors/processing-failed/year=2024/month=02/day=01/x",         // hour missing
		"raw/year=2024/month=02/day=01/hour=00/x",                      // another prefix
		"errors/processing-failed/year=2024/month=02/day=01/hour=00/a/b",
	} {
		if v, name, ok := Match(p.Errors, key); ok {
			t.Errorf("Match(%q) = %+v %q", key, v, name)
		}
	}
}

func TestObjectName(t *testing.T) {
	if got := ObjectName("streamlake-dev-delivery", 3, at.In(time.FixedZone("", -5*3600)), "u"); got != "streamlake-dev-delivery-3-2024-05-01-07-30-09-u" {
		t.Errorf("ObjectName %q", got)
	}
}
