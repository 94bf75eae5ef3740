package apisim

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/streamlake/streamlake/producer"
)

// KinesisSink stores records in a Kinesis stream (real, or a local kinesalite), one PutRecord
// or PutRecords call per API request, as the deployed API's integrations do. Give it a client
// without SDK retries (aws.NopRetryer): the integration makes one call per request.
type KinesisSink struct {
	Client producer.KinesisAPI
	Stream string
}

// PutRecord implements Sink.
func (k *KinesisSink) PutRecord(ctx context.Context, r Record) error {
	_, err := k.Client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: &k.Stream, PartitionKey: &r.PartitionKey, Data: r.Data})
	return streamError(err)
}

// PutRecords implements Sink.
func (k *KinesisSink) PutRecords(ctx context.Context, recs []Record) ([]Result, error) {
	entries := make([]types.PutRecordsRequestEntry, len(recs))
	for i := range recs {
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: &recs[i].PartitionKey, Data: recs[i].Data}
	}
	out, err := k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &k.Stream, Records: entries})
	if err != nil {
		return nil, streamError(err)
	}
	results := make([]Result, len(out.Records))
	for i, r := range out.Records {
		results[i] = Result{
			SequenceNumber: aws.ToString(r.SequenceNumber), ShardID: aws.ToString(r.ShardId),
			ErrorCode: aws.ToString(r.ErrorCode), ErrorMessage: aws.ToString(r.ErrorMessage),
		}
	}
	return results, nil
}

// streamError turns an answer of Kinesis into a *StreamError; an error without an answer
// (network, timeout) stays as it is, an integration failure.
func streamError(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		return err
	}
	return &StreamError{Status: re.HTTPStatusCode(), Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
}
