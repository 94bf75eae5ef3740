package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// runtimeAPI serves the Lambda runtime API (2018-06-01) on 127.0.0.1: the part a Go function
// uses. Invocations are queued by invoke; the function's answers come back on channels.
type runtimeAPI struct {
	srv     *http.Server
	addr    string
	next    chan invocation
	mu      sync.Mutex
	pending map[string]chan answer
	initErr chan []byte
}

type invocation struct {
	id      string
	payload []byte
}

// answer is what the function posted for one invocation.
type answer struct {
	status    int // HTTP status the API returned to the function
	body      []byte
	isError   bool
	errorType string
}

func startRuntimeAPI(t *testing.T) *runtimeAPI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := &runtimeAPI{addr: ln.Addr().String(), next: make(chan invocation), pending: map[string]chan answer{}, initErr: make(chan []byte, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-api.next:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-central-1:123456789012:function:streamlake-dev-transform")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload) // a function that went away shows as a missing answer
		case <-r.Context().Done():
		}
	})
	post := func(isError bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			api.mu.Lock()
			ch := api.pending[r.PathValue("id")]
			delete(api.pending, r.PathValue("id"))
			api.mu.Unlock()
			if ch == nil {
				http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
				return
			}
			// Lambda refuses responses over its 6 MB limit.
			body, err := io.ReadAll(io.LimitReader(r.Body, transform.MaxResponseBytes+1))
			a := answer{status: http.StatusAccepted, body: body, isError: isError, errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
			if err != nil || len(body) > transform.MaxResponseBytes {
				a.status = http.StatusRequestEntityTooLarge
			}
			w.WriteHeader(a.status)
			ch <- a
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		select {
		case api.initErr <- body:
		default:
		}
	})
	api.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve ends with ErrServerClosed at Shutdown; a server that fails earlier shows as a
	// function that gets no invocation.
	go func() { _ = api.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := api.srv.Shutdown(ctx); err != nil {
			t.Errorf("stop the runtime API: %v", err)
		}
	})
	return api
}

var invocations int

// invoke hands the payload to the function and waits for its answer.
func (api *runtimeAPI) invoke(t *testing.T, payload []byte) answer {
	t.Helper()
	invocations++
	inv := invocation{id: fmt.Sprintf("8476a536-e9f4-11e8-9739-%012d", invocations), payload: payload}
	ch := make(chan answer, 1)
	api.mu.Lock()
	api.pending[inv.id] = ch
	api.mu.Unlock()
	timeout := time.After(30 * time.Second)
	select {
	case api.next <- inv:
	case <-timeout:
		t.Fatal("the function did not ask for the next invocation")
	}
	select {
	case a := <-ch:
		return a
	case <-timeout:
		t.Fatal("the function did not answer")
	}
	return answer{}
}

// buildBootstrap builds the real function with lambdapkg for the host architecture and
// extracts bootstrap from the zip, as Lambda does.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the Lambda binary runs on linux/amd64 or linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	a, err := lambdapkg.Build(ctx, lambdapkg.Options{OutDir: dir, GOARCH: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.OpenReader(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = z.Close() }() // read-only
	f := z.File[0]
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }() // read-only
	path := filepath.Join(dir, f.Name)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, f.Mode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, rc); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// process is the running function.
type process struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited; err is then set
	err    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start runs bootstrap against the API with env, and kills it by pid when the test ends.
func start(t *testing.T, bin string, api *runtimeAPI, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.addr, "TZ=Asia/Tokyo", "PATH=/usr/bin:/bin"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
	})
	return p
}

// stop kills the process by its pid, if it still runs, and waits for it and its output.
func (p *process) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill pid %d: %v", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("process %d did not stop", p.cmd.Process.Pid)
	}
}

// TestLambdaEndToEnd runs the real bootstrap binary against a local runtime API and feeds it
// Firehose invocations: the golden batch, a maximum-size batch with bad records, the
// worst-case batch of minimal records, an empty batch and a broken payload.
func TestLambdaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda binary")
	}
	bin := buildBootstrap(t)
	api := startRuntimeAPI(t)
	p := start(t, bin, api, "UNKNOWN_FIELDS=keep", "LOG_LEVEL=INFO", "MAX_FUTURE_SKEW=1h")
	s := schema.Default()
	decode := func(payload []byte) *events.KinesisFirehoseEvent {
		var ev events.KinesisFirehoseEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	ok := func(a answer) []byte {
		t.Helper()
		if a.isError || a.status != http.StatusAccepted {
			t.Fatalf("invocation failed: status %d error %v: %s", a.status, a.isError, a.body)
		}
		return a.body
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
	if got := ok(api.invoke(t, payload)); !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("golden batch: got\n%s\nwant\n%s", got, want)
	}
	summaries++

	// 2. A maximum-size batch (SafeProcessorBufferMiB of data) with a bad record every 97th,
	// one of which carries a marker that must never reach the logs.
	const marker = "PII-MARKER-4711"
	full := maxBatch(t, int(transform.SafeProcessorBufferMiB*(1<<20)), marker)
	payload, _ = json.Marshal(full)
	resp := ok(api.invoke(t, payload))
	res, err := testenv.CheckFirehoseResponse(s, full, resp)
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
	resp = ok(api.invoke(t, payload))
	if res, err = testenv.CheckFirehoseResponse(s, worst, resp); err != nil {
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
	if got := ok(api.invoke(t, payload)); string(got) != `{"records":[]}` {
		t.Fatalf("empty batch: %s", got)
	}
	summaries++
	if a := api.invoke(t, []byte(`{"records":"nope"}`)); !a.isError || !bytes.Contains(a.body, []byte("decode the Firehose event")) {
		t.Fatalf("broken payload: %+v %s", a, a.body)
	}
	payload, _ = os.ReadFile("../../transform/testdata/firehose-kinesis-batch.json")
	ok(api.invoke(t, payload))
	summaries++

	// Still serving; stop it by pid so its output is complete.
	select {
	case <-p.done:
		t.Fatalf("the function exited: %v", p.err)
	default:
	}
	p.stop(t)

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
	api := startRuntimeAPI(t)
	p := start(t, bin, api, "UNKNOWN_FIELDS=sometimes", "LOG_LEVEL=loud")
	select {
	case body := <-api.initErr:
		var e struct{ ErrorMessage, ErrorType string }
		if err := json.Unmarshal(body, &e); err != nil || e.ErrorType != "Runtime.InvalidConfiguration" ||
			!strings.Contains(e.ErrorMessage, "UNKNOWN_FIELDS") || !strings.Contains(e.ErrorMessage, "LOG_LEVEL") {
			t.Fatalf("init error %s", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no init error reported")
	}
	select {
	case <-p.done:
		var exit *exec.ExitError
		if !errors.As(p.err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("exit: %v", p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not exit")
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
