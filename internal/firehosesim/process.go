package firehosesim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
)

// process invokes the Lambda for one batch, retrying a failed call, and routes every record
// to its place: a Parquet buffer, or an error record of this batch.
func (d *Delivery) process(ctx context.Context, batch []record) error {
	payload, err := json.Marshal(d.event(batch))
	if err != nil {
		return fmt.Errorf("firehosesim: encode the invocation: %w", err)
	}
	var answers []events.KinesisFirehoseResponseRecord
	attempts := 0
	for attempts < 1+d.c.ProcessorRetries {
		attempts++
		d.counts.Invocations++
		if answers, err = d.invoke(ctx, payload, batch); err == nil {
			break
		}
		d.counts.FailedCalls++
		if ctx.Err() != nil {
			return fmt.Errorf("firehosesim: %w", ctx.Err())
		}
	}
	failed, unconverted, err := d.route(batch, answers, attempts, err != nil)
	if err != nil {
		return err
	}
	if err := d.writeErrors(firehoserec.ProcessingFailed, failed); err != nil {
		return err
	}
	if err := d.writeErrors(firehoserec.FormatConversionFailed, unconverted); err != nil {
		return err
	}
	if d.c.RawBackup {
		for _, r := range batch {
			d.raw.add(r, r.data, nil)
		}
	}
	return nil
}

// event is the Firehose invocation for a batch, as Firehose builds it for a Kinesis source.
func (d *Delivery) event(batch []record) *events.KinesisFirehoseEvent {
	ev := &events.KinesisFirehoseEvent{
		InvocationID: uuid.NewString(), DeliveryStreamArn: d.c.DeliveryStreamArn,
		SourceKinesisStreamArn: d.c.StreamArn, Region: d.c.Region,
		Records: make([]events.KinesisFirehoseEventRecord, len(batch)),
	}
	for i, r := range batch {
		at := events.MilliSecondsEpochTime{Time: r.arrival}
		ev.Records[i] = events.KinesisFirehoseEventRecord{
			RecordID: recordID(r), ApproximateArrivalTimestamp: at, Data: r.data,
			KinesisFirehoseRecordMetadata: events.KinesisFirehoseRecordMetadata{
				ShardID: r.shard, PartitionKey: r.partitionKey, SequenceNumber: r.sequence, ApproximateArrivalTimestamp: at,
			},
		}
	}
	return ev
}

// recordID is the id Firehose gives a Kinesis record: its sequence number and subsequence.
func recordID(r record) string { return r.sequence + "000000" }

// invoke calls the Lambda once and checks its answer as Firehose does: one answer per record,
// in any order, each with a known result. Any other answer fails the call.
func (d *Delivery) invoke(ctx context.Context, payload []byte, batch []record) ([]events.KinesisFirehoseResponseRecord, error) {
	out, err := d.c.Processor.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	var resp events.KinesisFirehoseResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("the Lambda's response is not a Firehose response: %w", err)
	}
	byID := make(map[string]events.KinesisFirehoseResponseRecord, len(resp.Records))
	for _, a := range resp.Records {
		if _, dup := byID[a.RecordID]; dup {
			return nil, fmt.Errorf("the Lambda answered record %s twice", a.RecordID)
		}
		byID[a.RecordID] = a
	}
	answers := make([]events.KinesisFirehoseResponseRecord, len(batch))
	for i, r := range batch {
		a, ok := byID[recordID(r)]
		if !ok {
			return nil, fmt.Errorf("the Lambda did not answer record %s", recordID(r))
		}
		switch a.Result {
		case events.KinesisFirehoseTransformedStateOk, events.KinesisFirehoseTransformedStateDropped,
			events.KinesisFirehoseTransformedStateProcessingFailed:
		default:
			return nil, fmt.Errorf("record %s: unknown result %q", a.RecordID, a.Result)
		}
		answers[i] = a
	}
	if len(resp.Records) != len(batch) {
		return nil, errors.New("the Lambda answered records it was not sent")
	}
	return answers, nil
}

// route puts each answered record in its place and returns the error records of the batch.
// When the call failed (callFailed), every record is processing-failed.
func (d *Delivery) route(batch []record, answers []events.KinesisFirehoseResponseRecord, attempts int, callFailed bool) (failed, unconverted []firehoserec.Record, err error) {
	now := time.Now().UTC()
	for i, r := range batch {
		fail := firehoserec.Record{AttemptsMade: int64(attempts), ArrivalTimestamp: r.arrival, AttemptEndingTimestamp: now,
			RawData: r.data, LambdaArn: d.c.FunctionArn}
		if callFailed {
			fail.ErrorCode, fail.ErrorMessage = firehoserec.CodeFunctionError, firehoserec.MessageFunctionError
			failed = append(failed, fail)
			continue
		}
		switch a := answers[i]; a.Result {
		case events.KinesisFirehoseTransformedStateDropped:
			d.counts.Dropped++
		case events.KinesisFirehoseTransformedStateProcessingFailed:
			fail.ErrorCode, fail.ErrorMessage = firehoserec.CodeProcessingFailedStatus, firehoserec.MessageProcessingFailedStatus
			failed = append(failed, fail)
		default:
			rec, ok, err := d.convert(r, a, now)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				unconverted = append(unconverted, rec)
			}
		}
	}
	d.counts.TransformFailed += len(failed)
	d.counts.ConversionFailed += len(unconverted)
	return failed, unconverted, nil
}

// convert reads an Ok record into a row of its partition's buffer, or returns the
// format-conversion-failed record for it. An Ok record without the partition keys the data
// prefix needs breaks the transform's contract and is an error.
func (d *Delivery) convert(r record, a events.KinesisFirehoseResponseRecord, now time.Time) (firehoserec.Record, bool, error) {
	var keys map[string]string
	if d.c.EventTime {
		keys = a.Metadata.PartitionKeys
		if _, err := firehoseprefix.Evaluate(d.c.Lake.Prefixes.Data, firehoseprefix.Values{Time: r.arrival, PartitionKeys: keys}); err != nil {
			return firehoserec.Record{}, false, fmt.Errorf("firehosesim: record %s answered Ok without its partition keys: %w", recordID(r), err)
		}
	}
	row, err := d.reader.Read(a.Data)
	if err != nil {
		catalog := d.c.Catalog
		//nolint:nilerr // a record that does not convert becomes an error record; the run goes on
		return firehoserec.Record{AttemptsMade: 1, ArrivalTimestamp: r.arrival, AttemptEndingTimestamp: now,
			ErrorCode: firehoserec.CodeMalformedData, ErrorMessage: err.Error(), RawData: a.Data,
			SequenceNumber: r.sequence, DataCatalogTable: &catalog}, false, nil
	}
	d.buffer(keys).add(r, a.Data, row)
	return firehoserec.Record{}, true, nil
}
