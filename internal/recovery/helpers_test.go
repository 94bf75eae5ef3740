package recovery

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

const bucket = "lake"

// stackPrefixes are the default dataset's prefixes.
var stackPrefixes = DatasetPrefixes(schema.DefaultDataset, schema.Default())

var fields = FieldsOf(schema.Default(), producer.IDField)

// env is a lake in gofakes3 whose clock the test moves, and optionally a kinesalite stream.
type env struct {
	t      *testing.T
	clock  gofakes3.TimeSourceAdvancer
	s3     *s3.Client
	calls  *recorder
	lake   *Lake
	kin    *kinesis.Client
	stream string
	kinURL string
}

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	clock := gofakes3.FixedTimeSource(start)
	c := testenv.S3Client(testenv.FakeS3(t, clock))
	testenv.CreateBucket(t, c, bucket)
	rec := &recorder{S3API: c}
	return &env{t: t, clock: clock, s3: c, calls: rec, lake: &Lake{Client: rec, Bucket: bucket, Prefixes: stackPrefixes}}
}

// withStream starts kinesalite and creates a stream of 2 shards.
func (e *env) withStream() *env {
	e.kinURL = testenv.Kinesalite(e.t)
	e.kin = testenv.KinesisClient(e.kinURL)
	e.stream = "redrive-target"
	testenv.CreateStream(e.t, e.kin, e.stream, 2)
	return e
}

// putter sends to the stream through endpoint (kinesalite, or a fault proxy in front).
func (e *env) putter(endpoint string) *callPutter {
	return &callPutter{Putter: &producer.KinesisPutter{Client: testenv.KinesisClient(endpoint), Stream: e.stream}, calls: e.calls}
}

// stored returns how many times each event_id (or, for data that is not JSON, the data) is
// in the stream.
func (e *env) stored() map[string]int {
	out := map[string]int{}
	for _, d := range testenv.ReadAll(e.t, e.kin, e.stream) {
		var ev map[string]any
		if json.Unmarshal(d, &ev) == nil {
			if id, ok := ev["event_id"].(string); ok {
				out[id]++
				continue
			}
		}
		out["data:"+string(d)]++
	}
	return out
}

func (e *env) put(key string, body []byte) {
	e.t.Helper()
	_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

func (e *env) exists(key string) bool {
	_, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}

// errorKey is the key Firehose gives an error object of typ whose oldest record arrived at t.
func errorKey(t *testing.T, typ string, at time.Time, id string) string {
	t.Helper()
	k, err := firehoserec.ObjectKey(stackPrefixes.Errors, typ, at, firehoseprefix.ObjectName("streamlake-dev-delivery", 1, at, id))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rawKey(t *testing.T, at time.Time, id string) string {
	t.Helper()
	p, err := firehoseprefix.Evaluate(stackPrefixes.Raw, firehoseprefix.Values{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return p + firehoseprefix.ObjectName("streamlake-dev-delivery", 1, at, id) + ".gz"
}

// event is a client event as the API puts it into the stream.
func event(id, user string) []byte {
	return fmt.Appendf(nil, `{"event_id":%q,"event_type":"progress","user_id":%q,"occurred_at":"2026-11-25T10:00:00Z","position_sec":12.5}`, id, user)
}

// errorObject encodes records of typ with the documented keys (firehoserec.Append).
func errorObject(t *testing.T, typ, code, msg string, at time.Time, data ...[]byte) []byte {
	t.Helper()
	var obj []byte
	for _, d := range data {
		var err error
		obj, err = firehoserec.Append(obj, typ, firehoserec.Record{AttemptsMade: 4, ArrivalTimestamp: at, ErrorCode: code,
			ErrorMessage: msg, AttemptEndingTimestamp: at.Add(time.Minute), RawData: d,
			LambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:transform:$LATEST"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return obj
}

// awsFixture reads one of firehoserec's fixtures of AWS's documentation.
func awsFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "internal", "firehoserec", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var schemaValue = regexp.MustCompile(`"(\w+)": (long|string)`)

// fillSchema turns one of AWS's format-conversion schemas ("key": long / string) into one
// error record line, in AWS's spelling and key order, with the values given (others: 1 or
// "x").
func fillSchema(doc string, values map[string]any) []byte {
	line := schemaValue.ReplaceAllStringFunc(doc, func(m string) string {
		k := schemaValue.FindStringSubmatch(m)[1]
		v, ok := values[k]
		if !ok {
			v = map[bool]any{true: 1, false: "x"}[strings.HasSuffix(m, "long")]
		}
		b, _ := json.Marshal(v)
		return fmt.Sprintf("%q: %s", k, b)
	})
	return compactLine(line)
}

// compact turns a documented JSON example into one line of an error object.
func compact(t *testing.T, doc string) []byte {
	t.Helper()
	return compactLine(doc)
}

func compactLine(doc string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		panic(fmt.Sprintf("not JSON: %v\n%s", err, doc))
	}
	return append(b.Bytes(), '\n')
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// recorder records the S3 calls made, as IAM actions and resources.
type recorder struct {
	S3API
	mu    sync.Mutex
	calls []call
}

// call is one API call as IAM sees it: the action, and the object key or the listing prefix.
type call struct{ action, resource string }

func (r *recorder) add(action, resource string) {
	r.mu.Lock()
	r.calls = append(r.calls, call{action, resource})
	r.mu.Unlock()
}

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func (r *recorder) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	r.add("s3:ListBucket", aws.ToString(in.Prefix))
	return r.S3API.ListObjectsV2(ctx, in, o...)
}

func (r *recorder) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	r.add("s3:GetObject", aws.ToString(in.Key))
	return r.S3API.GetObject(ctx, in, o...)
}

func (r *recorder) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	r.add("s3:PutObject", aws.ToString(in.Key))
	return r.S3API.PutObject(ctx, in, o...)
}

// callPutter records PutRecords calls.
type callPutter struct {
	producer.Putter
	calls *recorder
}

func (p *callPutter) Put(ctx context.Context, recs []producer.Record) (producer.Result, error) {
	p.calls.add("kinesis:PutRecords", "")
	return p.Putter.Put(ctx, recs)
}

// cancelAfter cancels a run once n records were acknowledged: an operator's Ctrl-C half-way.
type cancelAfter struct {
	producer.Putter
	n      int
	cancel context.CancelFunc
	mu     sync.Mutex
	acked  int
}

func (c *cancelAfter) Put(ctx context.Context, recs []producer.Record) (producer.Result, error) {
	res, err := c.Putter.Put(ctx, recs)
	if err == nil {
		c.mu.Lock()
		c.acked += len(recs) - len(res.Retry) - len(res.Rejected)
		if c.acked >= c.n {
			c.cancel()
		}
		c.mu.Unlock()
	}
	return res, err
}

func quickRetry() producer.RunOptions {
	return producer.RunOptions{Concurrency: 3, Retry: producer.RetryPolicy{MaxAttempts: 30, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}
