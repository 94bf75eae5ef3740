package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/testenv"
)

const testTopic = "arn:aws:sns:us-east-1:123456789012:alarms-prod"

// seedStatus puts a deployed stack's state into moto: stream, lake objects, crawler, metrics
// and alarms (one of another topic whose ARN starts with this stack's).
func seedStatus(t *testing.T, endpoint string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	cfg := testenv.AWSConfig(endpoint)
	testenv.CreateStream(t, testenv.KinesisClient(endpoint), "stream-prod", 2)
	s3c := s3Client(cfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"errors/processing-failed/2026/11/25/10/a", "errors/format-conversion-failed/2026/11/25/10/b", "errors/raw-backup/x/c", "data/year=2026/d.parquet"} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	gl := glue.NewFromConfig(cfg)
	if _, err := gl.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("db")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.CreateCrawler(ctx, &glue.CreateCrawlerInput{Name: aws.String("crawler-prod"), Role: aws.String("arn:aws:iam::123456789012:role/c"), DatabaseName: aws.String("db"),
		Targets: &gluetypes.CrawlerTargets{CatalogTargets: []gluetypes.CatalogTarget{{DatabaseName: aws.String("db"), Tables: []string{"events"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.StartCrawler(ctx, &glue.StartCrawlerInput{Name: aws.String("crawler-prod")}); err != nil {
		t.Fatal(err)
	}
	seedMetrics(t, cloudWatchClient(cfg), now)
	seedAlarms(t, cloudWatchClient(cfg))
}

func seedMetrics(t *testing.T, cw *cloudwatch.Client, now time.Time) {
	t.Helper()
	datum := func(ns, dim, value, metric string, ago time.Duration, v float64) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{MetricName: aws.String(metric), Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(value)}},
			Timestamp: aws.Time(now.Add(-ago).Truncate(time.Minute)), Value: aws.Float64(v)}
	}
	k := func(metric string, ago time.Duration, v float64) cwtypes.MetricDatum {
		return datum(nsKinesis, dimStream, "stream-prod", metric, ago, v)
	}
	f := func(metric string, ago time.Duration, v float64) cwtypes.MetricDatum {
		return datum(nsFirehose, dimDelivery, "delivery-prod", metric, ago, v)
	}
	for ns, data := range map[string][]cwtypes.MetricDatum{
		nsKinesis: {
			k(metricRecords, 40*time.Minute, 6000), k(metricRecords, 20*time.Minute, 12000), k(metricRecords, 3*time.Hour, 99999),
			k(metricBytes, 40*time.Minute, 6000*300), k(metricBytes, 20*time.Minute, 12000*300),
			k(metricWriteThrottle, 20*time.Minute, 7), k(metricIteratorAge, 40*time.Minute, 1500), k(metricIteratorAge, 20*time.Minute, 900),
		},
		nsFirehose: {
			f(metricFreshness, 40*time.Minute, 310), f(metricFreshness, 5*time.Minute, 120),
			f(metricSuccess, 40*time.Minute, 1), f(metricSuccess, 20*time.Minute, 1), f(metricSuccess, 5*time.Minute, 0), f(metricSuccess, 4*time.Minute, 1),
		},
	} {
		if _, err := cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data}); err != nil {
			t.Fatal(err)
		}
	}
}

func seedAlarms(t *testing.T, cw *cloudwatch.Client) {
	t.Helper()
	ctx := context.Background()
	for _, a := range []struct{ name, topic, ns, metric string }{
		{"monitoring-stream-write-throttled-1a2b3c4", testTopic, nsKinesis, metricWriteThrottle},
		{"monitoring-delivery-freshness-5d6e7f8", testTopic, nsFirehose, metricFreshness},
		{"other-stack-alarm-9a9a9a9", testTopic + "-other", nsKinesis, metricRecords},
	} {
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(a.name), Namespace: aws.String(a.ns), MetricName: aws.String(a.metric),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{a.topic}, OKActions: []string{a.topic}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("monitoring-stream-write-throttled-1a2b3c4"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (0.0).")}); err != nil {
		t.Fatal(err)
	}
}

func statusOutputs(crawler string) map[string]string {
	out := map[string]string{"streamName": "stream-prod", "deliveryStreamName": "delivery-prod", "bucketName": "lake", "alarmTopicArn": testTopic, "region": testenv.Region}
	if crawler != "" {
		out["crawlerName"] = crawler
	}
	return out
}

// `streamlake status` against moto's Kinesis, S3, Glue and CloudWatch.
func TestStatusOnMoto(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	now := time.Now().UTC()
	seedStatus(t, endpoint, now)
	c := cli{t: t, now: func() time.Time { return now }, pulumi: stackPulumi(statusOutputs("crawler-prod"))}

	r := c.run("status", "--stack", "prod", "--endpoint-url", endpoint)
	for _, want := range []string{
		"streamlake status: stack prod, us-east-1",
		"stream      stream-prod: PROVISIONED, ACTIVE, 2 open shards",
		"last hour   18000 records (peak minute 200.0/s), 5.15 MiB in, 7 throttled puts, max iterator age 1.5 s",
		"delivery    delivery-prod: oldest undelivered record 5.2 min at most (latest minute 2.0 min); 75.0 % of S3 deliveries succeeded",
		"errors      3 objects under s3://lake/errors/ written in the last 24 h (3 in all)",
		"crawler     crawler-prod: RUNNING; last run RUNNING, started ",
		"alarms      2: 1 ALARM, 0 INSUFFICIENT_DATA, 1 OK", // moto starts alarms OK (AWS: INSUFFICIENT_DATA)
		"  ALARM     monitoring-stream-write-throttled-1a2b3c4 (AWS/Kinesis WriteProvisionedThroughputExceeded) since ",
		": Threshold Crossed: 1 datapoint [7.0]",
	} {
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d; status lacks %q", r.code, want)
		}
	}
	if strings.Contains(r.stdout, "other-stack-alarm") {
		t.Error("an alarm of another stack's topic (same ARN prefix) is listed")
	}

	var rep statusReport
	decodeJSON(t, c.run("status", "--stack", "prod", "--endpoint-url", endpoint, "--json").stdout, &rep)
	if !rep.OK || rep.LastHour.Records != 18000 || rep.LastHour.MinutesWithData != 2 || rep.Delivery.SuccessPercent != 75 || rep.Delivery.FreshnessMaxSec != 310 ||
		rep.Alarms.Count != 2 || rep.Alarms.List[0].State != "ALARM" || rep.Errors.Last24h != 3 || !rep.Crawler.Exists {
		t.Errorf("json: %+v", rep)
	}

	// Objects older than 24 h are not counted (the same listing a day later).
	st := &statusReader{s3: s3Client(testenv.AWSConfig(endpoint)), bucket: "lake", now: now.Add(25 * time.Hour)}
	if e := st.readErrors(context.Background()); e.Last24h != 0 || e.Total != 3 || e.Error != "" {
		t.Errorf("a day later: %+v", e)
	}

	// A stack without a crawler says so; a crawler the stack names but that is gone fails.
	c.pulumi = stackPulumi(statusOutputs(""))
	if r := c.run("status", "--stack", "prod", "--endpoint-url", endpoint); r.code != exitOK || !strings.Contains(r.stdout, "crawler     none: the stack has no crawler") {
		t.Errorf("no crawler: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c.pulumi = stackPulumi(statusOutputs("ghost"))
	if r := c.run("status", "--stack", "prod", "--endpoint-url", endpoint); r.code != exitFail || !strings.Contains(r.stdout, "crawler     not read: crawler ghost does not exist") ||
		!strings.Contains(r.stderr, "some parts could not be read") {
		t.Errorf("missing crawler: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The metrics status and --from-metrics read exist with the dimension they use (the catalog
// the alarms are checked against).
func TestStatusMetricsAreKnown(t *testing.T) {
	for _, m := range []struct{ ns, metric, dim string }{
		{nsKinesis, metricRecords, dimStream}, {nsKinesis, metricBytes, dimStream}, {nsKinesis, metricWriteThrottle, dimStream},
		{nsKinesis, metricIteratorAge, dimStream}, {nsFirehose, metricFreshness, dimDelivery}, {nsFirehose, metricSuccess, dimDelivery},
	} {
		dims, ok := awsrules.Metrics[m.ns][m.metric]
		if !ok || len(dims) == 0 || len(dims[0]) != 1 || dims[0][0] != m.dim {
			t.Errorf("%s %s with dimension %s is not in awsrules.Metrics (%v)", m.ns, m.metric, m.dim, dims)
		}
	}
}
