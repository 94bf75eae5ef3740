// Package stacks is the streamlake program: Run loads the stack's configuration and wires the
// components. main only calls pulumi.Run(stacks.Run); tests call Run under mocks.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// Pipeline is every component of one stack, so later stages (delivery, monitoring) can be
// wired to the ones before them.
type Pipeline struct {
	Config     *Config
	Schema     *schema.Schema
	Env        *components.Env
	Key        *components.DataKey
	Lake       *components.Lake
	Stream     *components.Stream
	Catalog    *components.Catalog
	API        *components.IngestAPI
	Analytics  *components.Analytics
	Function   *components.TransformFunction
	Delivery   *components.Delivery
	Monitoring *components.Monitoring
}

// Run is the whole program.
func Run(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	p, err := Build(ctx, cfg, schema.Default())
	if err != nil {
		return err
	}
	p.export(ctx)
	return nil
}

// Names are the physical names the stack chooses itself (Glue and Athena names appear in SQL;
// the stream's name lets preview read its live shard count). All include project and stack.
type Names struct {
	Stream, Database, Table, Crawler, CrawlerSecurity, Workgroup, Dashboard string
}

// NamesFor derives the physical names of a stack.
func NamesFor(project, stack string) Names {
	return Names{
		Stream:   awsrules.PhysicalName("-", project, stack, "events"),
		Database: awsrules.PhysicalName("_", project, stack),
		Table:    "events",
		Crawler:  awsrules.PhysicalName("-", project, stack, "partitions"),
		// Kept short: it is part of the crawler's log group name.
		CrawlerSecurity: awsrules.PhysicalName("-", project, stack, "crawler"),
		Workgroup:       awsrules.PhysicalName("-", project, stack),
		Dashboard:       awsrules.PhysicalName("-", project, stack),
	}
}

// Build creates the pipeline from a validated config and schema.
func Build(ctx *pulumi.Context, cfg *Config, s *schema.Schema) (*Pipeline, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := registerTags(ctx, cfg); err != nil {
		return nil, err
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("look up the deploying account (are AWS credentials set?): %w", err)
	}
	names := NamesFor(cfg.Project, cfg.Stack)
	p := &Pipeline{Config: cfg, Schema: s}

	p.Key, err = components.NewDataKey(ctx, "key", &components.DataKeyArgs{
		Region: cfg.Region, Partition: awsrules.Partition(cfg.Region), AccountID: pulumi.String(identity.AccountId),
		DeletionWindowDays: map[bool]int{true: 30, false: 7}[cfg.ProtectData],
		Protect:            cfg.ProtectData,
	})
	if err != nil {
		return nil, err
	}
	p.Env = &components.Env{
		Region:           cfg.Region,
		Partition:        awsrules.Partition(cfg.Region),
		AccountID:        pulumi.String(identity.AccountId),
		KeyArn:           p.Key.Arn,
		LogRetentionDays: cfg.LogRetentionDays,
	}

	p.Lake, err = components.NewLake(ctx, "lake", &components.LakeArgs{
		Env:                      p.Env,
		Versioning:               cfg.Versioning,
		Protect:                  cfg.ProtectData,
		RawTransitionDays:        cfg.RawTransitionDays,
		RawStorageClass:          cfg.RawStorageClass,
		RawExpirationDays:        cfg.RawExpirationDays,
		ErrorsExpirationDays:     cfg.ErrorsExpirationDays,
		ResultsExpirationDays:    cfg.AthenaResultsExpirationDays,
		NoncurrentExpirationDays: cfg.NoncurrentExpirationDays,
	})
	if err != nil {
		return nil, err
	}

	deployed := 0
	if cfg.CheckShardStep && cfg.StreamMode == awsrules.Provisioned {
		deployed = deployedShards(ctx, names.Stream)
	}
	p.Stream, err = components.NewStream(ctx, "stream", &components.StreamArgs{
		Env:                p.Env,
		Name:               names.Stream,
		Mode:               cfg.StreamMode,
		ShardCount:         cfg.ShardCount,
		DeployedShardCount: deployed,
		RetentionHours:     cfg.RetentionHours,
		ShardLevelMetrics:  cfg.ShardLevelMetrics,
		Protect:            cfg.ProtectData,
	})
	if err != nil {
		return nil, err
	}

	p.Catalog, err = components.NewCatalog(ctx, "catalog", &components.CatalogArgs{
		Env:                       p.Env,
		Schema:                    s,
		DatabaseName:              names.Database,
		TableName:                 names.Table,
		CrawlerName:               names.Crawler,
		SecurityConfigurationName: names.CrawlerSecurity,
		BucketName:                p.Lake.BucketName,
		BucketArn:                 p.Lake.BucketArn,
		Schedule:                  cfg.CrawlerSchedule,
	})
	if err != nil {
		return nil, err
	}

	var account pulumi.Resource
	if cfg.ManageAPIGatewayAccount {
		a, err := components.NewAPIGatewayAccount(ctx, "apigateway-account", &components.APIGatewayAccountArgs{Env: p.Env})
		if err != nil {
			return nil, err
		}
		account = a.Settings
	}
	p.API, err = components.NewIngestAPI(ctx, "ingest", &components.IngestAPIArgs{
		Env:             p.Env,
		Schema:          s,
		UnknownFields:   cfg.UnknownFields,
		StreamName:      p.Stream.Name,
		StreamArn:       p.Stream.Arn,
		StageName:       cfg.APIStageName,
		RateLimit:       cfg.APIRateLimit,
		BurstLimit:      cfg.APIBurstLimit,
		QuotaPerDay:     cfg.APIQuotaPerDay,
		CorsOrigins:     cfg.CorsAllowOrigins,
		AccountSettings: account,
	})
	if err != nil {
		return nil, err
	}

	p.Analytics, err = components.NewAnalytics(ctx, "analytics", &components.AnalyticsArgs{
		Env:                  p.Env,
		Schema:               s,
		WorkgroupName:        names.Workgroup,
		BucketName:           p.Lake.BucketName,
		DatabaseName:         names.Database,
		TableName:            names.Table,
		BytesScannedCutoffMb: cfg.BytesScannedCutoffMb,
		ForceDestroy:         !cfg.ProtectData,
	})
	if err != nil {
		return nil, err
	}
	if err := p.buildDelivery(ctx, names); err != nil {
		return nil, err
	}
	if err := p.buildMonitoring(ctx, names); err != nil {
		return nil, err
	}
	return p, nil
}

// buildDelivery adds the transform Lambda and the Firehose delivery stream.
func (p *Pipeline) buildDelivery(ctx *pulumi.Context, names Names) error {
	cfg := p.Config
	zip, err := transformArchive()
	if err != nil {
		return err
	}
	p.Function, err = components.NewTransformFunction(ctx, "transform", &components.TransformFunctionArgs{
		Env:                 p.Env,
		ArchivePath:         zip.Path,
		CodeSHA256:          zip.SHA256,
		MemoryMB:            cfg.LambdaMemoryMb,
		TimeoutSeconds:      cfg.LambdaTimeoutSeconds,
		ReservedConcurrency: cfg.LambdaReservedConcurrency,
		UnknownFields:       cfg.UnknownFields,
		LogLevel:            cfg.LambdaLogLevel,
	})
	if err != nil {
		return err
	}
	p.Delivery, err = components.NewDelivery(ctx, "delivery", &components.DeliveryArgs{
		Env:                    p.Env,
		Schema:                 p.Schema,
		StreamArn:              p.Stream.Arn,
		BucketArn:              p.Lake.BucketArn,
		DatabaseName:           names.Database,
		TableName:              names.Table,
		FunctionArn:            p.Function.Arn,
		Partitioning:           cfg.Partitioning,
		BufferMiB:              cfg.FirehoseBufferMb,
		BufferSeconds:          cfg.FirehoseBufferSeconds,
		ProcessorBufferMiB:     cfg.ProcessorBufferMb,
		ProcessorBufferSeconds: cfg.ProcessorBufferSeconds,
		ProcessorRetries:       cfg.ProcessorRetries,
		MaxProcessorBufferMiB:  transform.SafeProcessorBufferMiB,
		RawBackup:              cfg.RawBackup,
		RetrySeconds:           cfg.DeliveryRetrySeconds,
	}, pulumi.DependsOn([]pulumi.Resource{p.Catalog, p.Lake}))
	return err
}

// buildMonitoring adds alarms on every stage, the alarm topic and the dashboard.
func (p *Pipeline) buildMonitoring(ctx *pulumi.Context, names Names) error {
	cfg := p.Config
	var err error
	p.Monitoring, err = components.NewMonitoring(ctx, "monitoring", &components.MonitoringArgs{
		Env:                p.Env,
		APIName:            p.API.RestAPIName,
		StageName:          p.API.StageName,
		StreamName:         p.Stream.Name,
		DeliveryStreamName: p.Delivery.Name,
		FunctionName:       p.Function.Name,
		CrawlerName:        p.Catalog.CrawlerName,
		WorkgroupName:      p.Analytics.WorkgroupName,
		DashboardName:      names.Dashboard,
		Targets: components.AlarmTargets{
			RetentionHours:         cfg.RetentionHours,
			BufferSeconds:          cfg.FirehoseBufferSeconds,
			ProcessorBufferSeconds: cfg.ProcessorBufferSeconds,
			DynamicPartitioning:    cfg.Partitioning == components.EventTime,
			RawBackup:              cfg.RawBackup,
			FunctionTimeoutSeconds: cfg.LambdaTimeoutSeconds,
		},
		Thresholds: components.AlarmThresholds{
			API5xxPerPeriod:       cfg.AlarmAPI5xxPerPeriod,
			API4xxRatePercent:     cfg.AlarmAPI4xxRatePercent,
			APILatencyP99Ms:       cfg.AlarmAPILatencyP99Ms,
			IteratorAgeMinutes:    cfg.AlarmIteratorAgeMinutes,
			FreshnessSeconds:      cfg.AlarmFreshnessSeconds,
			SilentMinutes:         cfg.AlarmSilentMinutes,
			LambdaDurationPercent: cfg.AlarmLambdaDurationPercent,
			ThrottlePeriods:       cfg.AlarmThrottlePeriods,
		},
		Emails:         cfg.AlarmEmails,
		HTTPSEndpoints: cfg.AlarmHTTPSEndpoints,
	})
	return err
}

// deployedShards reads the live stream's open shard count so that preview can refuse a
// shard change AWS would reject. A stream that does not exist yet (first deploy) or cannot
// be read gives 0: the check is skipped with a warning, and AWS still enforces the rule.
func deployedShards(ctx *pulumi.Context, name string) int {
	s, err := kinesis.LookupStream(ctx, &kinesis.LookupStreamArgs{Name: name})
	if err != nil {
		_ = ctx.Log.Debug(fmt.Sprintf("stream %s not readable (new stack?): shard step check skipped: %v", name, err), nil)
		return 0
	}
	return len(s.OpenShards)
}

func (p *Pipeline) export(ctx *pulumi.Context) {
	ctx.Export("region", pulumi.String(p.Config.Region))
	ctx.Export("apiUrl", p.API.URL)
	ctx.Export("eventsUrl", p.API.EventsURL)
	ctx.Export("batchUrl", p.API.BatchURL)
	ctx.Export("apiKey", p.API.APIKey)
	ctx.Export("streamName", p.Stream.Name)
	ctx.Export("streamArn", p.Stream.Arn)
	ctx.Export("bucketName", p.Lake.BucketName)
	ctx.Export("glueDatabase", p.Catalog.DatabaseName)
	ctx.Export("glueTable", p.Catalog.TableName)
	ctx.Export("crawlerName", p.Catalog.CrawlerName)
	ctx.Export("crawlerLogGroup", p.Catalog.CrawlerLogGroup)
	ctx.Export("athenaWorkgroup", p.Analytics.WorkgroupName)
	ctx.Export("keyArn", p.Key.Arn)
	ctx.Export("transformFunction", p.Function.Name)
	ctx.Export("deliveryStreamName", p.Delivery.Name)
	ctx.Export("alarmTopicArn", p.Monitoring.TopicArn)
	ctx.Export("dashboardName", p.Monitoring.DashboardName)
}
