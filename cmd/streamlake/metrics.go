package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch metrics of the stream that --from-metrics and status read (awsrules.Metrics lists
// them with their dimensions; a test keeps them in step).
const (
	nsKinesis           = "AWS/Kinesis"
	nsFirehose          = "AWS/Firehose"
	dimStream           = "StreamName"
	dimDelivery         = "DeliveryStreamName"
	metricRecords       = "IncomingRecords"
	metricBytes         = "IncomingBytes"
	metricWriteThrottle = "WriteProvisionedThroughputExceeded"
	metricIteratorAge   = "GetRecords.IteratorAgeMilliseconds"
	metricFreshness     = "DeliveryToS3.DataFreshness"
	metricSuccess       = "DeliveryToS3.Success"
)

// minute is the period --from-metrics reads: the stream-level metrics' own resolution (basic
// monitoring publishes them per minute), which CloudWatch keeps for 15 days.
const minute = 60

type cloudWatchAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// metricQuery is one series to read: a metric of a resource, a statistic, a period.
type metricQuery struct {
	id, namespace, metric, dim, value, stat string
	period                                  int32
}

// series is a metric's datapoints, oldest first.
type series struct {
	times  []time.Time
	values []float64
}

// readSeries reads every query over [from, to) with GetMetricData, all pages.
func readSeries(ctx context.Context, cw cloudWatchAPI, from, to time.Time, qs []metricQuery) (map[string]*series, error) {
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(to), ScanBy: cwtypes.ScanByTimestampAscending}
	out := map[string]*series{}
	for _, q := range qs {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(q.id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.metric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(q.dim), Value: aws.String(q.value)}}},
				Period: aws.Int32(q.period), Stat: aws.String(q.stat),
			},
		})
		out[q.id] = &series{}
	}
	p := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read CloudWatch metrics: %w", err)
		}
		for _, r := range page.MetricDataResults {
			s := out[aws.ToString(r.Id)]
			if s == nil || len(r.Timestamps) != len(r.Values) {
				continue
			}
			s.times = append(s.times, r.Timestamps...)
			s.values = append(s.values, r.Values...)
		}
	}
	return out, nil
}

// peak returns the largest value and its time (zero time when empty).
func (s *series) peak() (float64, time.Time) {
	best, at := 0.0, time.Time{}
	for i, v := range s.values {
		if at.IsZero() || v > best {
			best, at = v, s.times[i]
		}
	}
	return best, at
}

func (s *series) sum() float64 {
	t := 0.0
	for _, v := range s.values {
		t += v
	}
	return t
}

// streamPeak is the busiest minute of a stream in a window, from CloudWatch.
type streamPeak struct {
	Stream   string
	From, To time.Time
	// PeakRecordsPerSec and PeakBytesPerSec are the busiest minute's Sum / 60, each in its own
	// busiest minute.
	PeakRecordsPerSec, PeakBytesPerSec float64
	PeakRecordsAt, PeakBytesAt         time.Time
	// AvgRecordsPerSec is the window's total records over its length.
	AvgRecordsPerSec float64
	Minutes          int // minutes with data
}

// RecordBytes is the record size the planner gets: the peak byte rate over the peak record
// rate, so that the plan's byte rate at the peak is the busiest minute's, even when the two
// peaks fall in different minutes (then it over-estimates the size: a safe error).
func (p streamPeak) RecordBytes() float64 {
	return p.PeakBytesPerSec / p.PeakRecordsPerSec
}

// readStreamPeak reads IncomingRecords and IncomingBytes with statistic Sum per 60 s period:
// the stream-level metrics are published per minute, so a minute's Sum is all it took that
// minute, and Sum / 60 its average rate. Maximum would be the largest single datapoint inside
// the minute, not a rate; finer than a minute CloudWatch does not have, so bursts inside the
// busiest minute are what the planner's headroom is for.
func readStreamPeak(ctx context.Context, cw cloudWatchAPI, stream string, now time.Time, window time.Duration) (streamPeak, error) {
	to := now.UTC().Truncate(time.Minute)
	from := to.Add(-window)
	res, err := readSeries(ctx, cw, from, to, []metricQuery{
		{id: "records", namespace: nsKinesis, metric: metricRecords, dim: dimStream, value: stream, stat: "Sum", period: minute},
		{id: "bytes", namespace: nsKinesis, metric: metricBytes, dim: dimStream, value: stream, stat: "Sum", period: minute},
	})
	if err != nil {
		return streamPeak{}, err
	}
	p := streamPeak{Stream: stream, From: from, To: to, Minutes: len(res["records"].values)}
	recs, recAt := res["records"].peak()
	bytes, bytesAt := res["bytes"].peak()
	if recs <= 0 || bytes <= 0 {
		return p, fmt.Errorf("stream %s has no %s/%s data (Sum per minute) between %s and %s: nothing to size from; pass --peak-eps instead",
			stream, metricRecords, metricBytes, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	p.PeakRecordsPerSec, p.PeakRecordsAt = recs/minute, recAt
	p.PeakBytesPerSec, p.PeakBytesAt = bytes/minute, bytesAt
	p.AvgRecordsPerSec = res["records"].sum() / window.Seconds()
	return p, nil
}

// readStreamPeakOf finds the stack's stream and reads its peak.
func readStreamPeakOf(ctx context.Context, e *env, f *shardsFlags) (streamPeak, error) {
	so := f.stackOutputs(e)
	stream, err := so.get(ctx, outStream)
	if err != nil {
		return streamPeak{}, err
	}
	cfg, err := loadAWS(ctx, so.region(ctx, f.aws.region), f.aws.endpoint)
	if err != nil {
		return streamPeak{}, err
	}
	return readStreamPeak(ctx, cloudWatchClient(cfg), stream, e.clock(), f.window)
}
