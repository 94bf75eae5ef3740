package components

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// Pipeline stages, for grouping alarms and dashboard rows.
const (
	StageAPI       = "api"
	StageStream    = "stream"
	StageDelivery  = "delivery"
	StageTransform = "transform"
)

// AlarmSpec is one alarm as plain values; dimension values are filled from the stack's
// resources by dimension name.
type AlarmSpec struct {
	ID, Stage         string
	Namespace, Metric string
	Dims              []string
	Statistic         string // Sum, Average, Minimum, Maximum; or ""
	ExtendedStatistic string // p99; or ""
	Period            int
	EvaluationPeriods int
	DatapointsToAlarm int
	Comparison        string
	Threshold         float64
	TreatMissing      string
	Description       string
}

// AlarmTargets are the facts about the monitored resources that thresholds derive from.
type AlarmTargets struct {
	RetentionHours         int
	BufferSeconds          int
	ProcessorBufferSeconds int
	DynamicPartitioning    bool
	RawBackup              bool
	FunctionTimeoutSeconds int
	// WAF: the API has a WAF web ACL (MonitoringArgs.WebACLName), alarmed on blocked requests.
	WAF bool
}

// AlarmThresholds are the operator's settings (zero means: derive from the targets).
type AlarmThresholds struct {
	API5xxPerPeriod       int
	API4xxRatePercent     float64
	APILatencyP99Ms       int
	IteratorAgeMinutes    int
	FreshnessSeconds      int
	SilentMinutes         int
	LambdaDurationPercent int
	ThrottlePeriods       int
	WAFBlockedPerPeriod   int
}

// IteratorAgeMinutes is the stream-lag threshold: the configured one, or a quarter of the
// retention capped at an hour, so the alarm fires long before records expire.
func IteratorAgeMinutes(t AlarmTargets, th AlarmThresholds) int {
	if th.IteratorAgeMinutes > 0 {
		return th.IteratorAgeMinutes
	}
	return min(t.RetentionHours*60/4, 60)
}

// FreshnessSeconds is the delivery-lag threshold: the configured one, or the time records
// normally wait in Firehose's two buffers plus ten minutes.
func FreshnessSeconds(t AlarmTargets, th AlarmThresholds) int {
	if th.FreshnessSeconds > 0 {
		return th.FreshnessSeconds
	}
	return t.BufferSeconds + t.ProcessorBufferSeconds + 600
}

// AlarmSpecs returns every alarm of the pipeline.
func AlarmSpecs(t AlarmTargets, th AlarmThresholds) []AlarmSpec {
	const five = 300
	n := th.ThrottlePeriods
	api := []string{"ApiName", "Stage"}
	stream := []string{"StreamName"}
	fh := []string{"DeliveryStreamName"}
	fn := []string{"FunctionName"}
	iter := IteratorAgeMinutes(t, th)
	fresh := FreshnessSeconds(t, th)
	durationMs := float64(t.FunctionTimeoutSeconds*1000*th.LambdaDurationPercent) / 100
	specs := []AlarmSpec{
		{ID: "api-5xx", Stage: StageAPI, Namespace: "AWS/ApiGateway", Metric: "5XXError", Dims: api, Statistic: "Sum",
			Period: five, EvaluationPeriods: 1, DatapointsToAlarm: 1, Comparison: "GreaterThanOrEqualToThreshold", Threshold: float64(th.API5xxPerPeriod), TreatMissing: "notBreaching",
			Description: "Producers got 5XX: events were NOT stored and clients must retry. Check the stage's access logs (integrationError) and the stream alarms; a KMS or IAM error means the API role lost access to the stream."},
		{ID: "api-4xx-rate", Stage: StageAPI, Namespace: "AWS/ApiGateway", Metric: "4XXError", Dims: api, Statistic: "Average",
			Period: five, EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "GreaterThanThreshold", Threshold: th.API4xxRatePercent / 100, TreatMissing: "notBreaching",
			Description: fmt.Sprintf("More than %g%% of requests were rejected for 15 minutes (bad bodies, missing API keys, throttling 429). Check access logs for status and validationError; a client release may send a new field or an old key.", th.API4xxRatePercent)},
		{ID: "api-latency-p99", Stage: StageAPI, Namespace: "AWS/ApiGateway", Metric: "Latency", Dims: api, ExtendedStatistic: "p99",
			Period: five, EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "GreaterThanThreshold", Threshold: float64(th.APILatencyP99Ms), TreatMissing: "notBreaching",
			Description: fmt.Sprintf("API p99 latency above %d ms for 15 minutes: players may time out and drop reports. Compare with IntegrationLatency (Kinesis) on the dashboard; stream throttling usually comes first.", th.APILatencyP99Ms)},
		{ID: "stream-iterator-age", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "GetRecords.IteratorAgeMilliseconds", Dims: stream, Statistic: "Maximum",
			Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 5, Comparison: "GreaterThanThreshold", Threshold: float64(iter * 60_000), TreatMissing: "breaching",
			Description: fmt.Sprintf("Firehose is more than %d minutes behind the stream (or stopped reading: no data counts as breaching). Records expire after %d hours: DATA LOSS follows if this persists. Check the delivery and transform alarms and Firehose's error logs.", iter, t.RetentionHours)},
		{ID: "stream-write-throttled", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "WriteProvisionedThroughputExceeded", Dims: stream, Statistic: "Sum",
			Period: five, EvaluationPeriods: n, DatapointsToAlarm: n, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "Writes are throttled (producers see 429 and retry). Sustained: add shards - run `streamlake shards` with the current peak and change shardCount (at most double per deploy). On-demand streams throttle above twice their previous peak."},
		{ID: "stream-read-throttled", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "ReadProvisionedThroughputExceeded", Dims: stream, Statistic: "Sum",
			Period: five, EvaluationPeriods: n, DatapointsToAlarm: n, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "Reads are throttled: too many consumers share 2 MiB/s per shard. Remove extra consumers, use enhanced fan-out for them, or add shards."},
		{ID: "stream-put-record-success", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "PutRecord.Success", Dims: stream, Statistic: "Average",
			Period: five, EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "LessThanThreshold", Threshold: 0.99, TreatMissing: "notBreaching",
			Description: "More than 1% of single-event puts failed for 15 minutes. Look at the write-throttling alarm first, then KMS errors in the API access logs."},
		{ID: "stream-put-records-success", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "PutRecords.Success", Dims: stream, Statistic: "Average",
			Period: five, EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "LessThanThreshold", Threshold: 0.99, TreatMissing: "notBreaching",
			Description: "More than 1% of batch puts failed entirely for 15 minutes. Look at the write-throttling alarm first, then KMS errors in the API access logs."},
		{ID: "delivery-freshness", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "DeliveryToS3.DataFreshness", Dims: fh, Statistic: "Maximum",
			Period: five, EvaluationPeriods: 1, DatapointsToAlarm: 1, Comparison: "GreaterThanThreshold", Threshold: float64(fresh), TreatMissing: "notBreaching",
			Description: fmt.Sprintf("The oldest record waiting in Firehose is older than %d s (buffers normally hold records %d s). S3 writes, the transform or conversion are failing or slow: see Firehose's DestinationDelivery log stream and the other delivery alarms.", fresh, t.BufferSeconds+t.ProcessorBufferSeconds)},
		{ID: "delivery-s3-success", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "DeliveryToS3.Success", Dims: fh, Statistic: "Minimum",
			Period: five, EvaluationPeriods: 2, DatapointsToAlarm: 2, Comparison: "LessThanThreshold", Threshold: 1, TreatMissing: "notBreaching",
			Description: "Firehose failed to write to the lake for 10 minutes; it retries, then sends records to errors/. Usual causes: the bucket policy, the KMS key policy or the role changed. See the DestinationDelivery log stream."},
		{ID: "delivery-failed-conversion", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "FailedConversion.Records", Dims: fh, Statistic: "Sum",
			Period: five, EvaluationPeriods: 1, DatapointsToAlarm: 1, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "Records the transform accepted failed Parquet conversion and went to errors/format-conversion-failed/. The Glue table and the transform disagree: was the schema changed outside this program? Inspect one object under errors/."},
		{ID: "delivery-processing-success", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "ExecuteProcessing.Success", Dims: fh, Statistic: "Minimum",
			Period: five, EvaluationPeriods: 2, DatapointsToAlarm: 2, Comparison: "LessThanThreshold", Threshold: 1, TreatMissing: "notBreaching",
			Description: "Calls to the transform Lambda failed for 10 minutes (after retries the batch goes to errors/processing-failed/). See the transform alarms and its log group."},
		{ID: "delivery-throttled-reads", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "ThrottledGetRecords", Dims: fh, Statistic: "Sum",
			Period: five, EvaluationPeriods: n, DatapointsToAlarm: n, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "Firehose is throttled reading the stream, so it falls behind. Another consumer is using the shards' read capacity: check stream-read-throttled and the list of consumers."},
		{ID: "transform-errors", Stage: StageTransform, Namespace: "AWS/Lambda", Metric: "Errors", Dims: fn, Statistic: "Sum",
			Period: five, EvaluationPeriods: 1, DatapointsToAlarm: 1, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "The transform Lambda failed a whole invocation (it should only ever fail single records). Read its log group for the stack trace or timeout; Firehose retries, then sends the batch to errors/."},
		{ID: "transform-throttles", Stage: StageTransform, Namespace: "AWS/Lambda", Metric: "Throttles", Dims: fn, Statistic: "Sum",
			Period: five, EvaluationPeriods: n, DatapointsToAlarm: n, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "The transform Lambda is throttled: raise lambdaReservedConcurrency (or the account's concurrency quota). Firehose retries but falls behind."},
		{ID: "transform-duration-p99", Stage: StageTransform, Namespace: "AWS/Lambda", Metric: "Duration", Dims: fn, ExtendedStatistic: "p99",
			Period: five, EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "GreaterThanThreshold", Threshold: durationMs, TreatMissing: "notBreaching",
			Description: fmt.Sprintf("Transform p99 duration above %.0f ms, %d%% of its %d s timeout: timeouts will fail whole batches. Raise lambdaMemoryMb (more CPU) or lower processorBufferMb.", durationMs, th.LambdaDurationPercent, t.FunctionTimeoutSeconds)},
	}
	if th.SilentMinutes > 0 {
		periods := (th.SilentMinutes + 4) / 5
		specs = append(specs, AlarmSpec{ID: "stream-silent", Stage: StageStream, Namespace: "AWS/Kinesis", Metric: "IncomingRecords", Dims: stream, Statistic: "Sum",
			Period: five, EvaluationPeriods: periods, DatapointsToAlarm: periods, Comparison: "LessThanThreshold", Threshold: 1, TreatMissing: "breaching",
			Description: fmt.Sprintf("No event reached the stream for %d minutes: the players or the API are down, the API key was revoked, or DNS/clients point elsewhere. Check api-5xx/api-4xx-rate and send a test event with `streamlake send`.", periods*5)})
	}
	if t.DynamicPartitioning {
		specs = append(specs, AlarmSpec{ID: "delivery-partition-count-exceeded", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "PartitionCountExceeded", Dims: fh, Statistic: "Maximum",
			Period: five, EvaluationPeriods: 1, DatapointsToAlarm: 1, Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissing: "notBreaching",
			Description: "More active partitions than Firehose allows (500 per stream by default): records go to errors/. Usually events with wildly wrong occurred_at spread over many hours; check the transform's rejected-record logs, or ask AWS for a higher limit."})
	}
	specs = append(specs, wafAlarms(t, th)...)
	if t.RawBackup {
		specs = append(specs, AlarmSpec{ID: "delivery-backup-success", Stage: StageDelivery, Namespace: "AWS/Firehose", Metric: "BackupToS3.Success", Dims: fh, Statistic: "Minimum",
			Period: five, EvaluationPeriods: 2, DatapointsToAlarm: 2, Comparison: "LessThanThreshold", Threshold: 1, TreatMissing: "notBreaching",
			Description: "Firehose failed to write the raw backup to raw/ for 10 minutes. See the BackupDelivery log stream; causes are the same as for delivery-s3-success."})
	}
	return specs
}

// DatasetAlarmSpecs are the alarms of one dataset's resources (stream, delivery stream,
// transform function): AlarmSpecs without the API's, which every dataset shares.
func DatasetAlarmSpecs(t AlarmTargets, th AlarmThresholds) []AlarmSpec {
	var out []AlarmSpec
	for _, s := range AlarmSpecs(t, th) {
		if s.Stage != StageAPI {
			out = append(out, s)
		}
	}
	return out
}

// CheckAlarmSpecs checks every spec against the metric catalog and CloudWatch's rules.
func CheckAlarmSpecs(specs []AlarmSpec) error {
	var errs []string
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.ID] {
			errs = append(errs, "alarm "+s.ID+" declared twice")
		}
		seen[s.ID] = true
		if err := awsrules.CheckMetric(s.Namespace, s.Metric, s.Dims); err != nil {
			errs = append(errs, fmt.Sprintf("alarm %s: %v", s.ID, err))
		}
		if (s.Statistic == "") == (s.ExtendedStatistic == "") {
			errs = append(errs, fmt.Sprintf("alarm %s: exactly one of Statistic and ExtendedStatistic", s.ID))
		}
		if s.Period < 60 || s.Period%60 != 0 {
			errs = append(errs, fmt.Sprintf("alarm %s: period %d must be a multiple of 60 s", s.ID, s.Period))
		}
		if s.EvaluationPeriods < 1 || s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods || s.Period*s.EvaluationPeriods > 86400 {
			errs = append(errs, fmt.Sprintf("alarm %s: %d of %d periods of %d s is not a valid evaluation window", s.ID, s.DatapointsToAlarm, s.EvaluationPeriods, s.Period))
		}
		switch s.TreatMissing {
		case "breaching", "notBreaching", "ignore", "missing":
		default:
			errs = append(errs, fmt.Sprintf("alarm %s: treat missing data %q", s.ID, s.TreatMissing))
		}
		if s.Description == "" || len(s.Description) > 1024 {
			errs = append(errs, fmt.Sprintf("alarm %s: description must say what it means and what to do (1..1024 chars)", s.ID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("alarms: %s", strings.Join(errs, "; "))
	}
	return nil
}

// MonitoringArgs configures alarms, notifications and the dashboard.
type MonitoringArgs struct {
	Env *Env
	// Resource names (not ARNs) that become alarm dimensions and dashboard metrics.
	APIName, StageName, StreamName, DeliveryStreamName, FunctionName, WorkgroupName pulumi.StringInput
	// Discovery is the catalog's partition discovery; CrawlerName is its crawler, whose failed
	// runs are reported, and nil when Discovery has none.
	Discovery   lakelayout.Discovery
	CrawlerName pulumi.StringInput
	// WebACLName is the API's WAF web ACL (with Targets.WAF; nil otherwise).
	WebACLName pulumi.StringInput
	// DashboardName is the dashboard's physical name (unique per account and region).
	DashboardName  string
	Targets        AlarmTargets
	Thresholds     AlarmThresholds
	Emails         []string
	HTTPSEndpoints []string
	// StreamName, DeliveryStreamName, FunctionName, Discovery, CrawlerName, Targets and the
	// dataset thresholds of Thresholds are the default dataset's; Others are the other
	// datasets, each with its alarms (DatasetAlarmSpecs) and dashboard row.
	Others []MonitoredDataset
}

// MonitoredDataset is a dataset's resources to alarm on and chart, and its settings (its
// Thresholds' API and WAF values are not used: the API is the pipeline's).
type MonitoredDataset struct {
	Name                                         string
	StreamName, DeliveryStreamName, FunctionName pulumi.StringInput
	Discovery                                    lakelayout.Discovery
	// CrawlerName is the dataset's crawler, nil when Discovery has none.
	CrawlerName pulumi.StringInput
	Targets     AlarmTargets
	Thresholds  AlarmThresholds
}

// dims maps the dataset's dimension names to its resource names.
func (d MonitoredDataset) dims() map[string]pulumi.StringInput {
	return map[string]pulumi.StringInput{"StreamName": d.StreamName, "DeliveryStreamName": d.DeliveryStreamName, "FunctionName": d.FunctionName}
}

// validate checks the dataset's resources, crawler and alarms.
func (d MonitoredDataset) validate() error {
	if err := schema.CheckDatasetName(d.Name); err != nil {
		return err
	}
	for k, v := range d.dims() {
		if v == nil {
			return fmt.Errorf("dataset %s: the resource for dimension %s is required", d.Name, k)
		}
	}
	if (d.CrawlerName != nil) != d.Discovery.Crawls() {
		return fmt.Errorf("dataset %s: CrawlerName must be set exactly when discovery %q has a crawler", d.Name, d.Discovery)
	}
	if d.Thresholds.ThrottlePeriods < 1 || d.Thresholds.LambdaDurationPercent < 1 || d.Targets.FunctionTimeoutSeconds < 1 || d.Targets.RetentionHours < 1 {
		return fmt.Errorf("dataset %s: throttle periods, duration percent, function timeout and retention must be positive", d.Name)
	}
	if err := CheckAlarmSpecs(DatasetAlarmSpecs(d.Targets, d.Thresholds)); err != nil {
		return fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	return nil
}

// dims maps dimension names to the resource names that fill them.
func (a *MonitoringArgs) dims() map[string]pulumi.StringInput {
	d := map[string]pulumi.StringInput{
		"ApiName": a.APIName, "Stage": a.StageName, "StreamName": a.StreamName,
		"DeliveryStreamName": a.DeliveryStreamName, "FunctionName": a.FunctionName, "WorkGroup": a.WorkgroupName,
	}
	if a.Targets.WAF {
		d["WebACL"], d["Region"], d["Rule"] = a.WebACLName, pulumi.String(a.Env.Region), pulumi.String(wafAllRules)
	}
	return d
}

// Validate checks the alarms and their inputs.
func (a *MonitoringArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	for k, v := range a.dims() {
		if v == nil {
			return fmt.Errorf("monitoring: the resource for dimension %s is required", k)
		}
	}
	if (a.CrawlerName != nil) != a.Discovery.Crawls() {
		return fmt.Errorf("monitoring: CrawlerName must be set exactly when discovery %q has a crawler", a.Discovery)
	}
	if a.Targets.WAF != (a.WebACLName != nil) || (a.Targets.WAF && a.Thresholds.WAFBlockedPerPeriod < 1) {
		return fmt.Errorf("monitoring: Targets.WAF needs WebACLName and Thresholds.WAFBlockedPerPeriod >= 1, and WebACLName needs Targets.WAF")
	}
	if err := awsrules.CheckName("aws:cloudwatch/dashboard:Dashboard", a.DashboardName, false); err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	for _, d := range a.Others {
		if err := d.validate(); err != nil {
			return fmt.Errorf("monitoring: %w", err)
		}
	}
	if a.Thresholds.ThrottlePeriods < 1 || a.Thresholds.LambdaDurationPercent < 1 || a.Targets.FunctionTimeoutSeconds < 1 || a.Targets.RetentionHours < 1 {
		return fmt.Errorf("monitoring: throttle periods, duration percent, function timeout and retention must be positive")
	}
	return CheckAlarmSpecs(AlarmSpecs(a.Targets, a.Thresholds))
}

// Monitoring is the pipeline's alarms (every stage), the encrypted SNS topic they notify,
// a rule that reports failed crawler runs (when there is a crawler), and one dashboard.
type Monitoring struct {
	pulumi.ResourceState
	TopicArn      pulumi.StringOutput `pulumi:"topicArn"`
	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
	AlarmCount    int                 `pulumi:"-"`
}

// NewMonitoring creates the topic, subscriptions, alarms, crawler rule and dashboard.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil {
		return nil, fmt.Errorf("monitoring %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Monitoring{}
	if err := ctx.RegisterComponentResource(typePrefix+"Monitoring", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*Monitoring, error) {
		return nil, fmt.Errorf("monitoring %s %s: %w", name, what, err)
	}
	topic, err := newAlarmTopic(ctx, name, args, parent)
	if err != nil {
		return fail("topic", err)
	}
	specs := AlarmSpecs(args.Targets, args.Thresholds)
	alarmArns := pulumi.StringArray{}
	for _, s := range specs {
		alarm, err := newAlarm(ctx, name, s, args.dims(), topic, parent)
		if err != nil {
			return fail("alarm "+s.ID, err)
		}
		alarmArns = append(alarmArns, alarm.Arn)
	}
	count := len(specs)
	for _, d := range args.Others {
		for _, s := range DatasetAlarmSpecs(d.Targets, d.Thresholds) {
			alarm, err := newAlarm(ctx, name+"-"+d.Name, s, d.dims(), topic, parent)
			if err != nil {
				return fail("alarm "+d.Name+" "+s.ID, err)
			}
			alarmArns = append(alarmArns, alarm.Arn)
			count++
		}
	}
	if err := newTopicPolicy(ctx, name, args, topic, parent); err != nil {
		return fail("topic policy", err)
	}
	body := dashboardBody(args, alarmArns)
	// Only dashboardName forces replacement: a new dashboard never collides with the old one.
	dash, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(args.DashboardName),
		DashboardBody: body,
	}, parent)
	if err != nil {
		return fail("dashboard", err)
	}

	c.TopicArn, c.DashboardName, c.AlarmCount = topic.Arn, dash.DashboardName, count
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"topicArn": topic.Arn, "dashboardName": dash.DashboardName}); err != nil {
		return nil, err
	}
	return c, nil
}

// dashboardBody is the dashboard's body once every resource name is known. Its inputs are
// resolved by name (a dataset's as <dataset>.<key>), each name as a list of one beside the
// alarms' ARNs.
func dashboardBody(args *MonitoringArgs, alarmArns pulumi.StringArray) pulumi.StringOutput {
	inputs := pulumi.StringArrayMap{"alarms": alarmArns}
	name := func(key string, v pulumi.StringInput) { inputs[key] = pulumi.StringArray{v} }
	name("api", args.APIName)
	name("stage", args.StageName)
	name("stream", args.StreamName)
	name("delivery", args.DeliveryStreamName)
	name("function", args.FunctionName)
	name("workgroup", args.WorkgroupName)
	for _, d := range args.Others {
		name(d.Name+".stream", d.StreamName)
		name(d.Name+".delivery", d.DeliveryStreamName)
		name(d.Name+".function", d.FunctionName)
	}
	return inputs.ToStringArrayMapOutput().ApplyT(func(v map[string][]string) (string, error) {
		one := func(key string) string { return v[key][0] }
		n := DashboardNames{
			API: one("api"), Stage: one("stage"), Stream: one("stream"), Delivery: one("delivery"), Function: one("function"), Workgroup: one("workgroup"),
		}
		for _, d := range args.Others {
			n.Others = append(n.Others, DashboardDataset{Name: d.Name, Stream: one(d.Name + ".stream"), Delivery: one(d.Name + ".delivery"), Function: one(d.Name + ".function")})
		}
		return DashboardBody(args.Env.Region, n, v["alarms"])
	}).(pulumi.StringOutput)
}

// newAlarmTopic creates the encrypted topic alarms notify, with its e-mail and HTTPS
// subscriptions.
func newAlarmTopic(ctx *pulumi.Context, name string, args *MonitoringArgs, parent pulumi.ResourceOption) (*sns.Topic, error) {
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{
		DisplayName: pulumi.Sprintf("streamlake %s alarms", ctx.Stack()),
		// CloudWatch and EventBridge may use this key (see the DataKey policy); an AWS-managed
		// SNS key would silently drop every alarm notification.
		KmsMasterKeyId: args.Env.KeyArn,
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, e := range args.Emails {
		if _, err := sns.NewTopicSubscription(ctx, fmt.Sprintf("%s-email-%d", name, i), &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(e),
		}, pulumi.Parent(topic)); err != nil {
			return nil, fmt.Errorf("e-mail subscription: %w", err)
		}
	}
	for i, u := range args.HTTPSEndpoints {
		if _, err := sns.NewTopicSubscription(ctx, fmt.Sprintf("%s-https-%d", name, i), &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("https"), Endpoint: pulumi.String(u), EndpointAutoConfirms: pulumi.Bool(false),
		}, pulumi.Parent(topic)); err != nil {
			return nil, fmt.Errorf("https subscription: %w", err)
		}
	}
	return topic, nil
}

// newAlarm creates one alarm from its spec, its dimensions filled from the stack's resources.
func newAlarm(ctx *pulumi.Context, name string, s AlarmSpec, dims map[string]pulumi.StringInput, topic *sns.Topic, parent pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	dm := pulumi.StringMap{}
	for _, d := range s.Dims {
		// A dimension that names an ARN or nothing never matches a metric: fail the
		// preview instead of deploying a silent alarm.
		dm[d] = dims[d].ToStringOutput().ApplyT(func(v string) (string, error) {
			if err := awsrules.CheckDimensionValue(d, v); err != nil {
				return "", fmt.Errorf("alarm %s: %w", s.ID, err)
			}
			return v, nil
		}).(pulumi.StringOutput)
	}
	aargs := &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(s.Description),
		Namespace:          pulumi.String(s.Namespace),
		MetricName:         pulumi.String(s.Metric),
		Dimensions:         dm,
		Period:             pulumi.Int(s.Period),
		EvaluationPeriods:  pulumi.Int(s.EvaluationPeriods),
		DatapointsToAlarm:  pulumi.Int(s.DatapointsToAlarm),
		ComparisonOperator: pulumi.String(s.Comparison),
		Threshold:          pulumi.Float64(s.Threshold),
		TreatMissingData:   pulumi.String(s.TreatMissing),
		AlarmActions:       pulumi.Array{topic.Arn},
		OkActions:          pulumi.Array{topic.Arn},
		ActionsEnabled:     pulumi.Bool(true),
	}
	if s.Statistic != "" {
		aargs.Statistic = pulumi.String(s.Statistic)
	} else {
		aargs.ExtendedStatistic = pulumi.String(s.ExtendedStatistic)
	}
	return cloudwatch.NewMetricAlarm(ctx, name+"-"+s.ID, aargs, parent)
}

// newTopicPolicy lets the alarms publish to the topic and, where datasets have crawlers, the
// rules that report their failed runs (newCrawlerFailedRule).
func newTopicPolicy(ctx *pulumi.Context, name string, args *MonitoringArgs, topic *sns.Topic, parent pulumi.ResourceOption) error {
	rules, err := newCrawlerFailedRules(ctx, name, args, parent)
	if err != nil {
		return err
	}
	inputs := map[string]pulumi.StringInput{"topic": topic.Arn, "account": args.Env.AccountID}
	for i, r := range rules {
		inputs[fmt.Sprintf("rule%d", i)] = r.Arn
	}
	env := args.Env
	topicPolicy := policy(inputs, func(v map[string]string) iampolicy.Document {
		topicArn, acct := v["topic"], v["account"]
		statements := []iampolicy.Statement{
			iampolicy.Statement{Sid: "AlarmsPublish", Effect: "Allow",
				Principal: map[string]iampolicy.StringList{"Service": {"cloudwatch.amazonaws.com"}},
				Action:    iampolicy.StringList{"sns:Publish"}, Resource: iampolicy.StringList{topicArn},
			}.When("ArnLike", "aws:SourceArn", env.arn("cloudwatch", acct, "alarm:*")).
				When("StringEquals", "aws:SourceAccount", acct),
		}
		if len(rules) > 0 {
			arns := make([]string, len(rules))
			for i := range rules {
				arns[i] = v[fmt.Sprintf("rule%d", i)]
			}
			statements = append(statements, iampolicy.Statement{Sid: "CrawlerRulePublishes", Effect: "Allow",
				Principal: map[string]iampolicy.StringList{"Service": {"events.amazonaws.com"}},
				Action:    iampolicy.StringList{"sns:Publish"}, Resource: iampolicy.StringList{topicArn},
			}.When("ArnEquals", "aws:SourceArn", arns...))
		}
		return iampolicy.New(statements...)
	})
	tp, err := sns.NewTopicPolicy(ctx, name+"-alarms-policy", &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: topicPolicy}, pulumi.Parent(topic))
	if err != nil {
		return err
	}
	for i, r := range rules {
		if _, err := cloudwatch.NewEventTarget(ctx, r.name+"-target", &cloudwatch.EventTargetArgs{
			Rule: r.Name,
			Arn:  topic.Arn,
		}, pulumi.Parent(r), pulumi.DependsOn([]pulumi.Resource{tp})); err != nil {
			return fmt.Errorf("crawler rule target %d: %w", i, err)
		}
	}
	return nil
}

// crawlerRule is a crawler's failed-run rule and its logical name.
type crawlerRule struct {
	*cloudwatch.EventRule
	name string
}

// newCrawlerFailedRules creates a failed-run rule for each dataset's crawler: <name>-crawler-failed
// for the default dataset's, <name>-<dataset>-crawler-failed for the others'.
func newCrawlerFailedRules(ctx *pulumi.Context, name string, args *MonitoringArgs, parent pulumi.ResourceOption) ([]crawlerRule, error) {
	type crawler struct {
		prefix    string
		name      pulumi.StringInput
		discovery lakelayout.Discovery
	}
	crawlers := []crawler{{name, args.CrawlerName, args.Discovery}}
	for _, d := range args.Others {
		crawlers = append(crawlers, crawler{name + "-" + d.Name, d.CrawlerName, d.Discovery})
	}
	var out []crawlerRule
	for _, c := range crawlers {
		if c.name == nil {
			continue
		}
		r, err := newCrawlerFailedRule(ctx, c.prefix, c.name, c.discovery, parent)
		if err != nil {
			return nil, fmt.Errorf("crawler rule: %w", err)
		}
		out = append(out, crawlerRule{r, c.prefix + "-crawler-failed"})
	}
	return out, nil
}

// newCrawlerFailedRule reports failed crawler runs through EventBridge, since Glue publishes
// no crawler metrics.
func newCrawlerFailedRule(ctx *pulumi.Context, name string, crawlerName pulumi.StringInput, discovery lakelayout.Discovery, parent pulumi.ResourceOption) (*cloudwatch.EventRule, error) {
	pattern := crawlerName.ToStringOutput().ApplyT(func(crawler string) (string, error) {
		return jsonString(map[string]any{
			"source":      []string{"aws.glue"},
			"detail-type": []string{"Glue Crawler State Change"},
			"detail":      map[string]any{"state": []string{"Failed"}, "crawlerName": []string{crawler}},
		})
	}).(pulumi.StringOutput)
	impact := "new hours are not queryable in Athena until it succeeds"
	if discovery.Projects() {
		impact = "Athena is unaffected (partition projection), but engines that read the catalog's partitions (Spark, Redshift Spectrum) miss new hours until it succeeds"
	}
	return cloudwatch.NewEventRule(ctx, name+"-crawler-failed", &cloudwatch.EventRuleArgs{
		Description: pulumi.String("A run of the partition crawler failed: " + impact + ". Check the crawler's log group " +
			"/aws-glue/crawlers-role/<crawler role>-<security configuration> (stack output crawlerLogGroup)."),
		EventPattern: pattern,
	}, parent)
}

// DashboardNames are the resource names the dashboard charts: the API's, the workgroup's and
// the default dataset's, and the other datasets' (a row each).
type DashboardNames struct {
	API, Stage, Stream, Delivery, Function, Workgroup string
	Others                                            []DashboardDataset
}

// DashboardDataset is another dataset's resources on the dashboard.
type DashboardDataset struct {
	Name, Stream, Delivery, Function string
}

// Metric is one CloudWatch metric on the dashboard.
type Metric struct {
	Namespace, Name string
	Dims            map[string]string
	Stat            string
}

// DashboardRow is a titled row of the dashboard: its widgets' metrics by widget title.
type DashboardRow struct {
	Title   string
	Widgets map[string][]Metric
}

// DashboardRows returns the dashboard's metrics, one row per stage, so tests can check each
// against the metric catalog.
func DashboardRows(n DashboardNames) []DashboardRow {
	api := map[string]string{"ApiName": n.API, "Stage": n.Stage}
	st := map[string]string{"StreamName": n.Stream}
	fh := map[string]string{"DeliveryStreamName": n.Delivery}
	fn := map[string]string{"FunctionName": n.Function}
	// Successful SQL queries: Athena publishes by workgroup, query state and query type together.
	wg := map[string]string{"WorkGroup": n.Workgroup, "QueryState": "SUCCEEDED", "QueryType": "DML"}
	m := func(ns, name string, dims map[string]string, stat string) Metric {
		return Metric{Namespace: ns, Name: name, Dims: dims, Stat: stat}
	}
	type row = DashboardRow
	return append([]row{
		{"API", map[string][]Metric{
			"Requests and errors": {m("AWS/ApiGateway", "Count", api, "Sum"), m("AWS/ApiGateway", "4XXError", api, "Sum"), m("AWS/ApiGateway", "5XXError", api, "Sum")},
			"Latency (ms)":        {m("AWS/ApiGateway", "Latency", api, "p50"), m("AWS/ApiGateway", "Latency", api, "p99"), m("AWS/ApiGateway", "IntegrationLatency", api, "p99")},
		}},
		{"Stream", map[string][]Metric{
			"Records in":        {m("AWS/Kinesis", "IncomingRecords", st, "Sum"), m("AWS/Kinesis", "PutRecords.FailedRecords", st, "Sum")},
			"Throttling":        {m("AWS/Kinesis", "WriteProvisionedThroughputExceeded", st, "Sum"), m("AWS/Kinesis", "ReadProvisionedThroughputExceeded", st, "Sum")},
			"Iterator age (ms)": {m("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", st, "Maximum")},
		}},
		{"Firehose and transform", map[string][]Metric{
			"Delivered":          {m("AWS/Firehose", "DataReadFromKinesisStream.Records", fh, "Sum"), m("AWS/Firehose", "DeliveryToS3.Records", fh, "Sum"), m("AWS/Firehose", "FailedConversion.Records", fh, "Sum")},
			"Freshness (s)":      {m("AWS/Firehose", "DeliveryToS3.DataFreshness", fh, "Maximum"), m("AWS/Firehose", "KinesisMillisBehindLatest", fh, "Maximum")},
			"Transform":          {m("AWS/Lambda", "Invocations", fn, "Sum"), m("AWS/Lambda", "Errors", fn, "Sum"), m("AWS/Lambda", "Throttles", fn, "Sum")},
			"Transform duration": {m("AWS/Lambda", "Duration", fn, "p99"), m("AWS/Lambda", "Duration", fn, "Average")},
		}},
		{"Lake and Athena", map[string][]Metric{
			"Athena bytes scanned": {m("AWS/Athena", "ProcessedBytes", wg, "Sum")},
			"Athena query time":    {m("AWS/Athena", "TotalExecutionTime", wg, "p90")},
		}},
	}, datasetRows(n.Others, m)...)
}

// datasetRows are the other datasets' rows: stream, delivery and transform of each.
func datasetRows(others []DashboardDataset, m func(ns, name string, dims map[string]string, stat string) Metric) []DashboardRow {
	var out []DashboardRow
	for _, d := range others {
		st := map[string]string{"StreamName": d.Stream}
		fh := map[string]string{"DeliveryStreamName": d.Delivery}
		fn := map[string]string{"FunctionName": d.Function}
		out = append(out, DashboardRow{"Dataset " + d.Name, map[string][]Metric{
			"Records in and throttling": {m("AWS/Kinesis", "IncomingRecords", st, "Sum"), m("AWS/Kinesis", "PutRecords.FailedRecords", st, "Sum"),
				m("AWS/Kinesis", "WriteProvisionedThroughputExceeded", st, "Sum")},
			"Lag (ms, s)": {m("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", st, "Maximum"), m("AWS/Firehose", "DeliveryToS3.DataFreshness", fh, "Maximum")},
			"Delivered": {m("AWS/Firehose", "DataReadFromKinesisStream.Records", fh, "Sum"), m("AWS/Firehose", "DeliveryToS3.Records", fh, "Sum"),
				m("AWS/Firehose", "FailedConversion.Records", fh, "Sum")},
			"Transform": {m("AWS/Lambda", "Invocations", fn, "Sum"), m("AWS/Lambda", "Errors", fn, "Sum"), m("AWS/Lambda", "Duration", fn, "p99")},
		}})
	}
	return out
}

// DashboardBody renders the dashboard JSON: an alarm status row, then a row per stage.
func DashboardBody(region string, n DashboardNames, alarmArns []string) (string, error) {
	type widget struct {
		Type       string         `json:"type"`
		X          int            `json:"x"`
		Y          int            `json:"y"`
		Width      int            `json:"width"`
		Height     int            `json:"height"`
		Properties map[string]any `json:"properties"`
	}
	var widgets []widget
	y := 0
	widgets = append(widgets, widget{Type: "alarm", X: 0, Y: y, Width: 24, Height: 4, Properties: map[string]any{
		"title": "Alarms", "alarms": alarmArns, "sortBy": "stateUpdatedTimestamp",
	}})
	y += 4
	for _, row := range DashboardRows(n) {
		widgets = append(widgets, widget{Type: "text", X: 0, Y: y, Width: 24, Height: 1, Properties: map[string]any{"markdown": "## " + row.Title}})
		y++
		titles := slices.Sorted(maps.Keys(row.Widgets))
		w := 24 / len(titles)
		for i, title := range titles {
			var metrics [][]any
			for _, m := range row.Widgets[title] {
				line := []any{m.Namespace, m.Name}
				for _, d := range slices.Sorted(maps.Keys(m.Dims)) {
					line = append(line, d, m.Dims[d])
				}
				line = append(line, map[string]string{"stat": m.Stat})
				metrics = append(metrics, line)
			}
			widgets = append(widgets, widget{Type: "metric", X: i * w, Y: y, Width: w, Height: 6, Properties: map[string]any{
				"title": title, "region": region, "view": "timeSeries", "stacked": false, "period": 300, "metrics": metrics,
			}})
		}
		y += 6
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	if err != nil {
		return "", fmt.Errorf("dashboard body: %w", err)
	}
	return string(b), nil
}
