package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/recovery"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
)

// lakeStandins is a lake bucket in gofakes3 and a stream in kinesalite behind one endpoint,
// as the CLI has one --endpoint-url.
type lakeStandins struct {
	t        *testing.T
	clock    gofakes3.TimeSourceAdvancer
	s3       *s3.Client
	kin      *kinesis.Client
	endpoint string
}

const (
	testBucket = "lake-bucket"
	testStream = "lake-stream"
)

var incident = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// defaultPrefixes are the default dataset's error and raw prefixes.
var defaultPrefixes = recovery.DatasetPrefixes(schema.DefaultDataset, schema.Default())

func newLakeStandins(t *testing.T) *lakeStandins {
	t.Helper()
	fakeAWS(t)
	clock := gofakes3.FixedTimeSource(incident.Add(time.Hour))
	s3url := testenv.FakeS3(t, clock)
	kin := testenv.Kinesalite(t)
	l := &lakeStandins{t: t, clock: clock, s3: testenv.S3Client(s3url), kin: testenv.KinesisClient(kin), endpoint: testenv.AWSRouter(t, kin, s3url)}
	testenv.CreateBucket(t, l.s3, testBucket)
	testenv.CreateStream(t, l.kin, testStream, 1)
	return l
}

func (l *lakeStandins) args(cmd string, more ...string) []string {
	return append([]string{cmd, "--bucket", testBucket, "--endpoint-url", l.endpoint, "--region", testenv.Region}, more...)
}

func (l *lakeStandins) put(key string, body []byte) {
	l.t.Helper()
	if _, err := l.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		l.t.Fatal(err)
	}
}

// errorObject puts an error object of typ whose records failed with code and carry events ids.
func (l *lakeStandins) errorObject(typ, code, msg, name string, ids ...string) string {
	l.t.Helper()
	var obj []byte
	for _, id := range ids {
		var err error
		obj, err = firehoserec.Append(obj, typ, firehoserec.Record{AttemptsMade: 1, ArrivalTimestamp: incident, ErrorCode: code, ErrorMessage: msg, RawData: testEvent(id)})
		if err != nil {
			l.t.Fatal(err)
		}
	}
	key, err := firehoserec.ObjectKey(defaultPrefixes.Errors, typ, incident, firehoseprefix.ObjectName("delivery", 1, incident, name))
	if err != nil {
		l.t.Fatal(err)
	}
	l.put(key, obj)
	return key
}

// rawObject puts the raw backup Firehose wrote at: events id and id+"b", gzipped and
// concatenated without a delimiter.
func (l *lakeStandins) rawObject(at time.Time, id string) {
	l.t.Helper()
	p, err := firehoseprefix.Evaluate(defaultPrefixes.Raw, firehoseprefix.Values{Time: at})
	if err != nil {
		l.t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(append(testEvent(id), testEvent(id+"b")...))
	_ = zw.Close()
	l.put(p+firehoseprefix.ObjectName("delivery", 1, at, id)+".gz", gz.Bytes())
}

func testEvent(id string) []byte {
	return fmt.Appendf(nil, `{"event_id":%q,"event_type":"progress","user_id":"u-1","occurred_at":"2026-11-25T10:00:00Z"}`, id)
}

// stored counts each event_id in the stream.
func (l *lakeStandins) stored() map[string]int {
	out := map[string]int{}
	for _, d := range testenv.ReadAll(l.t, l.kin, testStream) {
		var ev struct {
			ID string `json:"event_id"`
		}
		_ = json.Unmarshal(d, &ev)
		out[ev.ID]++
	}
	return out
}

type jobJSON struct {
	Command string `json:"command"`
	OK      bool   `json:"ok"`
	DryRun  bool   `json:"dry_run"`
	Objects struct {
		Listed, Completed, Skipped int
		AlreadyDone                int `json:"already_done"`
	} `json:"objects"`
	Records struct {
		ToSend       int `json:"to_send"`
		Acknowledged int `json:"acknowledged"`
	} `json:"records"`
	Skipped  []recovery.Skip `json:"skipped"`
	Warnings []string        `json:"warnings"`
}

// redrive end to end: a dry run sends nothing, a run sends each record once and marks the
// objects, a second run sends nothing; a corrupt object makes the exit status 1 and is named.
func TestRedriveCommand(t *testing.T) {
	l := newLakeStandins(t)
	l.errorObject(firehoserec.ProcessingFailed, firehoserec.CodeProcessingFailedStatus, firehoserec.MessageProcessingFailedStatus, "a", "e-1", "e-2")
	l.errorObject(firehoserec.ProcessingFailed, firehoserec.CodeFunctionError, firehoserec.MessageFunctionError, "b", "e-3")
	prefix := "errors/processing-failed/year=2026/month=11/day=25/"
	c := cli{t: t}

	r := c.run(l.args("redrive", "--prefix", prefix, "--to-stream", testStream, "--dry-run", "--json")...)
	var out jobJSON
	decodeJSON(t, r.stdout, &out)
	if r.code != exitOK || !out.DryRun || out.Records.ToSend != 3 || len(l.stored()) != 0 || out.Skipped == nil || out.Warnings == nil {
		t.Fatalf("dry run: exit %d, %+v, stream %v\n%s", r.code, out, l.stored(), r.stderr)
	}

	r = c.run(l.args("redrive", "--prefix", prefix, "--to-stream", testStream)...)
	if r.code != exitOK {
		t.Fatalf("redrive: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"redrive s3://" + testBucket + "/" + prefix + " -> Kinesis stream " + testStream, "objects   2 listed: 2 completed", "3 sent, 3 acknowledged, 0 failed", "events      3 sent, 3 delivered"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if s := l.stored(); len(s) != 3 || s["e-1"] != 1 || s["e-2"] != 1 || s["e-3"] != 1 {
		t.Errorf("stream: %v", s)
	}

	r = c.run(l.args("redrive", "--prefix", prefix, "--to-stream", testStream, "--json")...)
	decodeJSON(t, r.stdout, &out)
	if r.code != exitOK || out.Objects.AlreadyDone != 2 || out.Records.ToSend != 0 || len(l.stored()) != 3 {
		t.Errorf("second run: exit %d, %+v", r.code, out)
	}

	bad := l.errorObject(firehoserec.ProcessingFailed, "c", "m", "bad", "e-4")
	l.put(bad, []byte(`{"rawData":"not base64!"}`+"\n"))
	r = c.run(l.args("redrive", "--prefix", prefix, "--to-stream", testStream)...)
	if r.code != exitFail || !strings.Contains(r.stdout, "skipped   "+bad+": corrupt object: record 1") {
		t.Errorf("corrupt object: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = c.run(l.args("redrive", "--prefix", "errors/processing-failed/year=2027/", "--to-stream", testStream)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "no objects under") {
		t.Errorf("empty prefix: exit %d\n%s", r.code, r.stderr)
	}
}

// redrive and replay of a dataset read its own folders (errors/<name>/, raw/<name>/): a
// prefix under the dataset's errors folder is accepted with --dataset, and the messages name
// the dataset's folders.
func TestRecoveryOfADataset(t *testing.T) {
	withExampleDataset(t)
	l := newLakeStandins(t)
	ds, err := schema.LoadDataset(filepath.Join("..", "..", schema.ExampleDatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	p := recovery.DatasetPrefixes(ds.Name, ds.Schema)
	obj, err := firehoserec.Append(nil, firehoserec.ProcessingFailed, firehoserec.Record{AttemptsMade: 1, ArrivalTimestamp: incident, ErrorCode: "c", ErrorMessage: "m", RawData: testEvent("q-1")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := firehoserec.ObjectKey(p.Errors, firehoserec.ProcessingFailed, incident, firehoseprefix.ObjectName("delivery", 1, incident, "q"))
	if err != nil {
		t.Fatal(err)
	}
	l.put(key, obj)
	prefix := "errors/quiz_answers/processing-failed/year=2026/"
	r := cli{t: t}.run(l.args("redrive", "--dataset", "quiz_answers", "--prefix", prefix, "--to-stream", testStream, "--dry-run", "--json")...)
	var out jobJSON
	decodeJSON(t, r.stdout, &out)
	if r.code != exitOK || out.Objects.Listed != 1 || out.Records.ToSend != 1 {
		t.Errorf("redrive --dataset quiz_answers: exit %d, %+v\n%s", r.code, out, r.stderr)
	}
	r = cli{t: t}.run(l.args("redrive", "--dataset", "quiz_answers", "--prefix", "errors/quiz_answers/processing-failed/year=2027/", "--to-stream", testStream, "--dry-run")...)
	if r.code != exitOK || !strings.Contains(r.stderr, "error objects are under "+p.Errors) {
		t.Errorf("an empty prefix names the dataset's error folder: exit %d\n%s", r.code, r.stderr)
	}
	r = cli{t: t}.run(l.args("redrive", "--dataset", "quiz_answers", "--prefix", "errors/processing-failed/", "--to-stream", testStream, "--dry-run")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "not under errors/quiz_answers/") {
		t.Errorf("the default's folder for a dataset: exit %d\n%s", r.code, r.stderr)
	}
	r = cli{t: t}.run(l.args("replay", "--dataset", "quiz_answers", "--from", "2026-11-25T10", "--to", "2026-11-25T11", "--to-stream", testStream, "--dry-run")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "s3://"+testBucket+"/raw/quiz_answers/ hours") {
		t.Errorf("replay --dataset quiz_answers: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// replay warns of double storage and sends the hours asked for.
func TestReplayCommand(t *testing.T) {
	l := newLakeStandins(t)
	for h, id := range []string{"r-9", "r-10", "r-11"} {
		l.rawObject(incident.Add(time.Duration(h-1)*time.Hour), id)
	}
	r := cli{t: t}.run(l.args("replay", "--from", "2026-11-25T10", "--to", "2026-11-25T11", "--to-stream", testStream)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "WARNING: records of these hours already in the lake will be stored twice") ||
		!strings.Contains(r.stderr, "deduplicate on event_id") || !strings.Contains(r.stdout, "2 sent, 2 acknowledged") {
		t.Fatalf("replay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if s := l.stored(); len(s) != 2 || s["r-10"] != 1 || s["r-10b"] != 1 {
		t.Errorf("stream: %v", s)
	}
}

// errors prints a table by type, code and message, and snake_case JSON with lists, not null.
func TestErrorsCommand(t *testing.T) {
	l := newLakeStandins(t)
	empty := cli{t: t}.run(l.args("errors", "--json")...)
	for _, want := range []string{`"listed_prefixes": []`, `"groups": []`, `"unreadable": []`, `"objects": 0`} {
		if empty.code != exitOK || !strings.Contains(empty.stdout, want) {
			t.Errorf("errors --json on an empty lake: exit %d, lacks %s\n%s", empty.code, want, empty.stdout)
		}
	}
	l.errorObject(firehoserec.ProcessingFailed, firehoserec.CodeFunctionError, "request 1b4f0e98-5197-4998-8e73-2078544c96b3 failed", "a", "e-1", "e-2")
	l.errorObject(firehoserec.ProcessingFailed, firehoserec.CodeFunctionError, "request 7c9e6679-7425-40de-944b-e07fc1f90ae7 failed", "b", "e-3", "e-4")
	c := cli{t: t, now: func() time.Time { return incident.Add(2 * time.Hour) }}
	r := c.run(l.args("errors")...)
	if r.code != exitOK {
		t.Fatalf("errors: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"2 objects (2 read", "4 records", "TYPE  ", "EXAMPLE EVENT_IDS", "processing-failed  Lambda.FunctionError  4", "e-1,e-2,e-3", "request <uuid> failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("errors lacks %q:\n%s", want, r.stdout)
		}
	}
	r = c.run(l.args("errors", "--json", "--since", "30m")...)
	if r.code != exitOK || !strings.Contains(r.stdout, `"groups": []`) || !strings.Contains(r.stdout, `"unreadable": []`) || !strings.Contains(r.stdout, `"listed_prefixes": [`) {
		t.Errorf("errors --json, nothing in the window: exit %d\n%s", r.code, r.stdout)
	}
	r = c.run(l.args("errors", "--json")...)
	var rep map[string]any
	decodeJSON(t, r.stdout, &rep)
	g := rep["groups"].([]any)[0].(map[string]any)
	for _, k := range []string{"error_output_type", "error_code", "message", "example_message", "records", "objects", "first", "last", "example_event_ids", "records_not_json", "records_without_event_id", "redriven"} {
		if _, ok := g[k]; !ok {
			t.Errorf("group lacks %q: %v", k, g)
		}
	}
}

// Usage errors name the flag, the value and the rule, with exit status 2, before any AWS call.
func TestRecoveryUsageErrors(t *testing.T) {
	c := cli{t: t}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"redrive", "--bucket", "b"}, "--prefix is required"},
		{[]string{"redrive", "--prefix", "raw/year=2026/"}, `--prefix: prefix "raw/year=2026/" is not under errors/`},
		{[]string{"redrive", "--prefix", "errors/", "--concurrency", "0"}, "--concurrency 0 is out of range: allowed 1..64"},
		{[]string{"redrive", "--prefix", "errors/", "--max-attempts", "1000"}, "--max-attempts 1000 is out of range: allowed 1..100"},
		{[]string{"errors", "--since", "10s"}, "--since 10s is out of range: allowed 1m..365d"},
		{[]string{"errors", "--max-objects", "0"}, "--max-objects 0 is out of range: allowed 1..100000"},
		{[]string{"replay", "--from", "2026-11-01", "--to", "2026-11-02T00"}, `--from "2026-11-01": want a UTC hour as 2006-01-02T15`},
		{[]string{"replay", "--from", "2026-11-02T00", "--to", "2026-11-01T00"}, "--to 2026-11-01T00 must be 1..8784 hours after --from 2026-11-02T00, is -24"},
		{[]string{"replay", "--from", "2026-11-01T00", "--to", "2026-11-02T00", "--concurrency", "65"}, "--concurrency 65 is out of range: allowed 1..64"},
	} {
		r := c.run(tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestJobBar(t *testing.T) {
	var b bytes.Buffer
	p := &jobBar{progressBar{w: &b, start: time.Now()}}
	p.update(recovery.Progress{Objects: 4, ObjectsRead: 2, Send: summaryWith(300, 2, 1)})
	p.done()
	for _, want := range []string{"[##############..............]", "2/4 objects", "300 acknowledged", "retries 2", "failed 1", "\r\x1b[K"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("progress %q lacks %q", b.String(), want)
		}
	}
}
