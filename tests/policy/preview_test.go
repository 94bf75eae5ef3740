package policy

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stacks"
	"github.com/streamlake/streamlake/transform"
)

// previewProgram is the real program (stacks.Build) plus the transform function, delivery
// stream and monitoring components, wired with the values their docs and awsrules tests use.
// It stands in for stacks.Run until those components are wired there, so that
// TestEachRuleCatchesABrokenResource exercises their rules on resources the component code
// really declares (baseRun switches to the real run as soon as it has a delivery stream).
func previewProgram(ctx *pulumi.Context) error {
	cfg, err := stacks.Load(ctx)
	if err != nil {
		return err
	}
	s := schema.Default()
	p, err := stacks.Build(ctx, cfg, s)
	if err != nil {
		return err
	}
	fn, err := components.NewTransformFunction(ctx, "transform", &components.TransformFunctionArgs{
		Env: p.Env, ArchivePath: "bootstrap.zip", CodeSHA256: "abc", MemoryMB: 512, TimeoutSeconds: 120,
		Environment: map[string]string{"UNKNOWN_FIELDS": "keep"}, LogLevel: "INFO",
	})
	if err != nil {
		return err
	}
	names := stacks.NamesFor(cfg.Project, cfg.Stack)
	d, err := components.NewDelivery(ctx, "delivery", &components.DeliveryArgs{
		Env: p.Env, Schema: s, StreamArn: p.Stream.Arn, BucketArn: p.Lake.BucketArn, DatabaseName: names.Database, TableName: names.Table,
		FunctionArn: fn.Arn, Partitioning: components.EventTime, BufferMiB: 128, BufferSeconds: 300,
		ProcessorBufferMiB: 1, ProcessorBufferSeconds: 60, ProcessorRetries: 3, MaxProcessorBufferMiB: transform.SafeProcessorBufferMiB, RawBackup: true, RetrySeconds: 300,
	})
	if err != nil {
		return err
	}
	_, err = components.NewMonitoring(ctx, "monitoring", &components.MonitoringArgs{
		Env: p.Env, APIName: p.API.RestAPIName, StageName: p.API.StageName, StreamName: p.Stream.Name, DeliveryStreamName: d.Name,
		FunctionName: fn.Name, CrawlerName: p.Catalog.CrawlerName, WorkgroupName: p.Analytics.WorkgroupName,
		DashboardName: "streamlake-" + cfg.Stack,
		Targets:       components.AlarmTargets{RetentionHours: cfg.RetentionHours, BufferSeconds: 300, ProcessorBufferSeconds: 60, DynamicPartitioning: true, RawBackup: true, FunctionTimeoutSeconds: 120},
		Thresholds:    components.AlarmThresholds{API5xxPerPeriod: 1, API4xxRatePercent: 5, APILatencyP99Ms: 2000, ThrottlePeriods: 3, LambdaDurationPercent: 80, SilentMinutes: 30},
		Emails:        []string{"oncall@example.com"},
	})
	return err
}
