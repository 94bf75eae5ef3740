package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
)

// StreamArgs configures the Kinesis data stream.
type StreamArgs struct {
	Env *Env
	// Name is the physical stream name. It is derived from project and stack (never fixed)
	// so the live shard count can be looked up at preview time.
	Name string
	// Mode is PROVISIONED or ON_DEMAND.
	Mode string
	// ShardCount is the provisioned shard count (0 for ON_DEMAND).
	ShardCount int
	// DeployedShardCount is the open shard count of the live stream (0 if unknown or new).
	// A change AWS would reject in one UpdateShardCount call fails validation instead.
	DeployedShardCount int
	RetentionHours     int
	// ShardLevelMetrics are the enhanced metrics to enable (they cost extra per shard).
	ShardLevelMetrics []string
	Protect           bool
}

// Validate checks the stream against Kinesis's rules.
func (a *StreamArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if err := awsrules.CheckName("aws:kinesis/stream:Stream", a.Name, false); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if err := awsrules.CheckStreamMode(a.Mode, a.ShardCount); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if err := awsrules.CheckRetentionHours(a.RetentionHours); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if err := awsrules.CheckShardLevelMetrics(a.ShardLevelMetrics); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if a.Mode == awsrules.Provisioned {
		if err := awsrules.CheckShardStep(a.DeployedShardCount, a.ShardCount); err != nil {
			return fmt.Errorf("stream: %w", err)
		}
	}
	return nil
}

// Stream is a KMS-encrypted Kinesis data stream.
type Stream struct {
	pulumi.ResourceState
	Name pulumi.StringOutput `pulumi:"name"`
	Arn  pulumi.StringOutput `pulumi:"arn"`
}

// NewStream creates the stream.
func NewStream(ctx *pulumi.Context, name string, args *StreamArgs, opts ...pulumi.ResourceOption) (*Stream, error) {
	if args == nil {
		return nil, fmt.Errorf("stream %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Stream{}
	if err := ctx.RegisterComponentResource(typePrefix+"Stream", name, c, opts...); err != nil {
		return nil, err
	}
	sargs := &kinesis.StreamArgs{
		Name:              pulumi.String(args.Name),
		RetentionPeriod:   pulumi.Int(args.RetentionHours),
		EncryptionType:    pulumi.String("KMS"),
		KmsKeyId:          args.Env.KeyArn,
		ShardLevelMetrics: pulumi.ToStringArray(args.ShardLevelMetrics),
		StreamModeDetails: &kinesis.StreamStreamModeDetailsArgs{StreamMode: pulumi.String(args.Mode)},
	}
	if args.Mode == awsrules.Provisioned {
		sargs.ShardCount = pulumi.Int(args.ShardCount)
	}
	// Only the name forces replacement (shards, mode, retention and encryption update in
	// place), so create-before-delete never collides. Never delete first: unread records would
	// be lost. Prod also protects the stream.
	sopts := []pulumi.ResourceOption{pulumi.Parent(c)}
	if args.Protect {
		sopts = append(sopts, pulumi.Protect(true))
	}
	s, err := kinesis.NewStream(ctx, name+"-stream", sargs, sopts...)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	c.Name, c.Arn = s.Name, s.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"name": s.Name, "arn": s.Arn}); err != nil {
		return nil, err
	}
	return c, nil
}
