// Package stacks is the streamlake program: Run loads the stack's configuration and wires the
// components. main only calls pulumi.Run(stacks.Run); tests call Run under mocks.
package stacks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Pipeline is every component of one stack, so later stages (delivery, monitoring) can be
// wired to the ones before them: the shared ones once, and each dataset's own (Datasets).
type Pipeline struct {
	Config     *Config
	Env        *components.Env
	Key        *components.DataKey
	Lake       *components.Lake
	API        *components.IngestAPI
	Analytics  *components.Analytics
	Monitoring *components.Monitoring
	WAF        *components.WAF // nil with waf off
	// Datasets are every dataset's components, the default first.
	Datasets []*DatasetPipeline
}

// Run is the whole program, for the datasets built into the binary.
func Run(ctx *pulumi.Context) error { return RunWith(nil)(ctx) }

// RunWith is the program for the datasets ds (the default first; nil: the ones built into the
// binary, schema.Datasets), as tests deploy the example dataset.
func RunWith(ds []schema.Dataset) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := Load(ctx, ds)
		if err != nil {
			return err
		}
		p, err := Build(ctx, cfg)
		if err != nil {
			return err
		}
		p.export(ctx)
		return nil
	}
}

// Build creates the pipeline from a validated config and its datasets, one stage at a time:
// each stage is wired to the ones before it, and the stages of datasets run for each dataset.
func Build(ctx *pulumi.Context, cfg *Config) (*Pipeline, error) {
	if len(cfg.Datasets) == 0 || !cfg.Datasets[0].IsDefault() {
		return nil, fmt.Errorf("the configuration has no datasets (the default first): load it with Load")
	}
	for _, d := range cfg.Datasets {
		if err := d.Schema.Validate(); err != nil {
			return nil, err
		}
	}
	if err := registerTags(ctx, cfg); err != nil {
		return nil, err
	}
	p := &Pipeline{Config: cfg}
	for _, d := range cfg.Datasets {
		p.Datasets = append(p.Datasets, newDatasetPipeline(cfg, d))
	}
	names := stackconfig.NamesFor(cfg.Project, cfg.Stack)
	// The order of the stages that follow the catalog is the order a schema change takes
	// effect in during one `pulumi up` (see buildFunction and buildAPI).
	for _, stage := range []func(*pulumi.Context, Names) error{
		p.buildKey, p.buildLake, p.each(p.buildStream), p.each(p.buildCatalog), p.each(p.buildFunction), p.buildAPI,
		p.buildWAF, p.buildAnalytics, p.each(p.buildDelivery), p.buildMonitoring,
	} {
		if err := stage(ctx, names); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// buildKey adds the stack's KMS key and the environment every later stage shares.
func (p *Pipeline) buildKey(ctx *pulumi.Context, _ Names) error {
	cfg := p.Config
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("look up the deploying account (are AWS credentials set?): %w", err)
	}
	p.Key, err = components.NewDataKey(ctx, "key", &components.DataKeyArgs{
		Region: cfg.Region, Partition: awsrules.Partition(cfg.Region), AccountID: pulumi.String(identity.AccountId),
		DeletionWindowDays: map[bool]int{true: 30, false: 7}[cfg.ProtectData],
		Protect:            cfg.ProtectData,
	})
	if err != nil {
		return err
	}
	p.Env = &components.Env{
		Region:           cfg.Region,
		Partition:        awsrules.Partition(cfg.Region),
		AccountID:        pulumi.String(identity.AccountId),
		KeyArn:           p.Key.Arn,
		LogRetentionDays: cfg.LogRetentionDays,
	}
	return nil
}

// buildLake adds the lake bucket with its lifecycle.
func (p *Pipeline) buildLake(ctx *pulumi.Context, _ Names) error {
	cfg := p.Config
	var err error
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
	return err
}

// buildAPI adds the ingest API (and the region's API Gateway logging role when managed here),
// with every dataset's routes. It depends on the transform functions, so that a schema change
// reaches the API's request models (and a new deployment) only after the Lambda that validates
// the new field is live: the API never accepts a field the running Lambda would reject.
func (p *Pipeline) buildAPI(ctx *pulumi.Context, _ Names) error {
	cfg := p.Config
	var account pulumi.Resource
	if cfg.ManageAPIGatewayAccount {
		a, err := components.NewAPIGatewayAccount(ctx, "apigateway-account", &components.APIGatewayAccountArgs{Env: p.Env})
		if err != nil {
			return err
		}
		account = a.Settings
	}
	def := p.defaultDataset()
	var others []components.APIDataset
	functions := []pulumi.Resource{def.Function.Function}
	for _, d := range p.others() {
		others = append(others, components.APIDataset{Name: d.Name, Schema: d.Schema, UnknownFields: d.UnknownFields,
			StreamName: d.Stream.Name, StreamArn: d.Stream.Arn})
		functions = append(functions, d.Function.Function)
	}
	var err error
	p.API, err = components.NewIngestAPI(ctx, "ingest", &components.IngestAPIArgs{
		Env:             p.Env,
		Schema:          def.Schema,
		UnknownFields:   def.UnknownFields,
		StreamName:      def.Stream.Name,
		StreamArn:       def.Stream.Arn,
		Others:          others,
		StageName:       cfg.APIStageName,
		RateLimit:       cfg.APIRateLimit,
		BurstLimit:      cfg.APIBurstLimit,
		QuotaPerDay:     cfg.APIQuotaPerDay,
		CorsOrigins:     cfg.CorsAllowOrigins,
		Auth:            cfg.APIAuth,
		UserPoolArns:    cfg.APIJWTUserPoolArns,
		JWTScopes:       cfg.APIJWTScopes,
		AccountSettings: account,
	}, pulumi.DependsOn(functions))
	return err
}

// buildAnalytics adds the Athena workgroup and every dataset's saved queries.
func (p *Pipeline) buildAnalytics(ctx *pulumi.Context, names Names) error {
	var others []components.AnalyticsTable
	for _, d := range p.others() {
		others = append(others, components.AnalyticsTable{Dataset: d.Name, Schema: d.Schema, Table: d.Names.Table})
	}
	var err error
	p.Analytics, err = components.NewAnalytics(ctx, "analytics", &components.AnalyticsArgs{
		Env:                   p.Env,
		Schema:                p.defaultDataset().Schema,
		WorkgroupName:         names.Workgroup,
		BucketName:            p.Lake.BucketName,
		DatabaseName:          names.Database,
		TableName:             names.Table,
		Others:                others,
		BytesScannedCutoffMiB: p.Config.BytesScannedCutoffMiB,
		ForceDestroy:          !p.Config.ProtectData,
	})
	return err
}

// buildMonitoring adds alarms on every stage of every dataset, the alarm topic and the
// dashboard (a row per other dataset).
func (p *Pipeline) buildMonitoring(ctx *pulumi.Context, names Names) error {
	cfg, def := p.Config, p.defaultDataset()
	var crawlerName pulumi.StringInput
	if def.Catalog.Crawler != nil {
		crawlerName = def.Catalog.Crawler.Name
	}
	var webACL pulumi.StringInput
	if p.WAF != nil {
		webACL = p.WAF.WebACLName
	}
	var others []components.MonitoredDataset
	for _, d := range p.others() {
		others = append(others, p.monitored(d))
	}
	targets, thresholds := AlarmSettings(def.Config)
	var err error
	p.Monitoring, err = components.NewMonitoring(ctx, "monitoring", &components.MonitoringArgs{
		Env:                p.Env,
		APIName:            p.API.RestAPIName,
		StageName:          p.API.StageName,
		StreamName:         def.Stream.Name,
		DeliveryStreamName: def.Delivery.Name,
		FunctionName:       def.Function.Name,
		Discovery:          def.PartitionDiscovery,
		CrawlerName:        crawlerName,
		WorkgroupName:      p.Analytics.WorkgroupName,
		WebACLName:         webACL,
		DashboardName:      names.Dashboard,
		Targets:            targets,
		Thresholds:         thresholds,
		Emails:             cfg.AlarmEmails,
		HTTPSEndpoints:     cfg.AlarmHTTPSEndpoints,
		Others:             others,
	})
	return err
}

// AlarmSettings are what a stack's (or a dataset's: its configuration) alarms derive from:
// the facts about the monitored resources and the operator's thresholds (docs/alarms.md
// renders the alarms of Pulumi.prod.yaml).
func AlarmSettings(cfg *Config) (components.AlarmTargets, components.AlarmThresholds) {
	return components.AlarmTargets{
			RetentionHours:         cfg.RetentionHours,
			BufferSeconds:          cfg.FirehoseBufferSeconds,
			ProcessorBufferSeconds: cfg.ProcessorBufferSeconds,
			DynamicPartitioning:    cfg.Partitioning == lakelayout.EventTime,
			RawBackup:              cfg.RawBackup,
			FunctionTimeoutSeconds: cfg.LambdaTimeoutSeconds,
			WAF:                    cfg.WAF,
		}, components.AlarmThresholds{
			API5xxPerPeriod:       cfg.AlarmAPI5xxPerPeriod,
			API4xxRatePercent:     cfg.AlarmAPI4xxRatePercent,
			APILatencyP99Ms:       cfg.AlarmAPILatencyP99Ms,
			IteratorAgeMinutes:    cfg.AlarmIteratorAgeMinutes,
			FreshnessSeconds:      cfg.AlarmFreshnessSeconds,
			SilentMinutes:         cfg.AlarmSilentMinutes,
			LambdaDurationPercent: cfg.AlarmLambdaDurationPercent,
			ThrottlePeriods:       cfg.AlarmThrottlePeriods,
			WAFBlockedPerPeriod:   cfg.AlarmWAFBlockedPerPeriod,
		}
}

// buildWAF puts the firewall on the API stage (waf on); Monitoring alarms on what it blocks.
func (p *Pipeline) buildWAF(ctx *pulumi.Context, names Names) error {
	cfg := p.Config
	if !cfg.WAF {
		return nil
	}
	var err error
	p.WAF, err = components.NewWAF(ctx, "waf", &components.WAFArgs{
		Env:               p.Env,
		Name:              names.WebACL,
		LogGroupName:      names.WAFLogs,
		StageArn:          p.API.StageArn,
		RateLimitPer5Min:  cfg.WAFRateLimitPer5Min,
		ManagedRuleGroups: cfg.WAFManagedRules,
		Datasets:          cfg.DatasetNames(),
	})
	return err
}

// deployedShards reads the live stream's open shard count so that preview can refuse a shard
// change AWS would reject; 0 means there is nothing to check (see liveLookup).
func deployedShards(ctx *pulumi.Context, name, onError string) (int, error) {
	s, err := kinesis.LookupStream(ctx, &kinesis.LookupStreamArgs{Name: name})
	found, err := liveLookup(ctx, err, isNotFound, onError, liveCheck{
		subject: "stream " + name + ": the live shard count", check: "shard-step check",
		consequence: "AWS still refuses a change of more than one step",
	})
	if !found {
		return 0, err
	}
	return len(s.OpenShards), nil
}

// liveCheck names a check that reads live state at preview, for liveLookup's messages.
type liveCheck struct {
	subject     string // what cannot be read, e.g. "stream x: the live shard count"
	check       string // the check that needs it
	consequence string // what happens if the check is skipped
}

// liveLookup applies the liveLookupErrors policy to the error of a live lookup. Only "not
// found" means a first deploy with nothing to check (found false, no error). Any other lookup
// error (throttling, AccessDenied, expired credentials) leaves the check unable to run: with
// liveLookupErrors warn that is a warning naming the error and the check is skipped; with fail
// it is the preview's error.
func liveLookup(ctx *pulumi.Context, err error, notFound func(error) bool, onError string, c liveCheck) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	case onError == stackconfig.LookupFail:
		return false, fmt.Errorf("%s cannot be read, so the %s cannot run (liveLookupErrors is fail): %w", c.subject, c.check, err)
	}
	_ = ctx.Log.Warn(fmt.Sprintf("%s cannot be read, so the %s is skipped (%s; liveLookupErrors: fail makes this an error): %v",
		c.subject, c.check, c.consequence, err), nil)
	return false, nil
}

// isNotFound recognizes the provider's "not found" for kinesis.getStream; the error crosses
// gRPC as text. pulumi-aws v6.83.0 (terraform-provider-aws's aws_kinesis_stream data source)
// reports "reading Kinesis Stream (<name>): couldn't find resource": a retry.NotFoundError
// around DescribeStreamSummary's ResourceNotFoundException, whose name is matched too in case
// a provider version prints the AWS error.
func isNotFound(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "couldn't find resource") || strings.Contains(msg, "ResourceNotFoundException")
}

// export writes the stack's outputs: the shared resources' and the default dataset's under
// the names they had before there were datasets, and every dataset's in datasets, by name.
func (p *Pipeline) export(ctx *pulumi.Context) {
	def := p.defaultDataset()
	ctx.Export("region", pulumi.String(p.Config.Region))
	ctx.Export("apiUrl", p.API.URL)
	ctx.Export("eventsUrl", p.API.EventsURL)
	ctx.Export("batchUrl", p.API.BatchURL)
	ctx.Export("apiAuth", pulumi.String(string(p.Config.APIAuth)))
	switch p.Config.APIAuth {
	case apispec.AuthAPIKey:
		ctx.Export("apiKey", p.API.APIKey)
	case apispec.AuthIAM:
		ctx.Export("producerPolicy", p.API.ProducerPolicy)
	}
	ctx.Export("streamName", def.Stream.Name)
	ctx.Export("streamArn", def.Stream.Arn)
	ctx.Export("bucketName", p.Lake.BucketName)
	ctx.Export("glueDatabase", def.Catalog.DatabaseName)
	ctx.Export("glueTable", def.Catalog.TableName)
	// verify reads partitionDiscovery: with projection it adds no partitions itself.
	ctx.Export("partitionDiscovery", pulumi.String(string(def.PartitionDiscovery)))
	if c := def.Catalog.Crawler; c != nil {
		ctx.Export("crawlerName", c.Name)
		ctx.Export("crawlerLogGroup", c.LogGroup)
	}
	ctx.Export("athenaWorkgroup", p.Analytics.WorkgroupName)
	ctx.Export("keyArn", p.Key.Arn)
	ctx.Export("transformFunction", def.Function.Name)
	ctx.Export("deliveryStreamName", def.Delivery.Name)
	ctx.Export("alarmTopicArn", p.Monitoring.TopicArn)
	ctx.Export("dashboardName", p.Monitoring.DashboardName)
	if p.WAF != nil {
		ctx.Export("wafWebAcl", p.WAF.WebACLName)
		ctx.Export("wafLogGroup", p.WAF.LogGroupName)
	}
	datasets := pulumi.Map{}
	for _, d := range p.Datasets {
		datasets[d.Name] = p.datasetOutputs(d)
	}
	ctx.Export("datasets", datasets) // stackconfig.OutputDatasets, which the CLI reads (tests keep them equal)
}

// datasetOutputs are a dataset's outputs (stackconfig.DatasetOutputs), named as the stack's
// own for the default dataset.
func (p *Pipeline) datasetOutputs(d *DatasetPipeline) pulumi.Map {
	urls := p.API.URLs[d.Name]
	roots := lakelayout.RootsOf(d.Name)
	out := pulumi.Map{
		stackconfig.OutputEventsURL: urls.EventsURL, stackconfig.OutputBatchURL: urls.BatchURL,
		stackconfig.OutputStreamName: d.Stream.Name, stackconfig.OutputStreamArn: d.Stream.Arn,
		stackconfig.OutputGlueTable:         d.Catalog.TableName,
		stackconfig.OutputDiscovery:         pulumi.String(string(d.PartitionDiscovery)),
		stackconfig.OutputTransformFunction: d.Function.Name, stackconfig.OutputDeliveryStream: d.Delivery.Name,
		stackconfig.OutputDataPrefix: pulumi.String(roots.Data), stackconfig.OutputRawPrefix: pulumi.String(roots.Raw),
		stackconfig.OutputErrorsPrefix: pulumi.String(roots.Errors),
	}
	if c := d.Catalog.Crawler; c != nil {
		out[stackconfig.OutputCrawlerName], out[stackconfig.OutputCrawlerLogGroup] = c.Name, c.LogGroup
	}
	return out
}
