package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/transform"
)

// DatasetPipeline is one dataset's components: its stream, table (and crawler), transform
// function and delivery stream. The default dataset's keep the logical names they had before
// there were datasets ("stream", "catalog", "transform", "delivery"); another dataset's are
// prefixed with its name ("quiz_answers-stream"), at the same place in the component tree.
type DatasetPipeline struct {
	*stackconfig.Dataset
	// Names are the dataset's physical names (stackconfig.NamesOf).
	Names    Names
	Stream   *components.Stream
	Catalog  *components.Catalog
	Function *components.TransformFunction
	Delivery *components.Delivery
}

func newDatasetPipeline(cfg *Config, d *stackconfig.Dataset) *DatasetPipeline {
	return &DatasetPipeline{Dataset: d, Names: stackconfig.NamesOf(cfg.Project, cfg.Stack, d.Name)}
}

// logical is the logical name of one of the dataset's components.
func (d *DatasetPipeline) logical(component string) string {
	if d.IsDefault() {
		return component
	}
	return d.Name + "-" + component
}

// defaultDataset is the default dataset's components.
func (p *Pipeline) defaultDataset() *DatasetPipeline { return p.Datasets[0] }

// others are the other datasets' components.
func (p *Pipeline) others() []*DatasetPipeline { return p.Datasets[1:] }

// each runs a dataset stage for every dataset, the default first.
func (p *Pipeline) each(stage func(*pulumi.Context, *DatasetPipeline) error) func(*pulumi.Context, Names) error {
	return func(ctx *pulumi.Context, _ Names) error {
		for _, d := range p.Datasets {
			if err := stage(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}
}

// buildStream adds a dataset's Kinesis stream, checked against the live shard count.
func (p *Pipeline) buildStream(ctx *pulumi.Context, d *DatasetPipeline) error {
	deployed := 0
	if p.Config.CheckShardStep && d.StreamMode == awsrules.Provisioned {
		var err error
		if deployed, err = deployedShards(ctx, d.Names.Stream, p.Config.LiveLookupErrors); err != nil {
			return err
		}
	}
	var err error
	d.Stream, err = components.NewStream(ctx, d.logical("stream"), &components.StreamArgs{
		Env:                p.Env,
		Name:               d.Names.Stream,
		Mode:               d.StreamMode,
		ShardCount:         d.ShardCount,
		DeployedShardCount: deployed,
		RetentionHours:     d.RetentionHours,
		ShardLevelMetrics:  d.ShardLevelMetrics,
		Protect:            p.Config.ProtectData,
	})
	return err
}

// buildCatalog adds a dataset's Glue table (the default dataset's catalog also creates the
// database), once its schema is known to be compatible with the deployed table, and the
// crawler where partitionDiscovery has one.
func (p *Pipeline) buildCatalog(ctx *pulumi.Context, d *DatasetPipeline) error {
	err := p.checkSchema(ctx, d)
	if err != nil {
		return err
	}
	args := &components.CatalogArgs{
		Env:                       p.Env,
		Dataset:                   d.Name,
		Schema:                    d.Schema,
		DatabaseName:              d.Names.Database,
		TableName:                 d.Names.Table,
		CrawlerName:               d.Names.Crawler,
		SecurityConfigurationName: d.Names.CrawlerSecurity,
		BucketName:                p.Lake.BucketName,
		BucketArn:                 p.Lake.BucketArn,
		Discovery:                 d.PartitionDiscovery,
		Partitioning:              d.Partitioning,
		Schedule:                  d.CrawlerSchedule,
		// The default dataset's folder (data/) holds the other datasets' (data/<name>/).
		SharesDataFolder: d.IsDefault() && len(p.Datasets) > 1,
	}
	if !d.IsDefault() {
		args.Database = p.defaultDataset().Catalog.Database
	}
	d.Catalog, err = components.NewCatalog(ctx, d.logical("catalog"), args)
	return err
}

// buildFunction adds a dataset's transform Lambda: the one build, with every dataset's file
// embedded, told its dataset by its environment. It depends on the dataset's table, so that
// during one `pulumi up` the Glue table has the new columns before the Lambda emits them
// (Firehose converts with the table's LATEST version): no converted record carries a field the
// table lacks.
func (p *Pipeline) buildFunction(ctx *pulumi.Context, d *DatasetPipeline) error {
	ds := make([]schema.Dataset, len(p.Datasets))
	for i, x := range p.Datasets {
		ds[i] = x.Dataset.Dataset
	}
	zip, err := transformArchive(ds)
	if err != nil {
		return err
	}
	d.Function, err = components.NewTransformFunction(ctx, d.logical("transform"), &components.TransformFunctionArgs{
		Env:                 p.Env,
		Dataset:             d.Name,
		ArchivePath:         zip.Path,
		CodeSHA256:          zip.SHA256,
		MemoryMiB:           d.LambdaMemoryMiB,
		TimeoutSeconds:      d.LambdaTimeoutSeconds,
		ReservedConcurrency: d.LambdaReservedConcurrency,
		UnknownFields:       d.UnknownFields,
		LogLevel:            d.LambdaLogLevel,
	}, pulumi.DependsOn([]pulumi.Resource{d.Catalog.Table}))
	return err
}

// buildDelivery adds a dataset's Firehose delivery stream. It calls the function as
// ARN:$LATEST and converts with the table's LATEST version, so neither a code nor a column
// change updates it.
func (p *Pipeline) buildDelivery(ctx *pulumi.Context, d *DatasetPipeline) error {
	var err error
	d.Delivery, err = components.NewDelivery(ctx, d.logical("delivery"), &components.DeliveryArgs{
		Env:                    p.Env,
		Dataset:                d.Name,
		Schema:                 d.Schema,
		StreamArn:              d.Stream.Arn,
		BucketArn:              p.Lake.BucketArn,
		DatabaseName:           d.Names.Database,
		TableName:              d.Names.Table,
		FunctionArn:            d.Function.Arn,
		Partitioning:           d.Partitioning,
		BufferMiB:              d.FirehoseBufferMiB,
		BufferSeconds:          d.FirehoseBufferSeconds,
		ProcessorBufferMiB:     d.ProcessorBufferMiB,
		ProcessorBufferSeconds: d.ProcessorBufferSeconds,
		ProcessorRetries:       d.ProcessorRetries,
		MaxProcessorBufferMiB:  transform.SafeProcessorBufferMiB,
		RawBackup:              d.RawBackup,
		RetrySeconds:           d.DeliveryRetrySeconds,
	}, pulumi.DependsOn([]pulumi.Resource{d.Catalog, p.Lake}))
	return err
}

// monitored is another dataset's resources and settings for Monitoring.
func (p *Pipeline) monitored(d *DatasetPipeline) components.MonitoredDataset {
	targets, thresholds := AlarmSettings(d.Config)
	m := components.MonitoredDataset{
		Name: d.Name, StreamName: d.Stream.Name, DeliveryStreamName: d.Delivery.Name, FunctionName: d.Function.Name,
		Discovery: d.PartitionDiscovery, Targets: targets, Thresholds: thresholds,
	}
	if d.Catalog.Crawler != nil {
		m.CrawlerName = d.Catalog.Crawler.Name
	}
	return m
}
