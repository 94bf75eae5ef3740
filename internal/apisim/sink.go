package apisim

import (
	"context"
	"fmt"
)

// Record is what the API hands its stream: Kinesis's PutRecord(s) entry.
type Record struct {
	// PartitionKey is the event's partition key field (schema.PartitionKey), as the request
	// template reads it.
	PartitionKey string
	// Data is the event as the request template forwards it: the body exactly as sent on
	// POST /v1/events, the element re-serialised as compact JSON on the batch route.
	Data []byte
}

// Result is Kinesis's answer for one record of a PutRecords call. An empty ErrorCode means
// the record was stored.
type Result struct {
	SequenceNumber string
	ShardID        string
	ErrorCode      string
	ErrorMessage   string
}

// StreamError is Kinesis's answer to a request that failed as a whole: the HTTP status and
// the error type (__type) and message of its JSON body. The API answers it as its response
// templates do (vtl.CORS.ClientErrorResponse for 4xx, ServerErrorResponse for 5xx).
type StreamError struct {
	Status  int
	Code    string
	Message string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// Sink stores what the API accepts, as Kinesis does behind the deployed API. A *StreamError
// is Kinesis's error answer; any other error is an integration failure (API Gateway answers
// 500 "Internal server error"). A Sink must be safe for concurrent use.
type Sink interface {
	// PutRecord stores one record (POST /v1/events).
	PutRecord(ctx context.Context, r Record) error
	// PutRecords stores a batch (POST /v1/events/batch) and answers one Result per record, in
	// order; failed records carry an ErrorCode, the others were stored.
	PutRecords(ctx context.Context, recs []Record) ([]Result, error)
}
