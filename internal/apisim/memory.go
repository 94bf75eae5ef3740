package apisim

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// Faults are the failures a MemorySink injects, as Kinesis fails behind the real API.
type Faults struct {
	// ThrottleRecord and FailRecord fail single records of a PutRecords call with
	// ProvisionedThroughputExceededException or InternalFailure (the API answers 429 or 503
	// with failed_records naming them); the others are stored.
	ThrottleRecord float64
	FailRecord     float64
	// ThrottleEvery fails every n-th call whole with ProvisionedThroughputExceededException
	// (the API answers 429), FailEvery with InternalFailure (503) or, drawn from the seed, a
	// KMS error (500); nothing is stored. 0 turns one off.
	ThrottleEvery int
	FailEvery     int
}

// MemorySink keeps records in memory and checks them against Kinesis's limits, failing calls
// and records as its Faults say. Draws come from a fixed seed, so a sequential run repeats.
type MemorySink struct {
	faults  Faults
	mu      sync.Mutex
	rnd     *mrand.Rand
	calls   int
	refused int
	records []Record
}

// NewMemorySink returns an empty sink.
func NewMemorySink(f Faults, seed uint64) *MemorySink {
	return &MemorySink{faults: f, rnd: mrand.New(mrand.NewPCG(seed, seed+7))}
}

// Records returns the stored records, in the order they were stored.
func (m *MemorySink) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records)
}

// Refused returns how many records injected faults refused (a client must re-send them).
func (m *MemorySink) Refused() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused
}

// PutRecord implements Sink.
func (m *MemorySink) PutRecord(_ context.Context, r Record) error {
	if problems := checkRecord(r, ""); len(problems) > 0 {
		return validationError(problems)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failWhole(1); err != nil {
		return err
	}
	m.records = append(m.records, r)
	return nil
}

// PutRecords implements Sink.
func (m *MemorySink) PutRecords(_ context.Context, recs []Record) ([]Result, error) {
	if problems := checkRecords(recs); len(problems) > 0 {
		return nil, validationError(problems)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failWhole(len(recs)); err != nil {
		return nil, err
	}
	results := make([]Result, len(recs))
	for i, r := range recs {
		y := m.rnd.Float64()
		switch {
		case y < m.faults.ThrottleRecord:
			results[i] = Result{ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "Rate exceeded for shard shardId-000000000000"}
		case y < m.faults.ThrottleRecord+m.faults.FailRecord:
			results[i] = Result{ErrorCode: "InternalFailure", ErrorMessage: "Internal service failure."}
		default:
			m.records = append(m.records, r)
			results[i] = Result{ShardID: "shardId-000000000000", SequenceNumber: fmt.Sprintf("%056d", len(m.records))}
			continue
		}
		m.refused++
	}
	return results, nil
}

// failWhole counts a call and fails it whole when a fault is due; n is its record count.
func (m *MemorySink) failWhole(n int) error {
	m.calls++
	nth := func(every int) bool { return every > 0 && m.calls%every == 0 }
	switch {
	case nth(m.faults.ThrottleEvery):
		m.refused += n
		return &StreamError{Status: http.StatusBadRequest, Code: "ProvisionedThroughputExceededException", Message: "Rate exceeded for stream (injected)"}
	case nth(m.faults.FailEvery):
		m.refused += n
		if m.rnd.IntN(2) == 0 {
			return &StreamError{Status: http.StatusBadRequest, Code: "KMSInvalidStateException", Message: "the stream's KMS key is not usable (injected)"}
		}
		return &StreamError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "Internal service failure (injected)"}
	}
	return nil
}

// checkRecords returns PutRecords' limit violations in Kinesis's words.
func checkRecords(recs []Record) []string {
	var problems []string
	if len(recs) > awsrules.MaxPutRecordsCount {
		problems = append(problems, fmt.Sprintf("Value '[...]' at 'records' failed to satisfy constraint: Member must have length less than or equal to %d", awsrules.MaxPutRecordsCount))
	}
	for i, r := range recs {
		problems = append(problems, checkRecord(r, fmt.Sprintf("records.%d.member.", i+1))...)
	}
	return problems
}

// checkRecord returns one record's limit violations in Kinesis's words; at prefixes the
// member path. Kinesis (Java) counts a partition key's length in UTF-16 code units.
func checkRecord(r Record, at string) []string {
	var problems []string
	switch n := len(utf16.Encode([]rune(r.PartitionKey))); {
	case n < 1:
		problems = append(problems, fmt.Sprintf("Value '' at '%spartitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1", at))
	case n > schema.MaxKinesisPartitionKey:
		problems = append(problems, fmt.Sprintf("Value '%s' at '%spartitionKey' failed to satisfy constraint: Member must have length less than or equal to %d", r.PartitionKey, at, schema.MaxKinesisPartitionKey))
	}
	if n := len(r.Data); n > awsrules.MaxRecordBytes {
		problems = append(problems, fmt.Sprintf("Value 'java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]' at '%sdata' failed to satisfy constraint: Member must have length less than or equal to %d", n, n, at, awsrules.MaxRecordBytes))
	}
	return problems
}

// validationError is Kinesis's 400 ValidationException listing every problem.
func validationError(problems []string) error {
	plural := ""
	if len(problems) > 1 {
		plural = "s"
	}
	return &StreamError{Status: http.StatusBadRequest, Code: "ValidationException",
		Message: fmt.Sprintf("%d validation error%s detected: %s", len(problems), plural, strings.Join(problems, "; "))}
}
