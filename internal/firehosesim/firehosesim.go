// Package firehosesim is the delivery stream of the local lake: it reads a Kinesis stream the
// way Firehose does (every shard from its start), batches records for the transform Lambda by
// the stack's processor buffer size and interval, invokes the Lambda (retrying a failed call
// processorRetries times), converts Ok records as Firehose's record format conversion does
// (internal/openx, the OpenX JSON SerDe over the Glue columns) and writes the lake with
// internal/lakefiles:
//
//   - Parquet per partition (the keys the Lambda returned, or the arrival hour), buffered by
//     the stack's Firehose buffer size and interval;
//   - processing-failed error records for records the Lambda failed, or all records of a call
//     that still failed after its retries;
//   - format-conversion-failed error records for Ok records that do not convert;
//   - raw copies of every source record, gzipped, buffered like the Parquet files.
//
// Every record read ends in exactly one place: a Parquet row, a processing-failed record,
// a format-conversion-failed record or, for a Lambda answer of Dropped, nowhere (counted).
//
// Not emulated: reading several shards in parallel (one loop polls them in turn), resharding
// while running, Firehose's backoff between Lambda retries, and S3 delivery retries (a local
// write that fails ends the run).
package firehosesim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/lakefiles"
	"github.com/streamlake/streamlake/internal/openx"
)

// missingTimeout is how long Run waits, caught up, for records Finish says were put.
const missingTimeout = 30 * time.Second

// Source is the part of a Kinesis client the delivery stream reads with.
type Source interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Processor is the transform Lambda: one synchronous invocation with a Firehose event.
type Processor interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Config says what to read, whom to call and where to write.
type Config struct {
	Source     Source
	StreamName string
	StreamArn  string
	// DeliveryStreamArn and Region go into every invocation, as Firehose sends them.
	DeliveryStreamArn string
	Region            string
	Processor         Processor
	FunctionArn       string
	// ProcessorBufferBytes and ProcessorInterval batch records per invocation (the stack's
	// processorBufferMb and, shortened for local runs, processorBufferSeconds).
	ProcessorBufferBytes int
	ProcessorInterval    time.Duration
	// ProcessorRetries is how often a failed invocation is retried before its records fail.
	ProcessorRetries int
	// BufferBytes and BufferInterval bound the S3 buffers (firehoseBufferMb and, shortened,
	// firehoseBufferSeconds).
	BufferBytes    int
	BufferInterval time.Duration
	// EventTime writes Parquet under the partition keys the Lambda returns; otherwise under
	// the arrival hour of the oldest record of a file.
	EventTime bool
	// RawBackup keeps every source record under the raw prefix.
	RawBackup bool
	// Lake writes the objects; its Columns are the Glue table's data columns.
	Lake *lakefiles.Lake
	// Catalog is the table named in format-conversion-failed records.
	Catalog firehoserec.DataCatalogTable
	// Poll is the wait before reading a shard that had nothing new; 0 means 200 ms.
	Poll time.Duration
}

// Counts are what a delivery did. Read = ParquetRows + TransformFailed + ConversionFailed +
// Dropped once Run has returned.
type Counts struct {
	Read        int `json:"read"`
	Invocations int `json:"invocations"`
	FailedCalls int `json:"failed_invocations"`
	Outcome
}

// Outcome is where a delivery's records went and the files it wrote (the local lake's
// summary reports it as it is).
type Outcome struct {
	// TransformFailed records are under errors/processing-failed/, ConversionFailed ones under
	// errors/format-conversion-failed/; Dropped ones the Lambda dropped (the transform never
	// does).
	TransformFailed  int `json:"transform_failed"`
	ConversionFailed int `json:"conversion_failed"`
	Dropped          int `json:"dropped"`
	ParquetFiles     int `json:"parquet_files"`
	ParquetRows      int `json:"parquet_rows"`
	ErrorFiles       int `json:"error_files"`
	RawFiles         int `json:"raw_files"`
}

// Add adds another outcome's counts to o.
func (o *Outcome) Add(p Outcome) {
	o.TransformFailed += p.TransformFailed
	o.ConversionFailed += p.ConversionFailed
	o.Dropped += p.Dropped
	o.ParquetFiles += p.ParquetFiles
	o.ParquetRows += p.ParquetRows
	o.ErrorFiles += p.ErrorFiles
	o.RawFiles += p.RawFiles
}

// Delivery is one local delivery stream.
type Delivery struct {
	c      Config
	reader *openx.Reader
	finish chan int

	shards  []*shard
	pending []record // the processor buffer
	firstAt time.Time
	bytes   int
	data    map[string]*buffer // Parquet buffers by partition
	raw     *buffer
	counts  Counts
}

// record is one Kinesis record as Firehose hands it on.
type record struct {
	shard, partitionKey, sequence string
	arrival                       time.Time
	data                          []byte
}

type shard struct {
	id       string
	iterator *string
}

// New checks c.
func New(c Config) (*Delivery, error) {
	var errs []error
	if c.Source == nil || c.Processor == nil || c.Lake == nil {
		errs = append(errs, errors.New("firehosesim: Source, Processor and Lake are required"))
	} else if err := c.Lake.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.StreamName == "" || c.ProcessorBufferBytes <= 0 || c.BufferBytes <= 0 || c.ProcessorRetries < 0 {
		errs = append(errs, fmt.Errorf("firehosesim: StreamName, positive buffer sizes and retries >= 0 are required (stream %q, processor buffer %d, buffer %d, retries %d)",
			c.StreamName, c.ProcessorBufferBytes, c.BufferBytes, c.ProcessorRetries))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.Poll == 0 {
		c.Poll = 200 * time.Millisecond
	}
	reader, err := openx.NewReader(c.Lake.Columns, false)
	if err != nil {
		return nil, fmt.Errorf("firehosesim: %w", err)
	}
	return &Delivery{c: c, reader: reader, finish: make(chan int, 1), data: map[string]*buffer{}, raw: &buffer{}}, nil
}

// Finish tells Run that n records were put into the stream in all: once it has read them and
// the stream has nothing more, Run delivers what it holds and returns.
func (d *Delivery) Finish(n int) { d.finish <- n }

// Run delivers until Finish's count is reached (or ctx ends, an error).
func (d *Delivery) Run(ctx context.Context) (Counts, error) {
	if err := d.openShards(ctx); err != nil {
		return d.counts, err
	}
	expected, missingSince := -1, time.Time{}
	for {
		got, caughtUp, err := d.poll(ctx)
		if err != nil {
			return d.counts, err
		}
		if err := d.deliverDue(ctx, time.Now()); err != nil {
			return d.counts, err
		}
		select {
		case n := <-d.finish:
			expected = n
		default:
		}
		if expected >= 0 && caughtUp {
			if d.counts.Read >= expected {
				return d.counts, d.drain(ctx)
			}
			if missingSince.IsZero() {
				missingSince = time.Now()
			} else if time.Since(missingSince) > missingTimeout {
				return d.counts, fmt.Errorf("firehosesim: %d records were put into %s, but only %d are in it after %s",
					expected, d.c.StreamName, d.counts.Read, missingTimeout)
			}
		}
		if got == 0 {
			if err := sleep(ctx, d.c.Poll); err != nil {
				return d.counts, err
			}
		}
	}
}

// openShards starts an iterator at the start of every shard, as a new delivery stream does.
func (d *Delivery) openShards(ctx context.Context) error {
	in := &kinesis.ListShardsInput{StreamName: aws.String(d.c.StreamName)}
	for {
		page, err := d.c.Source.ListShards(ctx, in)
		if err != nil {
			return fmt.Errorf("firehosesim: list the shards of %s: %w", d.c.StreamName, err)
		}
		for _, s := range page.Shards {
			it, err := d.c.Source.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
				StreamName: aws.String(d.c.StreamName), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return fmt.Errorf("firehosesim: iterator of %s/%s: %w", d.c.StreamName, aws.ToString(s.ShardId), err)
			}
			d.shards = append(d.shards, &shard{id: aws.ToString(s.ShardId), iterator: it.ShardIterator})
		}
		if page.NextToken == nil {
			return nil
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
}

// poll reads each open shard once into the processor buffer. caughtUp says every shard
// answered nothing new and no record is behind.
func (d *Delivery) poll(ctx context.Context) (got int, caughtUp bool, err error) {
	caughtUp = true
	for _, s := range d.shards {
		if s.iterator == nil {
			continue // closed and read to its end
		}
		out, err := d.c.Source.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: s.iterator, Limit: aws.Int32(10000)})
		if err != nil {
			return got, false, fmt.Errorf("firehosesim: read %s/%s: %w", d.c.StreamName, s.id, err)
		}
		s.iterator = out.NextShardIterator
		if len(out.Records) > 0 || aws.ToInt64(out.MillisBehindLatest) > 0 {
			caughtUp = false
		}
		for _, r := range out.Records {
			d.add(record{shard: s.id, partitionKey: aws.ToString(r.PartitionKey), sequence: aws.ToString(r.SequenceNumber),
				arrival: aws.ToTime(r.ApproximateArrivalTimestamp).UTC(), data: r.Data})
		}
		got += len(out.Records)
	}
	return got, caughtUp, nil
}

func (d *Delivery) add(r record) {
	if len(d.pending) == 0 {
		d.firstAt = time.Now()
	}
	d.pending = append(d.pending, r)
	d.bytes += len(r.data)
	d.counts.Read++
}

// deliverDue invokes the Lambda for a full (or old enough) processor buffer and writes the
// S3 buffers that are full or old enough.
func (d *Delivery) deliverDue(ctx context.Context, now time.Time) error {
	for len(d.pending) > 0 && (d.bytes >= d.c.ProcessorBufferBytes || now.Sub(d.firstAt) >= d.c.ProcessorInterval) {
		if err := d.processNext(ctx); err != nil {
			return err
		}
	}
	return d.flush(now, false)
}

// drain delivers everything held, whatever the buffers' sizes and ages.
func (d *Delivery) drain(ctx context.Context) error {
	for len(d.pending) > 0 {
		if err := d.processNext(ctx); err != nil {
			return err
		}
	}
	return d.flush(time.Now(), true)
}

// processNext takes one invocation's worth of records (at most ProcessorBufferBytes, at least
// one record) from the processor buffer and processes them.
func (d *Delivery) processNext(ctx context.Context) error {
	n, size := 0, 0
	for n < len(d.pending) && (n == 0 || size+len(d.pending[n].data) <= d.c.ProcessorBufferBytes) {
		size += len(d.pending[n].data)
		n++
	}
	batch := d.pending[:n:n]
	d.pending, d.bytes = d.pending[n:], d.bytes-size
	d.firstAt = time.Now()
	return d.process(ctx, batch)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("firehosesim: %w", ctx.Err())
	}
}
