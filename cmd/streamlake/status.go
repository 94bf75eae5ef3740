package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

const statusDescription = `
One screen on a deployed stack, read live from AWS:

  stream      capacity mode, status and open shards (Kinesis DescribeStreamSummary)
  last hour   IncomingRecords and IncomingBytes (Sum), WriteProvisionedThroughputExceeded
              (Sum: throttled puts) and GetRecords.IteratorAgeMilliseconds (Maximum), per minute
  delivery    Firehose DeliveryToS3.DataFreshness (Maximum, and the latest minute's) and
              DeliveryToS3.Success (Sum / SampleCount: the share of S3 deliveries that succeeded)
  errors      objects under errors/ in the lake written in the last 24 h (S3 listing, every page)
  crawler     the crawler's state and last run (Glue GetCrawler); a stack without one says so
  alarms      the state of every alarm of the stack: those whose actions notify the stack's alarm
              topic (CloudWatch DescribeAlarms by action prefix; alarm names are auto-generated)

Names come from the stack's outputs (streamName, deliveryStreamName, bucketName, crawlerName,
alarmTopicArn, region). Exit status 0 when every part was read, 1 when a part could not be read
(it says why); alarms in ALARM do not change the exit status.

Examples:
  streamlake status --stack prod
  streamlake status --stack dev --json`

type statusFlags struct {
	stack, outputs string
	aws            awsFlags
	json           bool
	dataset        datasetFlag
}

func statusFlagSet(e *env) (*flags, *statusFlags) {
	var f statusFlags
	fs := newFlags("status", "--stack S [--json]", statusDescription)
	fs.StringVar(&f.stack, "stack", "", "Pulumi `stack` whose outputs name the resources (default: the selected stack)")
	fs.StringVar(&f.outputs, "outputs", "", "read stack outputs from `file` (saved 'pulumi stack output --json --show-secrets') instead of running pulumi")
	f.aws.register(fs)
	fs.BoolVar(&f.json, "json", false, "print the status as JSON")
	f.dataset.register(fs)
	return fs, &f
}

// Windows status reports on.
const (
	statusTrafficWindow = time.Hour
	statusErrorsWindow  = 24 * time.Hour
)

// statusReport is what status prints; each part carries the error that kept it from being read.
type statusReport struct {
	Stack    string         `json:"stack"`
	Region   string         `json:"region"`
	At       string         `json:"at"`
	OK       bool           `json:"ok"`
	Stream   streamStatus   `json:"stream"`
	LastHour trafficStatus  `json:"last_hour"`
	Delivery deliveryStatus `json:"delivery"`
	Errors   errorsStatus   `json:"errors"`
	Crawler  crawlerStatus  `json:"crawler"`
	Alarms   alarmsStatus   `json:"alarms"`
}

type streamStatus struct {
	Name       string `json:"name"`
	Mode       string `json:"mode"`
	Status     string `json:"status"`
	OpenShards int    `json:"open_shards"`
	Error      string `json:"error,omitempty"`
}

type trafficStatus struct {
	MinutesWithData   int     `json:"minutes_with_data"`
	Records           float64 `json:"records"`
	Bytes             float64 `json:"bytes"`
	PeakRecordsPerSec float64 `json:"peak_records_per_sec"`
	ThrottledPuts     float64 `json:"throttled_puts"`
	MaxIteratorAgeMs  float64 `json:"max_iterator_age_ms"`
	Error             string  `json:"error,omitempty"`
}

type deliveryStatus struct {
	Name               string  `json:"name"`
	MinutesWithData    int     `json:"minutes_with_data"`
	FreshnessMaxSec    float64 `json:"freshness_max_sec"`
	FreshnessLatestSec float64 `json:"freshness_latest_sec"`
	SuccessPercent     float64 `json:"success_percent"`
	DeliveriesMeasured float64 `json:"deliveries_measured"`
	Error              string  `json:"error,omitempty"`
}

type errorsStatus struct {
	Bucket  string `json:"bucket"`
	Prefix  string `json:"prefix"`
	Last24h int    `json:"last_24h"`
	Total   int    `json:"total"`
	Error   string `json:"error,omitempty"`
}

type crawlerStatus struct {
	Name       string `json:"name"`
	Exists     bool   `json:"exists"`
	State      string `json:"state"`
	LastStatus string `json:"last_status"`
	LastStart  string `json:"last_start"`
	LastError  string `json:"last_error"`
	Note       string `json:"note,omitempty"`
	Error      string `json:"error,omitempty"`
}

type alarmsStatus struct {
	Topic  string        `json:"topic"`
	Count  int           `json:"count"`
	States alarmCounts   `json:"states"`
	List   []alarmStatus `json:"list"`
	Error  string        `json:"error,omitempty"`
}

// alarmCounts counts alarms by state.
type alarmCounts struct {
	Alarm            int `json:"alarm"`
	InsufficientData int `json:"insufficient_data"`
	OK               int `json:"ok"`
}

func (c *alarmCounts) add(s cwtypes.StateValue) {
	switch s {
	case cwtypes.StateValueAlarm:
		c.Alarm++
	case cwtypes.StateValueInsufficientData:
		c.InsufficientData++
	default:
		c.OK++
	}
}

type alarmStatus struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Since  string `json:"since"`
	Reason string `json:"reason"`
	Metric string `json:"metric"`
}

func runStatus(ctx context.Context, e *env, args []string) int {
	fs, f := statusFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	so := newStackOutputs(e, f.stack, f.outputs)
	st, err := newStatusReader(ctx, e, so, f)
	if err != nil {
		return fail(e, "status", err)
	}
	rep := st.read(ctx)
	if err := writeResult(e.stdout, f.json, rep, rep.String); err != nil {
		return printed(e, "status", err)
	}
	if !rep.OK {
		return fail(e, "status", errors.New("some parts could not be read (see above)"))
	}
	return exitOK
}

// statusReader holds the stack's names and the clients status reads with.
type statusReader struct {
	stack, region                            string
	stream, delivery, bucket, crawler, topic string
	// errors is the dataset's error folder (zero: errors/, every object counted).
	errors  errorFolder
	kinesis kinesisDescriber
	cw      cloudWatchAPI
	s3      s3.ListObjectsV2APIClient
	glue    glueAPI
	now     time.Time
}

type glueAPI interface {
	GetCrawler(ctx context.Context, in *glue.GetCrawlerInput, optFns ...func(*glue.Options)) (*glue.GetCrawlerOutput, error)
}

// newStatusReader reads the stack's outputs and makes the clients.
func newStatusReader(ctx context.Context, e *env, so *stackOutputs, f *statusFlags) (*statusReader, error) {
	ds, err := f.dataset.choose(ctx, so)
	if err != nil {
		return nil, err
	}
	st := &statusReader{stack: f.stack, now: e.clock().UTC(), errors: errorFolderOf(ds)}
	for _, o := range []struct {
		dst *string
		key string
	}{{&st.stream, outStream}, {&st.bucket, outBucket}, {&st.delivery, outDelivery}, {&st.topic, outTopic}} {
		v, err := so.get(ctx, o.key)
		if err != nil {
			return nil, err
		}
		*o.dst = v
	}
	crawler, err := so.lookup(ctx, outCrawler)
	if err != nil {
		return nil, err
	}
	st.crawler = crawler
	cfg, err := loadAWS(ctx, so.region(ctx, f.aws.region), f.aws.endpoint)
	if err != nil {
		return nil, err
	}
	st.region = cfg.Region
	st.kinesis, st.cw, st.s3, st.glue = kinesis.NewFromConfig(cfg), cloudWatchClient(cfg), s3Client(cfg), glueClient(cfg)
	return st, nil
}

// read reads every part; a part that fails says why and the others are still read.
func (st *statusReader) read(ctx context.Context) statusReport {
	rep := statusReport{Stack: st.stack, Region: st.region, At: st.now.Format(time.RFC3339)}
	live, err := describeStream(ctx, st.kinesis, st.stream)
	rep.Stream = streamStatus{Name: st.stream, Mode: live.mode, Status: live.status, OpenShards: live.open, Error: errText(err)}
	rep.LastHour, rep.Delivery = st.readMetrics(ctx)
	rep.Errors = st.readErrors(ctx)
	rep.Crawler = st.readCrawler(ctx)
	rep.Alarms = st.readAlarms(ctx)
	rep.OK = rep.Stream.Error == "" && rep.LastHour.Error == "" && rep.Delivery.Error == "" && rep.Errors.Error == "" && rep.Crawler.Error == "" && rep.Alarms.Error == ""
	return rep
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readMetrics reads the last hour of the stream's and the delivery stream's metrics, per minute.
func (st *statusReader) readMetrics(ctx context.Context) (trafficStatus, deliveryStatus) {
	to := st.now.Truncate(time.Minute)
	s, d := st.stream, st.delivery
	res, err := readSeries(ctx, st.cw, to.Add(-statusTrafficWindow), to, []metricQuery{
		{id: "records", namespace: nsKinesis, metric: metricRecords, dim: dimStream, value: s, stat: "Sum", period: minute},
		{id: "bytes", namespace: nsKinesis, metric: metricBytes, dim: dimStream, value: s, stat: "Sum", period: minute},
		{id: "throttled", namespace: nsKinesis, metric: metricWriteThrottle, dim: dimStream, value: s, stat: "Sum", period: minute},
		{id: "iterator_age", namespace: nsKinesis, metric: metricIteratorAge, dim: dimStream, value: s, stat: "Maximum", period: minute},
		{id: "freshness", namespace: nsFirehose, metric: metricFreshness, dim: dimDelivery, value: d, stat: "Maximum", period: minute},
		{id: "success_sum", namespace: nsFirehose, metric: metricSuccess, dim: dimDelivery, value: d, stat: "Sum", period: minute},
		{id: "success_n", namespace: nsFirehose, metric: metricSuccess, dim: dimDelivery, value: d, stat: "SampleCount", period: minute},
	})
	dl := deliveryStatus{Name: d}
	if err != nil {
		return trafficStatus{Error: err.Error()}, deliveryStatus{Name: d, Error: err.Error()}
	}
	tr := trafficStatus{MinutesWithData: len(res["records"].values), Records: res["records"].sum(), Bytes: res["bytes"].sum(), ThrottledPuts: res["throttled"].sum()}
	peak, _ := res["records"].peak()
	tr.PeakRecordsPerSec = round2(peak / minute)
	tr.MaxIteratorAgeMs, _ = res["iterator_age"].peak()
	fr := res["freshness"]
	dl.MinutesWithData = len(fr.values)
	dl.FreshnessMaxSec, _ = fr.peak()
	if n := len(fr.values); n > 0 {
		dl.FreshnessLatestSec = fr.values[n-1] // ascending
	}
	if n := res["success_n"].sum(); n > 0 {
		dl.DeliveriesMeasured = n
		dl.SuccessPercent = round2(100 * res["success_sum"].sum() / n)
	}
	return tr, dl
}

// readErrors counts objects under errors/ modified in the last 24 h, listing every page.
func (st *statusReader) readErrors(ctx context.Context) errorsStatus {
	out := errorsStatus{Bucket: st.bucket, Prefix: st.errors.path()}
	since := st.now.Add(-statusErrorsWindow)
	err := st.errors.list(ctx, st.s3, st.bucket, 0, func(o s3types.Object) {
		out.Total++
		if o.LastModified != nil && !o.LastModified.Before(since) {
			out.Last24h++
		}
	})
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// errorFolder is a dataset's folder of error objects in the lake: errors/<name>/, or the
// default dataset's errors/, in which the other datasets' folders lie (others).
type errorFolder struct {
	prefix string // "": errors/
	others bool
}

func errorFolderOf(ds schema.Dataset) errorFolder {
	return errorFolder{prefix: lakelayout.RootsOf(ds.Name).Errors, others: ds.IsDefault()}
}

func (f errorFolder) path() string { return cmp.Or(f.prefix, lakelayout.ErrorsPrefix) }

// owns says whether key, an object in the folder, is the dataset's own. Under the default
// dataset's errors/ lie the other datasets' folders (errors/<dataset>/): an error output type
// has a '-', a dataset's name none.
func (f errorFolder) owns(key string) bool {
	next, _, _ := strings.Cut(strings.TrimPrefix(key, f.path()), "/")
	return !f.others || strings.Contains(next, "-")
}

// list calls fn with each of the dataset's own objects in the folder, reading at most maxPages
// pages of the listing (0: every page).
func (f errorFolder) list(ctx context.Context, c s3.ListObjectsV2APIClient, bucket string, maxPages int, fn func(s3types.Object)) error {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(f.path())})
	for pages := 0; p.HasMorePages() && (maxPages == 0 || pages < maxPages); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, f.path(), err)
		}
		for _, o := range page.Contents {
			if f.owns(aws.ToString(o.Key)) {
				fn(o)
			}
		}
	}
	return nil
}

// readCrawler reads the crawler's state and last run.
func (st *statusReader) readCrawler(ctx context.Context) crawlerStatus {
	c := crawlerStatus{Name: st.crawler}
	if st.crawler == "" {
		c.Note = "the stack has no crawler (stack output crawlerName is not set): partitions are registered without one"
		return c
	}
	out, err := st.glue.GetCrawler(ctx, &glue.GetCrawlerInput{Name: aws.String(st.crawler)})
	var nf *gluetypes.EntityNotFoundException
	switch {
	case errors.As(err, &nf):
		c.Error = fmt.Sprintf("crawler %s does not exist (the stack output names it: was it deleted outside the stack?)", st.crawler)
		return c
	case err != nil:
		c.Error = fmt.Sprintf("read crawler %s: %v", st.crawler, err)
		return c
	}
	cr := out.Crawler
	c.Exists, c.State = true, string(cr.State)
	if lc := cr.LastCrawl; lc != nil {
		c.LastStatus, c.LastError = string(lc.Status), aws.ToString(lc.ErrorMessage)
		if lc.StartTime != nil {
			c.LastStart = lc.StartTime.UTC().Format(time.RFC3339)
		}
	} else {
		c.Note = "it has not run yet"
	}
	return c
}

// readAlarms reads every metric alarm that notifies the stack's alarm topic. The program names
// alarms automatically (logical name + random suffix, the same in every stack), so their names
// cannot tell stacks apart; every alarm of a stack sends to its own topic (policy rule
// ops-alarm-actions), whose ARN is a stack output.
func (st *statusReader) readAlarms(ctx context.Context) alarmsStatus {
	a := alarmsStatus{Topic: st.topic, List: []alarmStatus{}}
	p := cloudwatch.NewDescribeAlarmsPaginator(st.cw, &cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String(st.topic)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			a.Error = fmt.Sprintf("describe the alarms of topic %s: %v", st.topic, err)
			return a
		}
		for _, m := range page.MetricAlarms {
			if !slices.Contains(m.AlarmActions, st.topic) && !slices.Contains(m.OKActions, st.topic) {
				continue // a prefix match of another topic
			}
			a.List = append(a.List, alarmOf(m))
			a.States.add(m.StateValue)
		}
	}
	a.Count = len(a.List)
	slices.SortFunc(a.List, func(x, y alarmStatus) int {
		if o := stateOrder(x.State) - stateOrder(y.State); o != 0 {
			return o
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return a
}

func alarmOf(m cwtypes.MetricAlarm) alarmStatus {
	s := alarmStatus{Name: aws.ToString(m.AlarmName), State: string(m.StateValue), Reason: aws.ToString(m.StateReason),
		Metric: aws.ToString(m.Namespace) + " " + aws.ToString(m.MetricName)}
	if m.StateUpdatedTimestamp != nil {
		s.Since = m.StateUpdatedTimestamp.UTC().Format(time.RFC3339)
	}
	return s
}

// stateOrder puts alarms firing first, then those without data, then OK.
func stateOrder(s string) int {
	switch cwtypes.StateValue(s) {
	case cwtypes.StateValueAlarm:
		return 0
	case cwtypes.StateValueInsufficientData:
		return 1
	}
	return 2
}
