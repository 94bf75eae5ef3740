package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// awsFlags are the flags every AWS-calling command shares.
type awsFlags struct {
	region   string
	endpoint string
}

// loadAWS loads the AWS configuration once (credentials from the usual chain: environment,
// profile, SSO, instance or OIDC role). endpoint, if set, sends every client to it (local
// stand-ins in tests).
func loadAWS(ctx context.Context, region, endpoint string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, usagef("no AWS region: pass --region (or set AWS_REGION, or run inside the project so the stack's region is used)")
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}

// kinesisForSend is a Kinesis client whose own retries are off: the producer re-sends only
// what failed and counts every retry.
func kinesisForSend(cfg aws.Config) *kinesis.Client {
	return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.Retryer = aws.NopRetryer{} })
}

func athenaClient(cfg aws.Config) *athena.Client { return athena.NewFromConfig(cfg) }

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A local endpoint has no per-bucket host names.
		o.UsePathStyle = cfg.BaseEndpoint != nil
	})
}

// cloudWatchClient speaks CloudWatch's awsQuery protocol. Since service/cloudwatch v1.53.0 the
// SDK defaults to Smithy RPC v2 CBOR; CloudWatch still serves awsQuery (its model lists both),
// and moto_server, which the tests run against, answers only awsQuery. The SDK's Protocol
// option selects it (smithy-go's awsquery package with the client's own service schema), so
// the tests exercise the same client, serializers and protocol the CLI ships with.
func cloudWatchClient(cfg aws.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
}

func glueClient(cfg aws.Config) *glue.Client { return glue.NewFromConfig(cfg) }
