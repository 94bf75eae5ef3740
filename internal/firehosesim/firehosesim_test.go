package firehosesim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/parquet-go/parquet-go"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/lakefiles"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// stream is an in-memory Kinesis stream: shards of records, iterators as "shard/position".
type stream struct {
	shards map[string][]types.Record
	reads  int
}

func (s *stream) ListShards(_ context.Context, _ *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	out := &kinesis.ListShardsOutput{}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range s.shards {
			if !yield(id) {
				return
			}
		}
	}) {
		out.Shards = append(out.Shards, types.Shard{ShardId: aws.String(id)})
	}
	return out, nil
}

func (s *stream) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(aws.ToString(in.ShardId) + "/0")}, nil
}

// GetRecords answers at most 7 records per call, so that a run needs several reads.
func (s *stream) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	s.reads++
	id, pos, _ := strings.Cut(aws.ToString(in.ShardIterator), "/")
	from, _ := strconv.Atoi(pos)
	recs := s.shards[id][from:min(from+7, len(s.shards[id]))]
	next := fmt.Sprintf("%s/%d", id, from+len(recs))
	return &kinesis.GetRecordsOutput{Records: recs, NextShardIterator: &next, MillisBehindLatest: aws.Int64(0)}, nil
}

var arrival = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

// newStream spreads data over two shards, arriving a second apart.
func newStream(data [][]byte) *stream {
	s := &stream{shards: map[string][]types.Record{}}
	for i, d := range data {
		shard := fmt.Sprintf("shardId-%012d", i%2)
		s.shards[shard] = append(s.shards[shard], types.Record{
			Data: d, PartitionKey: aws.String(fmt.Sprintf("u-%d", i)), SequenceNumber: aws.String(fmt.Sprintf("4965%052d", i)),
			ApproximateArrivalTimestamp: aws.Time(arrival.Add(time.Duration(i) * time.Second)),
		})
	}
	return s
}

// event is a valid event of hour h of 2024-05-01, or an invalid one (a timestamp before 2000).
func event(i, h int, valid bool) []byte {
	at := fmt.Sprintf(`"2024-05-01T%02d:15:00.123456+00:00"`, h)
	if !valid {
		at = "946684799"
	}
	return fmt.Appendf(nil, `{"event_id":"e-%d","event_type":"play","user_id":"u-%d","occurred_at":%s,"watched_sec":%d}`, i, i, at, i%30)
}

// processor is the real transform, in process, with ways to break it.
type processor struct {
	t         *transform.Transformer
	mu        sync.Mutex
	calls     int
	failCalls int                                              // the first failCalls calls fail
	edit      func(*events.KinesisFirehoseResponseRecord, int) // changes the i-th answer of a call
}

func newProcessor(t *testing.T) *processor {
	t.Helper()
	tr, err := transform.New(schema.Default(), transform.Options{Now: func() time.Time { return arrival.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return &processor{t: tr}
}

func (p *processor) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	p.mu.Lock()
	p.calls++
	fail := p.calls <= p.failCalls
	p.mu.Unlock()
	if fail {
		return nil, errors.New("Sandbox.Timedout: Task timed out")
	}
	out, err := p.t.Invoke(ctx, payload)
	if err != nil || p.edit == nil {
		return out, err
	}
	var resp events.KinesisFirehoseResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	for i := range resp.Records {
		p.edit(&resp.Records[i], i)
	}
	return json.Marshal(resp)
}

func config(t *testing.T, s *stream, p Processor, partitioning string) Config {
	t.Helper()
	sc := schema.Default()
	pre := lakelayout.DeliveryPrefixes(sc, partitioning)
	return Config{
		Source: s, StreamName: "events", StreamArn: "arn:aws:kinesis:eu-west-1:000000000000:stream/events",
		Region: "eu-west-1", Processor: p, FunctionArn: "arn:aws:lambda:eu-west-1:000000000000:function:transform",
		ProcessorBufferBytes: 2000, ProcessorInterval: time.Hour, ProcessorRetries: 2,
		BufferBytes: 3000, BufferInterval: time.Hour, EventTime: partitioning == lakelayout.EventTime, RawBackup: true,
		Lake: &lakefiles.Lake{Root: filepath.Join(t.TempDir(), "lake"), Prefixes: lakefiles.Prefixes{Data: pre.Data, Errors: pre.Errors, Raw: pre.Raw},
			Stream: "delivery", Version: 1, Columns: sc.GlueColumns()},
		Catalog: firehoserec.DataCatalogTable{DatabaseName: "db", TableName: "events"},
		Poll:    time.Millisecond,
	}
}

func deliver(t *testing.T, c Config, n int) Counts {
	t.Helper()
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	d.Finish(n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	counts, err := d.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Read != counts.ParquetRows+counts.TransformFailed+counts.ConversionFailed+counts.Dropped {
		t.Errorf("counts do not add up: %+v", counts)
	}
	return counts
}

// files returns the lake's files under a prefix folder, relative to the lake, with slashes.
func files(t *testing.T, c Config, under string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(c.Lake.Root, under), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			r, _ := filepath.Rel(c.Lake.Root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func errorRecords(t *testing.T, c Config, outputType string) []firehoserec.Record {
	t.Helper()
	var out []firehoserec.Record
	for _, f := range files(t, c, "errors/"+outputType) {
		b, err := os.ReadFile(filepath.Join(c.Lake.Root, f))
		if err != nil {
			t.Fatal(err)
		}
		r := firehoserec.NewReader(bytes.NewReader(b))
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rec)
		}
	}
	return out
}

func parquetRows(t *testing.T, c Config, file string) int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(c.Lake.Root, file))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf.NumRows()
}

// Every record read ends once: valid ones as rows under their event hour (in several files,
// as the small buffers demand), invalid ones as processing-failed records carrying the
// original data; every source record is in the raw backup, in arrival order per shard.
func TestEveryRecordEndsOnce(t *testing.T) {
	var data [][]byte
	valid := 0
	for i := range 120 {
		ok := i%10 != 3
		if ok {
			valid++
		}
		data = append(data, event(i, 10+i%3, ok))
	}
	s := newStream(data)
	p := newProcessor(t)
	c := config(t, s, p, lakelayout.EventTime)
	counts := deliver(t, c, len(data))
	if counts.Read != len(data) || counts.ParquetRows != valid || counts.TransformFailed != len(data)-valid || counts.Invocations < 5 {
		t.Errorf("counts %+v: want %d read, %d rows, several invocations", counts, len(data), valid)
	}
	rows, hours := int64(0), map[string]int{}
	for _, f := range files(t, c, "data") {
		rows += parquetRows(t, c, f)
		hours[strings.Join(strings.Split(f, "/")[1:5], "/")]++
	}
	if rows != int64(valid) || counts.ParquetFiles != len(files(t, c, "data")) || len(hours) != 3 || hours["year=2024/month=05/day=01/hour=10"] < 2 {
		t.Errorf("%d rows in files by hour %v", rows, hours)
	}
	failed := errorRecords(t, c, firehoserec.ProcessingFailed)
	for _, r := range failed {
		if r.ErrorCode != firehoserec.CodeProcessingFailedStatus || !bytes.Contains(r.RawData, []byte("946684799")) || r.LambdaArn != c.FunctionArn || r.AttemptsMade != 1 {
			t.Errorf("error record %+v", r)
		}
	}
	if len(failed) != counts.TransformFailed {
		t.Errorf("%d processing-failed records, counted %d", len(failed), counts.TransformFailed)
	}
	checkRaw(t, c, data)
}

// checkRaw: the raw backup holds every source record once.
func checkRaw(t *testing.T, c Config, data [][]byte) {
	t.Helper()
	var all []byte
	for _, f := range files(t, c, "raw") {
		b, _ := os.ReadFile(filepath.Join(c.Lake.Root, f))
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(z)
		all = append(all, raw...)
	}
	for _, d := range data {
		if bytes.Count(all, d) != 1 {
			t.Errorf("raw backup has %d copies of %s", bytes.Count(all, d), d)
		}
	}
}

// A call that fails is retried ProcessorRetries times; one that still fails makes all its
// records processing-failed with Lambda.FunctionError, and the count of attempts.
func TestFailedCalls(t *testing.T) {
	data := [][]byte{event(1, 10, true), event(2, 10, true)}
	p := newProcessor(t)
	p.failCalls = 2
	c := config(t, newStream(data), p, lakelayout.EventTime)
	if counts := deliver(t, c, 2); counts.ParquetRows != 2 || counts.FailedCalls != 2 || counts.Invocations != 3 {
		t.Errorf("two failures then success: %+v", counts)
	}
	p = newProcessor(t)
	p.failCalls = 100
	c = config(t, newStream(data), p, lakelayout.EventTime)
	if counts := deliver(t, c, 2); counts.TransformFailed != 2 || counts.Invocations != 3 {
		t.Errorf("failing calls: %+v", counts)
	}
	recs := errorRecords(t, c, firehoserec.ProcessingFailed)
	if len(recs) != 2 || recs[0].ErrorCode != firehoserec.CodeFunctionError || recs[0].AttemptsMade != 3 || !bytes.Equal(recs[0].RawData, data[0]) {
		t.Errorf("error records %+v", recs)
	}
}

// Dropped records are counted; an Ok record that does not convert is a
// format-conversion-failed record with the transformed data and the table; an answer
// without a record's id fails the call.
func TestDroppedUnconvertibleAndBadAnswers(t *testing.T) {
	data := [][]byte{event(1, 10, true), event(2, 10, true), event(3, 10, true)}
	p := newProcessor(t)
	p.edit = func(a *events.KinesisFirehoseResponseRecord, i int) {
		switch i {
		case 0:
			a.Result = events.KinesisFirehoseTransformedStateDropped
		case 1:
			a.Data = []byte(`{"event_id":"e-2","occurred_at":"yesterday"}`)
		}
	}
	c := config(t, newStream(data), p, lakelayout.EventTime)
	counts := deliver(t, c, 3)
	if counts.Dropped != 1 || counts.ConversionFailed != 1 || counts.ParquetRows != 1 {
		t.Errorf("counts %+v", counts)
	}
	recs := errorRecords(t, c, firehoserec.FormatConversionFailed)
	if len(recs) != 1 || recs[0].ErrorCode != firehoserec.CodeMalformedData || !strings.Contains(recs[0].ErrorMessage, "occurred_at") ||
		string(recs[0].RawData) != `{"event_id":"e-2","occurred_at":"yesterday"}` || recs[0].DataCatalogTable.TableName != "events" || recs[0].SequenceNumber == "" {
		t.Errorf("conversion failures %+v", recs)
	}

	p = newProcessor(t)
	p.edit = func(a *events.KinesisFirehoseResponseRecord, i int) { a.RecordID += "x" }
	c = config(t, newStream(data), p, lakelayout.EventTime)
	if counts := deliver(t, c, 3); counts.TransformFailed != 3 || counts.FailedCalls != 3 {
		t.Errorf("answers with unknown ids: %+v", counts)
	}
}

// An Ok record without partition keys breaks the transform's contract: the run fails.
func TestMissingPartitionKeys(t *testing.T) {
	p := newProcessor(t)
	p.edit = func(a *events.KinesisFirehoseResponseRecord, _ int) { delete(a.Metadata.PartitionKeys, "hour") }
	d, err := New(config(t, newStream([][]byte{event(1, 10, true)}), p, lakelayout.EventTime))
	if err != nil {
		t.Fatal(err)
	}
	d.Finish(1)
	if _, err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "partitionKeyFromLambda:hour") {
		t.Errorf("got %v", err)
	}
}

// With arrival-time partitioning, a file lands in the arrival hour of its oldest record,
// whatever the event times.
func TestArrivalTimePartitioning(t *testing.T) {
	data := [][]byte{event(1, 3, true), event(2, 22, true)}
	c := config(t, newStream(data), newProcessor(t), lakelayout.ArrivalTime)
	deliver(t, c, 2)
	got := files(t, c, "data")
	if len(got) != 1 || !strings.HasPrefix(got[0], "data/year=2024/month=05/day=01/hour=12/delivery-1-") {
		t.Errorf("files %v", got)
	}
}

// New names what is missing.
func TestNewChecksConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Source, Processor and Lake are required") {
		t.Errorf("got %v", err)
	}
}
