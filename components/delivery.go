package components

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Log stream names Firehose writes delivery errors to (declared in stackconfig, which CI's
// roles read too).
const (
	DestinationLogStream = stackconfig.DestinationLogStream
	BackupLogStream      = stackconfig.BackupLogStream
)

// Firehose's values for Lambda processor parameters that are not sent. The provider does not
// store a parameter equal to its default (RoleArn defaults to the delivery stream's role), so
// sending one shows a change on every preview: only values that differ are sent.
const (
	DefaultProcessorRetries       = 3
	DefaultProcessorBufferMiB     = 1.0
	DefaultProcessorBufferSeconds = 60
)

// ProcessorParameters returns the Lambda processor's parameters besides LambdaArn, as
// name/value pairs: only those that differ from Firehose's defaults.
func ProcessorParameters(retries int, bufferMiB float64, bufferSeconds int) [][2]string {
	var out [][2]string
	if retries != DefaultProcessorRetries {
		out = append(out, [2]string{"NumberOfRetries", strconv.Itoa(retries)})
	}
	if bufferMiB != DefaultProcessorBufferMiB {
		out = append(out, [2]string{"BufferSizeInMBs", strconv.FormatFloat(bufferMiB, 'f', -1, 64)})
	}
	if bufferSeconds != DefaultProcessorBufferSeconds {
		out = append(out, [2]string{"BufferIntervalInSeconds", strconv.Itoa(bufferSeconds)})
	}
	return out
}

func processorParameters(lambdaArn pulumi.StringInput, retries int, bufferMiB float64, bufferSeconds int) kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray {
	// The provider documents qualified ARNs for the processor; $LATEST is what Firehose calls.
	params := kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray{
		&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
			ParameterName: pulumi.String("LambdaArn"), ParameterValue: lambdaArn,
		},
	}
	for _, p := range ProcessorParameters(retries, bufferMiB, bufferSeconds) {
		params = append(params, &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
			ParameterName: pulumi.String(p[0]), ParameterValue: pulumi.String(p[1]),
		})
	}
	return params
}

// DeliveryArgs configures the Firehose delivery stream.
type DeliveryArgs struct {
	Env *Env
	// Dataset is the dataset delivered ("": the default), whose lake folders the prefixes are
	// under (lakelayout.DatasetPrefixes).
	Dataset string
	Schema  *schema.Schema
	// StreamArn is the source Kinesis stream.
	StreamArn pulumi.StringInput
	// BucketArn is the lake bucket.
	BucketArn pulumi.StringInput
	// DatabaseName and TableName are the Glue table whose schema drives Parquet conversion.
	DatabaseName, TableName string
	// FunctionArn is the transform Lambda.
	FunctionArn pulumi.StringInput
	// Partitioning is lakelayout.EventTime or lakelayout.ArrivalTime.
	Partitioning string
	// BufferMiB and BufferSeconds: Firehose writes a Parquet file when either is reached.
	BufferMiB, BufferSeconds int
	// Processor settings: how much Firehose batches per Lambda call, and retries.
	ProcessorBufferMiB     float64
	ProcessorBufferSeconds int
	ProcessorRetries       int
	// MaxProcessorBufferMiB is the largest processor buffer whose worst-case Lambda response
	// still fits Lambda's 6 MB limit (proved by the transform's tests).
	MaxProcessorBufferMiB float64
	// RawBackup keeps every source record, gzipped, under raw/.
	RawBackup bool
	// RetrySeconds is how long Firehose retries delivery (and partitioning) to S3.
	RetrySeconds int
}

// Rules returns the AWS rules the configuration must satisfy.
func (a *DeliveryArgs) Rules() awsrules.DeliveryRules {
	p := a.prefixes()
	return awsrules.DeliveryRules{
		Prefix:                p.Data,
		ErrorPrefix:           p.Errors,
		BufferMiB:             a.BufferMiB,
		BufferSeconds:         a.BufferSeconds,
		Compression:           "UNCOMPRESSED",
		FormatConversion:      true,
		DynamicPartitioning:   a.Partitioning == lakelayout.EventTime,
		LambdaProcessor:       true,
		ProcessorBufferMiB:    a.ProcessorBufferMiB,
		ProcessorBufferSecond: a.ProcessorBufferSeconds,
		ProcessorRetries:      a.ProcessorRetries,
	}
}

// prefixes are the dataset's S3 prefixes.
func (a *DeliveryArgs) prefixes() lakelayout.Prefixes {
	return lakelayout.DatasetPrefixes(datasetOrDefault(a.Dataset), a.Schema, a.Partitioning)
}

// Validate checks the delivery stream against the rules AWS only checks at deploy time.
func (a *DeliveryArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	if a.Schema == nil || a.StreamArn == nil || a.BucketArn == nil || a.FunctionArn == nil || a.DatabaseName == "" || a.TableName == "" {
		return fmt.Errorf("delivery: Schema, StreamArn, BucketArn, FunctionArn, DatabaseName and TableName are required")
	}
	if err := checkDataset(a.Dataset); err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	if a.Partitioning != lakelayout.EventTime && a.Partitioning != lakelayout.ArrivalTime {
		return fmt.Errorf("delivery: partitioning must be %q or %q, got %q", lakelayout.EventTime, lakelayout.ArrivalTime, a.Partitioning)
	}
	var errs []string
	if err := a.Rules().Check(); err != nil {
		errs = append(errs, err.Error())
	}
	prefixes := a.prefixes()
	raw := awsrules.DeliveryRules{Prefix: prefixes.Raw, ErrorPrefix: prefixes.RawErrors,
		BufferMiB: a.BufferMiB, BufferSeconds: a.BufferSeconds, Compression: "GZIP"}
	if err := raw.Check(); err != nil {
		errs = append(errs, "raw backup: "+err.Error())
	}
	if err := awsrules.CheckPrefixMatchesTable(prefixes.Data, a.Schema.PartitionNames()); err != nil {
		errs = append(errs, err.Error())
	}
	if a.MaxProcessorBufferMiB > 0 && a.ProcessorBufferMiB > a.MaxProcessorBufferMiB {
		errs = append(errs, fmt.Sprintf("processor buffer %g MiB exceeds %g MiB, the largest batch whose transformed response is proven to fit Lambda's 6 MB limit", a.ProcessorBufferMiB, a.MaxProcessorBufferMiB))
	}
	if a.RawBackup && a.BufferSeconds < awsrules.MinBackupBufferSeconds {
		errs = append(errs, fmt.Sprintf("raw backup needs a buffer interval of at least %d s (no zero buffering for S3 backups), got %d", awsrules.MinBackupBufferSeconds, a.BufferSeconds))
	}
	if a.RetrySeconds < 0 || a.RetrySeconds > 7200 {
		errs = append(errs, fmt.Sprintf("retry duration must be 0..7200 s, got %d", a.RetrySeconds))
	}
	if len(errs) > 0 {
		return fmt.Errorf("delivery: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Delivery is the Firehose delivery stream: it reads the Kinesis stream, has the transform
// Lambda validate each record, converts JSON to Parquet with the Glue table's schema and
// writes event-time (or arrival-time) partitions to the lake, failures to errors/ and the raw
// records to raw/.
type Delivery struct {
	pulumi.ResourceState
	Name     pulumi.StringOutput `pulumi:"name"`
	Arn      pulumi.StringOutput `pulumi:"arn"`
	RoleArn  pulumi.StringOutput `pulumi:"roleArn"`
	LogGroup pulumi.StringOutput `pulumi:"logGroup"`
}

// NewDelivery creates the role, log group and delivery stream.
func NewDelivery(ctx *pulumi.Context, name string, args *DeliveryArgs, opts ...pulumi.ResourceOption) (*Delivery, error) {
	if args == nil {
		return nil, fmt.Errorf("delivery %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Delivery{}
	if err := ctx.RegisterComponentResource(typePrefix+"Delivery", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*Delivery, error) {
		return nil, fmt.Errorf("delivery %s %s: %w", name, what, err)
	}
	prefixes := args.prefixes()

	logs, logStreams, err := newDeliveryLogs(ctx, name, args.Env, parent)
	if err != nil {
		return fail("logs", err)
	}
	role, err := newServiceRole(ctx, name+"-role", args.Env, serviceRole{
		Service:     "firehose.amazonaws.com",
		Trust:       "external-id",
		Description: "streamlake delivery: read the stream, transform, write the lake",
		Policy:      deliveryPolicy(args, prefixes, logs.Arn),
	}, parent)
	if err != nil {
		return fail("role", err)
	}
	stream, err := kinesis.NewFirehoseDeliveryStream(ctx, name+"-stream", &kinesis.FirehoseDeliveryStreamArgs{
		Destination: pulumi.String("extended_s3"),
		// No ServerSideEncryption: AWS rejects it for a Kinesis-stream source; records are
		// encrypted at rest by the stream's KMS key and by SSE-KMS in the lake.
		KinesisSourceConfiguration: &kinesis.FirehoseDeliveryStreamKinesisSourceConfigurationArgs{
			KinesisStreamArn: args.StreamArn,
			RoleArn:          role.Arn,
		},
		ExtendedS3Configuration: extendedS3Configuration(args, prefixes, role.Arn, logs.Name),
	}, parent, pulumi.DependsOn(append(logStreams, role.Ready...)), // Firehose checks its permissions on creation
		// Dynamic partitioning can only be chosen when a delivery stream is created: switching
		// partitioning mode replaces the stream (new one first, so nothing is missed; records
		// in the overlap may arrive twice and share an event_id).
		pulumi.ReplaceOnChanges([]string{"extendedS3Configuration.dynamicPartitioningConfiguration.enabled"}))
	if err != nil {
		return fail("stream", err)
	}
	c.Name, c.Arn, c.RoleArn, c.LogGroup = stream.Name, stream.Arn, role.Arn, logs.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name": stream.Name, "arn": stream.Arn, "roleArn": role.Arn, "logGroup": logs.Name,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// newDeliveryLogs creates the delivery's log group and the log streams Firehose writes to.
// Firehose does not create its log streams: they exist before it, or its errors are lost.
func newDeliveryLogs(ctx *pulumi.Context, name string, env *Env, parent pulumi.ResourceOption) (*cloudwatch.LogGroup, []pulumi.Resource, error) {
	logs, err := newLogGroup(ctx, name+"-logs", env, nil, parent)
	if err != nil {
		return nil, nil, err
	}
	var streams []pulumi.Resource
	for _, stream := range []string{DestinationLogStream, BackupLogStream} {
		ls, err := cloudwatch.NewLogStream(ctx, name+"-"+strings.ToLower(stream), &cloudwatch.LogStreamArgs{
			LogGroupName: logs.Name,
			Name:         pulumi.String(stream),
		}, pulumi.Parent(logs))
		if err != nil {
			return nil, nil, fmt.Errorf("log stream %s: %w", stream, err)
		}
		streams = append(streams, ls)
	}
	return logs, streams, nil
}

// deliveryPolicy lets Firehose read the stream, call the transform, read the table's schema
// and write the lake's prefixes and its own log streams.
func deliveryPolicy(args *DeliveryArgs, prefixes lakelayout.Prefixes, logArn pulumi.StringInput) pulumi.StringOutput {
	env := args.Env
	return policy(map[string]pulumi.StringInput{
		"account": env.AccountID, "stream": args.StreamArn, "bucket": args.BucketArn,
		"key": env.KeyArn, "function": args.FunctionArn, "logs": logArn,
	}, func(v map[string]string) iampolicy.Document {
		acct, bucketArn, keyArn, fnArn, logs := v["account"], v["bucket"], v["key"], v["function"], v["logs"]
		objects := []string{}
		for _, p := range []string{prefixes.Data, prefixes.Errors, prefixes.Raw} {
			objects = append(objects, bucketArn+"/"+awsrules.StaticPrefix(p)+"*")
		}
		return iampolicy.New(
			iampolicy.Allow("ReadSourceStream", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"}, v["stream"]),
			iampolicy.Allow("DecryptSourceStream", []string{"kms:Decrypt"}, keyArn).
				When("StringEquals", "kms:ViaService", env.endpoint("kinesis")),
			iampolicy.Allow("LocateBucket", []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}, bucketArn),
			iampolicy.Allow("WriteLakePrefixes", []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"}, objects...),
			iampolicy.Allow("EncryptLakeObjects", []string{"kms:GenerateDataKey", "kms:Decrypt"}, keyArn).
				When("StringEquals", "kms:ViaService", env.endpoint("s3")),
			iampolicy.Allow("ReadTableSchema", []string{"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"},
				env.arn("glue", acct, "catalog"),
				env.arn("glue", acct, "database/"+args.DatabaseName),
				env.arn("glue", acct, "table/"+args.DatabaseName+"/"+args.TableName)),
			iampolicy.Allow("InvokeTransform", []string{"lambda:InvokeFunction", "lambda:GetFunctionConfiguration"}, fnArn, fnArn+":*"),
			iampolicy.Allow("WriteDeliveryLogs", []string{"logs:PutLogEvents"},
				logs+":log-stream:"+DestinationLogStream, logs+":log-stream:"+BackupLogStream),
		)
	})
}

// extendedS3Configuration is the delivery to the lake: Lambda processing, Parquet conversion,
// partitioning, the raw backup and error logging.
func extendedS3Configuration(args *DeliveryArgs, prefixes lakelayout.Prefixes, roleArn, logGroup pulumi.StringOutput) *kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs {
	s3cfg := &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs{
		RoleArn:           roleArn,
		BucketArn:         args.BucketArn,
		Prefix:            pulumi.String(prefixes.Data),
		ErrorOutputPrefix: pulumi.String(prefixes.Errors),
		BufferingSize:     pulumi.Int(args.BufferMiB),
		BufferingInterval: pulumi.Int(args.BufferSeconds),
		// Parquet compresses its pages itself (Snappy); AWS rejects another compression layer.
		CompressionFormat: pulumi.String("UNCOMPRESSED"),
		KmsKeyArn:         args.Env.KeyArn,
		CustomTimeZone:    pulumi.String("UTC"),
		CloudwatchLoggingOptions: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptionsArgs{
			Enabled: pulumi.Bool(true), LogGroupName: logGroup, LogStreamName: pulumi.String(DestinationLogStream),
		},
		ProcessingConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs{
			Enabled: pulumi.Bool(true),
			Processors: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArray{
				&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
					Type:       pulumi.String("Lambda"),
					Parameters: processorParameters(pulumi.Sprintf("%s:$LATEST", args.FunctionArn), args.ProcessorRetries, args.ProcessorBufferMiB, args.ProcessorBufferSeconds),
				},
			},
		},
		DataFormatConversionConfiguration: parquetConversion(args, roleArn),
		S3BackupMode:                      pulumi.String("Disabled"),
	}
	if args.Partitioning == lakelayout.EventTime {
		s3cfg.DynamicPartitioningConfiguration = &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfigurationArgs{
			Enabled:       pulumi.Bool(true),
			RetryDuration: pulumi.Int(args.RetrySeconds),
		}
	}
	if args.RawBackup {
		s3cfg.S3BackupMode = pulumi.String("Enabled")
		s3cfg.S3BackupConfiguration = &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationS3BackupConfigurationArgs{
			RoleArn:           roleArn,
			BucketArn:         args.BucketArn,
			Prefix:            pulumi.String(prefixes.Raw),
			ErrorOutputPrefix: pulumi.String(prefixes.RawErrors),
			BufferingSize:     pulumi.Int(args.BufferMiB),
			BufferingInterval: pulumi.Int(args.BufferSeconds),
			CompressionFormat: pulumi.String("GZIP"),
			KmsKeyArn:         args.Env.KeyArn,
			CloudwatchLoggingOptions: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationS3BackupConfigurationCloudwatchLoggingOptionsArgs{
				Enabled: pulumi.Bool(true), LogGroupName: logGroup, LogStreamName: pulumi.String(BackupLogStream),
			},
		}
	}
	return s3cfg
}

// parquetConversion converts the transform's JSON to Snappy Parquet with the Glue table's
// schema.
func parquetConversion(args *DeliveryArgs, roleArn pulumi.StringOutput) *kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationArgs {
	return &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationArgs{
		Enabled: pulumi.Bool(true),
		InputFormatConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationArgs{
			Deserializer: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationDeserializerArgs{
				OpenXJsonSerDe: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationInputFormatConfigurationDeserializerOpenXJsonSerDeArgs{
					// The transform emits exactly the column names: no guessing.
					CaseInsensitive:                    pulumi.Bool(false),
					ConvertDotsInJsonKeysToUnderscores: pulumi.Bool(false),
				},
			},
		},
		OutputFormatConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationArgs{
			Serializer: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationSerializerArgs{
				ParquetSerDe: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationOutputFormatConfigurationSerializerParquetSerDeArgs{
					Compression: pulumi.String("SNAPPY"),
				},
			},
		},
		SchemaConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfigurationSchemaConfigurationArgs{
			DatabaseName: pulumi.String(args.DatabaseName),
			TableName:    pulumi.String(args.TableName),
			Region:       pulumi.String(args.Env.Region),
			RoleArn:      roleArn,
			CatalogId:    args.Env.AccountID,
			VersionId:    pulumi.String("LATEST"),
		},
	}
}
