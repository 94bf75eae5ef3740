package recovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/testenv"
)

var day = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// redriveLake writes the error objects of a bad morning: records the transform failed, records
// the conversion failed (AWS's current spelling, with the transform's ingested_at), AWS's
// documented example as it stands, an object of another output type, and three corrupt
// objects. It returns the event ids that must reach the stream.
func redriveLake(t *testing.T, e *env) (want []string, corrupt []string) {
	var pf [][]byte
	for i := range 5 {
		id := fmt.Sprintf("pf-%d", i)
		want = append(want, id)
		pf = append(pf, event(id, "u-"+id))
	}
	e.put(errorKey(t, firehoserec.ProcessingFailed, day, "a"), errorObject(t, firehoserec.ProcessingFailed,
		firehoserec.CodeProcessingFailedStatus, firehoserec.MessageProcessingFailedStatus, day, pf...))

	conv := func(id string) []byte {
		want = append(want, id)
		data := `{"event_id":"` + id + `","event_type":"progress","user_id":"u","occurred_at":"2026-11-25T10:00:00.000Z","ingested_at":"2026-11-25T10:00:01.000Z"}`
		return fillSchema(awsFixture(t, "aws-format-conversion-failed.current.txt"), map[string]any{
			"rawData": b64([]byte(data)), "ErrorCode": firehoserec.CodeMalformedData, "ErrorMessage": "The value 'abc' is not a double", "arrivalTimestamp": day.UnixMilli()})
	}
	e.put(errorKey(t, firehoserec.FormatConversionFailed, day.Add(time.Hour), "b"), append(conv("fc-1"), conv("fc-2")...))

	// AWS's processing-failed example, one record a line as Firehose writes them: placeholders,
	// and "data" as the record (not JSON).
	e.put(errorKey(t, firehoserec.ProcessingFailed, day.Add(2*time.Hour), "c"), compact(t, awsFixture(t, "aws-processing-failed.json")))
	want = append(want, "data:"+string([]byte{0x75, 0xab, 0x5a}))

	e.put(errorKey(t, "partitioning-failed", day, "d"), errorObject(t, firehoserec.ProcessingFailed, "c", "m", day, event("dp-1", "u")))
	good := errorObject(t, firehoserec.ProcessingFailed, "c", "m", day, event("never-1", "u"))
	corrupt = []string{
		errorKey(t, firehoserec.ProcessingFailed, day, "bad-json"),
		errorKey(t, firehoserec.ProcessingFailed, day, "bad-base64"),
		errorKey(t, firehoserec.ProcessingFailed, day, "bad-gzip"),
	}
	e.put(corrupt[0], append(append([]byte{}, good...), []byte("{\"rawData\": \n")...))
	e.put(corrupt[1], append(append([]byte{}, good...), []byte(`{"rawData":"eyJh_joxfQ=="}`+"\n")...))
	e.put(corrupt[2], append([]byte{0x1f, 0x8b, 8, 0}, good...))
	return want, corrupt
}

func redriveJob(e *env, sel Selection, p *callPutter) Job {
	job := Job{Lake: e.lake, Kind: ErrorRecords, Prefixes: sel.Prefixes, Objects: sel.Objects, Fields: fields,
		Stream: e.stream, Options: quickRetry(), Now: func() time.Time { return day.Add(24 * time.Hour) }}
	if p != nil {
		job.Putter = p
	}
	return job
}

// Dry run, run, second run: AWS's formats are read, corrupt objects are skipped and named,
// every record reaches the stream once, and the second run sends nothing.
func TestRedrive(t *testing.T) {
	e := newEnv(t, day.Add(3*time.Hour)).withStream()
	want, corrupt := redriveLake(t, e)
	ctx := context.Background()
	sel, err := e.lake.SelectPrefix(ctx, "errors/")
	if err != nil || len(sel.Objects) != 7 {
		t.Fatalf("select: %d objects, %v", len(sel.Objects), err)
	}

	dry, err := Run(ctx, redriveJob(e, sel, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.stored(); len(got) != 0 {
		t.Fatalf("the dry run sent %d records", len(got))
	}
	if dry.Records.ToSend != 8 || dry.Objects.Completed != 3 || dry.Objects.Skipped != 4 || dry.Send != nil || e.exists(MarkerKey(sel.Objects[0].Key)) {
		t.Fatalf("dry run: %+v", dry)
	}
	for _, c := range e.calls.take() {
		if c.action != "s3:ListBucket" && c.action != "s3:GetObject" {
			t.Errorf("the dry run called %s %s", c.action, c.resource)
		}
	}

	p := e.putter(e.kinURL)
	rep, err := Run(ctx, redriveJob(e, sel, p))
	if err != nil {
		t.Fatal(err)
	}
	stored := e.stored()
	if len(stored) != len(want) {
		t.Errorf("stream holds %v, want %v", stored, want)
	}
	for _, id := range want {
		if stored[id] != 1 {
			t.Errorf("%q stored %d times", id, stored[id])
		}
	}
	if rep.OK() || rep.Records.Acknowledged != 8 || rep.Records.Failed != 0 || rep.Objects.Completed != 3 ||
		rep.Records.PipelineFieldsRemoved != 2 || rep.Records.FallbackKey != 1 || len(rep.Unmarked) != 0 {
		t.Errorf("report: %+v", rep)
	}
	reasons := map[string]string{}
	for _, s := range rep.Skipped {
		reasons[s.Key] = s.Reason
	}
	for key, want := range map[string]string{
		corrupt[0]: "corrupt object: record 2", corrupt[1]: "rawData is not standard base64", corrupt[2]: "corrupt object: gzip",
		errorKey(t, "partitioning-failed", day, "d"): "error output type partitioning-failed is not redriven",
	} {
		if !strings.Contains(reasons[key], want) {
			t.Errorf("%s: reason %q, want %q", key, reasons[key], want)
		}
	}
	for _, s := range rep.Skipped {
		if e.exists(MarkerKey(s.Key)) {
			t.Errorf("skipped %s has a marker", s.Key)
		}
	}
	m, err := e.lake.ReadMarker(ctx, errorKey(t, firehoserec.ProcessingFailed, day, "a"))
	if err != nil || !m.Complete || m.Records != 5 || m.Sent.Count() != 5 || m.Stream != e.stream || m.ETag == "" {
		t.Errorf("marker: %+v, %v", m, err)
	}

	e.calls.take()
	again, err := Run(ctx, redriveJob(e, sel, p))
	if err != nil {
		t.Fatal(err)
	}
	if again.Objects.AlreadyDone != 3 || again.Records.ToSend != 0 || len(e.stored()) != len(want) {
		t.Errorf("second run: %+v", again)
	}
	if slices.ContainsFunc(e.calls.take(), func(c call) bool { return c.action == "kinesis:PutRecords" || c.action == "s3:PutObject" }) {
		t.Error("the second run sent records or wrote markers")
	}
}

// --error-code sends only matching records; a later run without it sends the rest, once.
func TestRedriveErrorCode(t *testing.T) {
	e := newEnv(t, day.Add(time.Hour)).withStream()
	key := errorKey(t, firehoserec.ProcessingFailed, day, "mixed")
	obj := errorObject(t, firehoserec.ProcessingFailed, firehoserec.CodeFunctionError, firehoserec.MessageFunctionError, day, event("fe-1", "u"), event("fe-2", "u"))
	obj = append(obj, errorObject(t, firehoserec.ProcessingFailed, firehoserec.CodeProcessingFailedStatus, "m", day, event("ps-1", "u"))...)
	e.put(key, obj)
	ctx := context.Background()
	sel, err := e.lake.SelectPrefix(ctx, "errors/processing-failed/year=2026/month=11/day=25/")
	if err != nil {
		t.Fatal(err)
	}
	job := redriveJob(e, sel, e.putter(e.kinURL))
	job.ErrorCode = firehoserec.CodeFunctionError
	rep, err := Run(ctx, job)
	if err != nil || rep.Records.ToSend != 2 || rep.Records.Filtered != 1 || rep.Objects.Partial != 1 || !rep.OK() {
		t.Fatalf("filtered run: %+v, %v", rep, err)
	}
	if m, err := e.lake.ReadMarker(ctx, key); err != nil || m.Complete || m.Sent.Count() != 2 {
		t.Fatalf("partial marker: %+v %v", m, err)
	}
	rep, err = Run(ctx, redriveJob(e, sel, e.putter(e.kinURL)))
	if err != nil || rep.Records.ToSend != 1 || rep.Records.AlreadySent != 2 || rep.Objects.Completed != 1 || !rep.OK() {
		t.Fatalf("second run: %+v, %v", rep, err)
	}
	stored := e.stored()
	if len(stored) != 3 || stored["fe-1"] != 1 || stored["fe-2"] != 1 || stored["ps-1"] != 1 {
		t.Errorf("stream: %v", stored)
	}
}

// A run interrupted half-way (Ctrl-C after 700 acknowledged records, with the stream dropping
// records at random so retries are needed) resumes where it stopped, inside an object: in the
// end every record is in the stream exactly once.
func TestRedriveResumesAfterInterruption(t *testing.T) {
	e := newEnv(t, day.Add(time.Hour)).withStream()
	// The producer reads a few batches ahead of what it sends (an interrupted run finishes
	// those), so the first object is larger than that: the interruption lands inside it.
	sizes := []int{6000, 500}
	total := 0
	for o, n := range sizes {
		var data [][]byte
		for i := range n {
			data = append(data, event(fmt.Sprintf("ev-%d-%04d", o, i), fmt.Sprintf("u-%d", i%37)))
		}
		total += n
		e.put(errorKey(t, firehoserec.ProcessingFailed, day, fmt.Sprint("obj-", o)), errorObject(t, firehoserec.ProcessingFailed, "c", "m", day, data...))
	}
	proxy := testenv.NewFaultProxy(t, e.kinURL, testenv.Faults{DropEntry: 0.1}, 7)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sel, err := e.lake.SelectPrefix(ctx, "errors/processing-failed/")
	if err != nil {
		t.Fatal(err)
	}
	job := redriveJob(e, sel, nil)
	job.Putter = &cancelAfter{Putter: e.putter(proxy.URL), n: 700, cancel: cancel}
	job.Options.Concurrency = 2
	first, err := Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	acked := first.Records.Acknowledged
	t.Logf("interrupted after %d of %d records acknowledged", acked, total)
	if !first.Interrupted || first.OK() || acked < 700 || acked >= sizes[0] || first.Records.Failed != 0 {
		t.Fatalf("interrupted run: %+v", first)
	}
	if n := len(e.stored()); n != acked {
		t.Fatalf("stream holds %d records, the run reports %d acknowledged", n, acked)
	}
	m, err := e.lake.ReadMarker(context.Background(), sel.Objects[0].Key)
	if err != nil || m.Complete || m.Sent.Count() != acked || m.Records != sizes[0] {
		t.Fatalf("partial marker: %+v, %v", m, err)
	}
	if e.exists(MarkerKey(sel.Objects[1].Key)) {
		t.Error("the object never reached has a marker")
	}

	second, err := Run(context.Background(), redriveJob(e, sel, e.putter(proxy.URL)))
	if err != nil || !second.OK() || second.Records.AlreadySent != acked || second.Records.ToSend != total-acked || second.Objects.Completed != 2 {
		t.Fatalf("resumed run: %+v, %v", second, err)
	}
	stored := e.stored()
	if len(stored) != total {
		t.Errorf("%d distinct events in the stream, want %d", len(stored), total)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if c := proxy.Counts(); c.DroppedEntries == 0 {
		t.Errorf("the proxy dropped nothing: %+v", c)
	}
}

// failingPuts refuses every PutObject, as S3 does a role without s3:PutObject.
type failingPuts struct{ S3API }

func (failingPuts) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return nil, errors.New("AccessDenied: not allowed to write markers")
}

// When markers cannot be written, the run stops taking new objects (those the producer had
// already read still go out) and names what it sent without a marker.
func TestRedriveStopsWithoutMarkers(t *testing.T) {
	e := newEnv(t, day.Add(time.Hour)).withStream()
	const objects, perObject = 4, 1500 // more than the producer reads ahead
	for o := range objects {
		var data [][]byte
		for i := range perObject {
			data = append(data, event(fmt.Sprintf("m-%d-%d", o, i), "u"))
		}
		e.put(errorKey(t, firehoserec.ProcessingFailed, day, fmt.Sprint("o", o)), errorObject(t, firehoserec.ProcessingFailed, "c", "m", day, data...))
	}
	ctx := context.Background()
	sel, err := e.lake.SelectPrefix(ctx, "errors/")
	if err != nil {
		t.Fatal(err)
	}
	job := redriveJob(e, sel, e.putter(e.kinURL))
	job.Lake = &Lake{Client: failingPuts{e.s3}, Bucket: bucket, Prefixes: stackPrefixes}
	job.Options.Concurrency = 1
	rep, err := Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Records.ToSend >= objects*perObject || len(rep.Unmarked) == 0 || !strings.Contains(rep.Error, "AccessDenied") ||
		!slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "a new run would send") }) {
		t.Errorf("report: %+v", rep)
	}
	if n := len(e.stored()); n != rep.Records.Acknowledged {
		t.Errorf("%d records in the stream, %d acknowledged", n, rep.Records.Acknowledged)
	}
}
