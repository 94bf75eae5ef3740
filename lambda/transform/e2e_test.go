package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/lambdaruntime"
	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// buildBootstrap builds the real function with lambdapkg for the host architecture and
// extracts bootstrap from the zip, as Lambda does.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the Lambda binary runs on linux/amd64 or linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := lambdaruntime.BuildBootstrap(ctx, lambdapkg.Options{OutDir: t.TempDir(), GOARCH: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// function is the running bootstrap behind a local Lambda runtime API, and its output.
type function struct {
	*lambdaruntime.Function
	stdout, stderr *output
}

// output is a file the function's stdout or stderr goes to: the process writes it itself
// (no copying goroutine for the test's reads to race with) and the test reads it at any time.
type output struct{ *os.File }

func newOutput(t *testing.T, name string) *output {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return &output{f}
}

func (o *output) String() string {
	b, err := os.ReadFile(o.Name())
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// start runs bootstrap with env (and a time zone that is not UTC) behind a runtime API, and
// stops it by pid when the test ends. The error is Start's: an init error or an early exit.
func start(t *testing.T, bin string, env ...string) (*function, error) {
	t.Helper()
	f := &function{stdout: newOutput(t, "stdout"), stderr: newOutput(t, "stderr")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fn, err := lambdaruntime.Start(ctx, lambdaruntime.Config{
		Bootstrap: bin, Env: append([]string{"TZ=Asia/Tokyo", "PATH=/usr/bin:/bin"}, env...),
		FunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:streamlake-dev-transform",
		Timeout:     time.Minute, Stdout: f.stdout.File, Stderr: f.stderr.File,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", f.stdout, f.stderr)
		}
	})
	if err != nil {
		return f, err
	}
	f.Function = fn
	t.Cleanup(func() { _ = fn.Stop() })
	return f, nil
}

// invoke hands the payload to the function and waits for its answer.
func (f *function) invoke(t *testing.T, payload []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.Invoke(ctx, payload)
}

// TestLambdaEndToEnd runs the real bootstrap binary against a local runtime API and feeds it
// Firehose invocations: the golden batch, a maximum-size batch with bad records, the
// worst-case batch of minimal records, an empty batch and a broken payload.
func TestLambdaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda binary")
	}
	bin := buildBootstrap(t)
	p, err := start(t, bin, "UNKNOWN_FIELDS=keep", "LOG_LEVEL=INFO", "MAX_FUTURE_SKEW=1h")
	if err != nil {
		t.Fatal(err)
	}
	s := schema.Default()
	decode := func(payload []byte) *events.KinesisFirehoseEvent {
		var ev events.KinesisFirehoseEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	ok := func(body []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatalf("invocation failed: %v", err)
		}
		return body
	}
	summaries := 0

	// 1. The golden batch: the binary answers byte for byte what the package test pinned.
	payload, err := os.ReadFile("../../transform/testdata/firehose-kinesis-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../transform/testdata/firehose-kinesis-batch.keep.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := ok(p.invoke(t, payload)); !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("golden batch: got\n%s\nwant\n%s", got, want)
	}
	summaries++

	// 2. A maximum-size batch (SafeProcessorBufferMiB of data) with a bad record every 97th,
	// one of which carries a marker that must never reach the logs.
	const marker = "PII-MARKER-4711"
	full := maxBatch(t, int(transform.SafeProcessorBufferMiB*(1<<20)), marker)
	payload, _ = json.Marshal(full)
	resp := ok(p.invoke(t, payload))
	res, err := firehosecheck.Response(s, full, resp)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, r := range res {
		if bad := i%97 == 0; bad != (r.Result == events.KinesisFirehoseTransformedStateProcessingFailed) {
			t.Fatalf("record %d: %s", i, r.Result)
		}
		if r.Result != events.KinesisFirehoseTransformedStateOk {
			failed++
		}
	}
	t.Logf("max batch: %d records, %d failed, request %d bytes, response %d bytes", len(full.Records), failed, len(payload), len(resp))
	summaries++

	// 3. The worst case for the response size: minimal valid records filling the buffer.
	worst := minimalBatch(int(transform.SafeProcessorBufferMiB * (1 << 20)))
	payload, _ = json.Marshal(worst)
	resp = ok(p.invoke(t, payload))
	if res, err = firehosecheck.Response(s, worst, resp); err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Result != events.KinesisFirehoseTransformedStateOk {
			t.Fatalf("worst batch record %d: %s", i, r.Result)
		}
	}
	if len(resp) > transform.MaxResponseBytes {
		t.Fatalf("worst batch: response %d bytes", len(resp))
	}
	// With real 56-digit sequence numbers this request is over Lambda's 6 MB, so Firehose could
	// not even send it; the response fits all the same.
	t.Logf("worst batch: %d records, request %d bytes, response %d bytes (%.1f%% of the limit)", len(worst.Records), len(payload), len(resp), 100*float64(len(resp))/transform.MaxResponseBytes)
	summaries++

	// 4. An empty batch, then a payload that is not a Firehose event: the function reports an
	// error for that invocation and keeps serving.
	empty := decode([]byte(`{"invocationId":"e","records":[]}`))
	payload, _ = json.Marshal(empty)
	if got := ok(p.invoke(t, payload)); string(got) != `{"records":[]}` {
		t.Fatalf("empty batch: %s", got)
	}
	summaries++
	var fe *lambdaruntime.FunctionError
	if _, err := p.invoke(t, []byte(`{"records":"nope"}`)); !errors.As(err, &fe) || !bytes.Contains(fe.Body, []byte("decode the Firehose event")) {
		t.Fatalf("broken payload: %v", err)
	}
	payload, _ = os.ReadFile("../../transform/testdata/firehose-kinesis-batch.json")
	ok(p.invoke(t, payload))
	summaries++

	// Still serving; stop it by pid so its output is complete.
	select {
	case <-p.Done():
		t.Fatal("the function exited")
	default:
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	// The logs: JSON lines with a level, one summary per answered batch, no record data.
	var lines, rejected, got int
	sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Bytes())
		}
		lines++
		switch line["msg"] {
		case "batch transformed":
			got++
		case "record rejected":
			rejected++
			if line["level"] != "WARN" || line["record_id"] == "" || line["rule"] == "" {
				t.Fatalf("rejection line %v", line)
			}
		}
	}
	if got != summaries || rejected == 0 {
		t.Fatalf("%d summaries (want %d), %d rejections in %d lines", got, summaries, rejected, lines)
	}
	if strings.Contains(p.stdout.String(), marker) || strings.Contains(p.stderr.String(), marker) {
		t.Fatal("record data reached the logs")
	}
}

// TestLambdaInitError starts the binary with a bad environment: it must report the problem
// on the runtime API's init/error and exit non-zero.
func TestLambdaInitError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda binary")
	}
	bin := buildBootstrap(t)
	p, err := start(t, bin, "UNKNOWN_FIELDS=sometimes", "LOG_LEVEL=loud")
	var fe *lambdaruntime.FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.InvalidConfiguration" ||
		!strings.Contains(fe.Message, "UNKNOWN_FIELDS") || !strings.Contains(fe.Message, "LOG_LEVEL") {
		t.Fatalf("init error: %v", err)
	}
	// Start returns after the process exited (or 5 s): its exit status is part of the error.
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(p.stderr.String(), "invalid configuration") {
		t.Fatalf("stderr: %s", p.stderr)
	}
}

var arrival = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// record makes a Kinesis-source Firehose record as Firehose sends it.
func record(i int, data []byte) events.KinesisFirehoseEventRecord {
	seq := fmt.Sprintf("4965101128640563714837261605232892976648931151648%07d", i)
	r := events.KinesisFirehoseEventRecord{RecordID: seq + "000000", Data: data}
	r.ApproximateArrivalTimestamp.Time = arrival.Add(time.Second)
	r.KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{ShardID: "shardId-000000000002", PartitionKey: fmt.Sprintf("u-%d", i%1000), SequenceNumber: seq}
	r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = arrival
	return r
}

func firehoseEvent() *events.KinesisFirehoseEvent {
	return &events.KinesisFirehoseEvent{
		InvocationID:           "00540a87-5050-496a-84e4-e7d92bbaf5e2",
		DeliveryStreamArn:      "arn:aws:firehose:eu-central-1:123456789012:deliverystream/streamlake-dev-delivery",
		SourceKinesisStreamArn: "arn:aws:kinesis:eu-central-1:123456789012:stream/streamlake-dev-events",
		Region:                 "eu-central-1",
	}
}

// maxBatch fills maxData bytes with realistic events; every 97th record is bad in a
// different way, and the first bad one carries marker.
func maxBatch(t *testing.T, maxData int, marker string) *events.KinesisFirehoseEvent {
	bad := []string{
		`{"event_id":"bad-%d","event_type":"progress","user_id":"` + marker + `","occurred_at":"2099-01-01T00:00:00Z"}`,
		`{"event_id":"bad-%d","event_type":"progress","occurred_at":1714564799}`,
		`{"event_id":"bad-%d" "event_type":"progress"}`,
		`{"event_id":"bad-%d","event_type":"progress","user_id":"u","occurred_at":1714564799,"position_sec":"12"}`,
		"{\"event_id\":\"bad-%d\",\"event_type\":\"progress\",\"user_id\":\"\xff\",\"occurred_at\":1714564799}",
	}
	ev := firehoseEvent()
	data := 0
	for i := 0; ; i++ {
		var d []byte
		if i%97 == 0 {
			d = fmt.Appendf(nil, bad[(i/97)%len(bad)], i)
		} else {
			at := arrival.Add(-time.Duration(i%3600) * time.Second)
			d = fmt.Appendf(nil, `{"event_id":"0b9f6a52-1c1e-4a57-9d0c-%012d","event_type":"progress","user_id":"u-%07d","occurred_at":"%s",`+
				`"content_id":"course-%d/video-%d","session_id":"s-%08x","position_sec":%d.5,"watched_sec":30,"attributes":{"player":"web"},"app_version":"5.2.1"}`,
				i, i%9999991, at.In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05.000-07:00"), i%97, i%13, i*7919, i%3600)
		}
		if data+len(d) > maxData {
			return ev
		}
		ev.Records = append(ev.Records, record(i, d))
		data += len(d)
	}
}

// minimalBatch fills maxData bytes with the smallest valid event, which grows the most.
func minimalBatch(maxData int) *events.KinesisFirehoseEvent {
	minimal := []byte(`{"event_id":"a","event_type":"a","user_id":"a","occurred_at":1e9}`)
	ev := firehoseEvent()
	for i := 0; (i+1)*len(minimal) <= maxData; i++ {
		ev.Records = append(ev.Records, record(i, minimal))
	}
	return ev
}
