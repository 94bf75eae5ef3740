package standin

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// credentialsProvider gives the fake credentials every stand-in accepts.
var credentialsProvider = credentials.NewStaticCredentialsProvider("AKIDSTANDIN", "standin-secret", "")

// AWSConfig is an AWS configuration for a stand-in at endpoint, with the SDK's own retries off
// (callers retry and count their retries themselves).
func AWSConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentialsProvider,
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// CreateStream creates a provisioned stream and waits until it is ACTIVE.
func CreateStream(ctx context.Context, c *kinesis.Client, name string, shards int) error {
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &name, ShardCount: aws.Int32(int32(shards))}); err != nil {
		return fmt.Errorf("create stream %s: %w", name, err)
	}
	return WaitActive(ctx, c, name)
}

// WaitActive waits up to 30 s until a stream is ACTIVE.
func WaitActive(ctx context.Context, c *kinesis.Client, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &name})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("stream %s not ACTIVE after 30 s (last error: %w)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
