// Package producer sends schema events to the streamlake pipeline, through its API or straight
// to Kinesis: it generates events from the schema, packs them into batches within the service
// limits, re-sends only the records that failed with capped exponential backoff and full
// jitter, and keeps the statistics a load test reports. It holds no AWS configuration: callers
// pass clients (a real endpoint in production, a local stand-in in tests).
package producer

import (
	"encoding/json"
	"fmt"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// Record is one event ready to send: its id (for dedup), its partition key and its JSON.
type Record struct {
	ID           string
	PartitionKey string
	Data         []byte
}

// Size is the record's size as Kinesis counts it against its limits: data plus partition key.
func (r Record) Size() int { return len(r.Data) + len(r.PartitionKey) }

// Limits bound one request: how many records, how many bytes in all, and how large one record
// may be (sizes as Record.Size counts them).
type Limits struct {
	MaxRecords     int
	MaxBytes       int
	MaxRecordBytes int
}

// KinesisLimits are PutRecords' limits: 500 records, 5 MiB, 1 MiB per record.
var KinesisLimits = Limits{
	MaxRecords:     awsrules.MaxPutRecordsCount,
	MaxBytes:       awsrules.MaxPutRecordsBytes,
	MaxRecordBytes: awsrules.MaxRecordBytes,
}

// APIBatchLimits are the batch route's: it becomes one PutRecords call, so the same limits,
// with the record count of the API's request model, and room for the body's {"records":[...]}
// around the events within the route's body limit (apispec.MaxBatchBytes): a body is its
// events, a comma between two, and the envelope, and each record's size counts at least one
// byte of partition key besides its data.
var APIBatchLimits = Limits{
	MaxRecords:     min(schema.MaxBatchRecords, awsrules.MaxPutRecordsCount),
	MaxBytes:       min(awsrules.MaxPutRecordsBytes, apispec.MaxBatchBytes-apispec.BatchEnvelope),
	MaxRecordBytes: awsrules.MaxRecordBytes,
}

// SingleLimits send one record per request (PutRecord, or the API's single-event route).
var SingleLimits = Limits{MaxRecords: 1, MaxBytes: awsrules.MaxRecordBytes, MaxRecordBytes: awsrules.MaxRecordBytes}

// Check reports whether one record can be sent at all under l.
func (l Limits) Check(r Record) error {
	if r.Size() > l.MaxRecordBytes {
		return fmt.Errorf("record %s is %d bytes with its partition key, over the %d-byte limit of one record", r.ID, r.Size(), l.MaxRecordBytes)
	}
	if r.PartitionKey == "" {
		return fmt.Errorf("record %s has an empty partition key", r.ID)
	}
	return nil
}

// Batcher packs records into requests that respect Limits, in arrival order.
type Batcher struct {
	lim   Limits
	cur   []Record
	bytes int
}

// NewBatcher returns an empty batcher for l.
func NewBatcher(l Limits) *Batcher { return &Batcher{lim: l} }

// Add appends r. When r does not fit the open batch, the open batch is returned (full) and r
// starts the next one. r must pass l.Check.
func (b *Batcher) Add(r Record) (full []Record) {
	if len(b.cur) > 0 && b.bytes+r.Size() > b.lim.MaxBytes {
		full = b.Flush()
	}
	b.cur = append(b.cur, r)
	b.bytes += r.Size()
	// A batch is handed out as soon as no record can join it. (After a flush for bytes the new
	// batch holds one record, which fills it only when MaxRecords is 1, and then the batch
	// before it was empty: so at most one batch is returned.)
	if full == nil && len(b.cur) >= b.lim.MaxRecords {
		full = b.Flush()
	}
	return full
}

// Len is the number of records in the open batch.
func (b *Batcher) Len() int { return len(b.cur) }

// Flush returns the open batch (nil if empty) and starts a new one.
func (b *Batcher) Flush() []Record {
	if len(b.cur) == 0 {
		return nil
	}
	out := b.cur
	b.cur, b.bytes = nil, 0
	return out
}

// PartitionKeyValue is the partition key the ingest API's templates give a record, from the
// JSON value of the schema's partition key field: a string as itself, a missing or null field
// as "" (which Kinesis refuses), anything else as its JSON text.
func PartitionKeyValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	return string(raw)
}
