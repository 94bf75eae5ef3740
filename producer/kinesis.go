package producer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// KinesisAPI is the part of the Kinesis client a KinesisPutter uses. Give it a client whose
// own retries are off (aws.NopRetryer), so that every retry is counted, and made, by Run.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
	PutRecord(ctx context.Context, in *kinesis.PutRecordInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordOutput, error)
}

// KinesisPutter puts records straight into a stream with PutRecords (up to 500 records,
// 5 MiB), or with one PutRecord per record when OneByOne is set (for comparison).
type KinesisPutter struct {
	Client   KinesisAPI
	Stream   string
	OneByOne bool
}

// Limits implements Putter.
func (k *KinesisPutter) Limits() Limits {
	if k.OneByOne {
		return SingleLimits
	}
	return KinesisLimits
}

// Put implements Putter. PutRecords answers HTTP 200 even when records failed: the failed
// ones carry an ErrorCode at their index, and only those are returned for retry.
func (k *KinesisPutter) Put(ctx context.Context, recs []Record) (Result, error) {
	if k.OneByOne {
		if len(recs) != 1 {
			return Result{}, &RequestError{Action: Reject, Code: "TooManyRecords", Message: fmt.Sprintf("PutRecord takes one record, got %d", len(recs))}
		}
		_, err := k.Client.PutRecord(ctx, &kinesis.PutRecordInput{
			StreamName: &k.Stream, PartitionKey: &recs[0].PartitionKey, Data: recs[0].Data,
		})
		if err != nil {
			return Result{}, ClassifyAWSError(err)
		}
		return Result{}, nil
	}
	entries := make([]types.PutRecordsRequestEntry, len(recs))
	for i := range recs {
		entries[i] = types.PutRecordsRequestEntry{Data: recs[i].Data, PartitionKey: &recs[i].PartitionKey}
	}
	out, err := k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &k.Stream, Records: entries})
	if err != nil {
		return Result{}, ClassifyAWSError(err)
	}
	if len(out.Records) != len(recs) {
		// Without one result per record we cannot tell what was stored: retry all (a stored
		// record may then appear twice, with its event_id).
		return Result{}, &RequestError{Action: Retry, Code: "MalformedResponse", Message: fmt.Sprintf("PutRecords answered %d results for %d records", len(out.Records), len(recs))}
	}
	var res Result
	for i, r := range out.Records {
		if r.ErrorCode == nil || *r.ErrorCode == "" {
			continue
		}
		f := Failure{Index: i, Code: *r.ErrorCode, Throttled: isThrottle(*r.ErrorCode)}
		if r.ErrorMessage != nil {
			f.Message = *r.ErrorMessage
		}
		if permanentRecordError(f.Code) {
			res.Rejected = append(res.Rejected, f)
		} else {
			res.Retry = append(res.Retry, f)
		}
	}
	return res, nil
}

// Throttling error codes of Kinesis (and KMS behind it): slow down and retry.
var throttleCodes = []string{"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException", "KMSThrottlingException", "RequestLimitExceeded", "Throttling", "TooManyRequestsException"}

func isThrottle(code string) bool { return slices.Contains(throttleCodes, code) }

// permanentRecordError: per-record codes that a retry cannot fix (the stream's KMS key is
// unusable). ProvisionedThroughputExceeded and InternalFailure are worth retrying.
func permanentRecordError(code string) bool {
	return strings.HasPrefix(code, "KMS") && code != "KMSThrottlingException"
}

// Whole-request error codes that no retry and no other record can fix.
var abortCodes = []string{
	"ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
	"InvalidSignatureException", "ExpiredTokenException", "MissingAuthenticationToken",
	"IncompleteSignature", "InvalidClientTokenId", "SignatureDoesNotMatch",
	"KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException",
	"KMSNotFoundException", "KMSOptInRequired",
}

// Whole-request error codes that mean these records (not the stream) are wrong.
var rejectCodes = []string{"ValidationException", "InvalidArgumentException", "SerializationException"}

// ClassifyAWSError turns an AWS SDK error into a RequestError: throttling and server errors
// are retried, bad requests rejected, and errors no request can overcome (missing stream,
// credentials, permissions) abort the run.
func ClassifyAWSError(err error) *RequestError {
	re := networkError(err)
	var rerr *awshttp.ResponseError
	if errors.As(err, &rerr) {
		re.Status = rerr.HTTPStatusCode()
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if re.Status >= 400 && re.Status < 500 {
			re.Action, re.Code = Reject, fmt.Sprint(re.Status)
		}
		return re
	}
	re.Code, re.Message = ae.ErrorCode(), ae.ErrorMessage()
	switch {
	case isThrottle(re.Code):
		re.Throttled = true
	case slices.Contains(abortCodes, re.Code):
		re.Action = Abort
	case slices.Contains(rejectCodes, re.Code):
		re.Action = Reject
	case re.Status >= 500, ae.ErrorFault() == smithy.FaultServer:
		// InternalFailure, ServiceUnavailable: retry.
	case re.Status >= 400:
		re.Action = Reject
	}
	return re
}
