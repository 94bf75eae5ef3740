package costplan

import (
	"math"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/shardplan"
)

// Flow is what the workload makes the pipeline do in a month: requests, records, calls,
// objects and bytes, before any price.
type Flow struct {
	Events float64 // events per month
	// BytesPerSecond is the average event data rate into the stream (and out of the
	// transform, whose JSON is taken to be as large as the event's).
	BytesPerSecond float64

	SingleRequests, BatchRequests float64 // API requests per month, by route
	PeakRequestsPerSecond         float64

	// RecommendedShards is shardplan's provisioned count for the peak (25 % headroom).
	RecommendedShards int

	// Lambda: seconds between calls, calls per month, billed milliseconds per call.
	ProcessorIntervalSeconds float64
	LambdaCalls              float64
	LambdaMillisPerCall      float64

	// Firehose: seconds between data objects of one partition, data objects per
	// partition-hour and their Parquet size; raw backups and error objects alike.
	FlushSeconds          float64
	DataObjectsPerHour    float64
	DataObjectBytes       float64
	RawFlushSeconds       float64
	RawObjectsPerHour     float64
	RawObjectBytes        float64
	ErrorObjectsPerHour   float64
	RejectedEvents        float64 // per month
	ActivePartitions      int
	CrawlerRunsPerMonth   float64
	AthenaQueriesPerMonth float64
}

// newFlow derives the month's activity from the workload and the stack.
func newFlow(w Workload, s Stack) (Flow, error) {
	f := Flow{Events: w.AvgEPS * SecondsPerMonth, BytesPerSecond: w.AvgEPS * w.EventBytes}
	f.SingleRequests = f.Events * (1 - w.BatchShare)
	f.BatchRequests = f.Events * w.BatchShare / float64(w.BatchSize)
	f.PeakRequestsPerSecond = w.PeakEPS * ((1 - w.BatchShare) + w.BatchShare/float64(w.BatchSize))
	rec, err := shardplan.Recommend(shardplan.Workload{PeakEventsPerSec: w.PeakEPS, AvgRecordBytes: w.EventBytes, Consumers: 1, HeadroomPct: 25}, shardplan.DefaultLimits())
	if err != nil {
		return Flow{}, err
	}
	f.RecommendedShards = rec.Shards

	f.ProcessorIntervalSeconds = flushSeconds(float64(s.ProcessorBufferSeconds), s.ProcessorBufferMiB*MiB, f.BytesPerSecond)
	f.LambdaCalls = SecondsPerMonth / f.ProcessorIntervalSeconds
	callBytes := f.BytesPerSecond * f.ProcessorIntervalSeconds
	cpu := TransformMBPerSecond * 1e6 * math.Min(1, float64(s.LambdaMemoryMiB)/LambdaVCPUMemoryMiB)
	f.LambdaMillisPerCall = math.Max(1, math.Ceil(1000*callBytes/cpu))

	okRate := f.BytesPerSecond * (1 - w.ErrorShare)
	f.FlushSeconds = flushSeconds(float64(s.FirehoseBufferSeconds), float64(s.FirehoseBufferMiB)*MiB, okRate)
	f.DataObjectsPerHour = 3600 / f.FlushSeconds
	f.ActivePartitions = 1
	if s.EventTimePartitioning {
		f.DataObjectsPerHour += LatePartitionObjectsPerHour
		f.ActivePartitions = 2 // at the turn of each hour
	}
	f.DataObjectBytes = okRate * f.FlushSeconds * ParquetRatio
	if s.RawBackup {
		f.RawFlushSeconds = flushSeconds(float64(s.FirehoseBufferSeconds), float64(s.FirehoseBufferMiB)*MiB, f.BytesPerSecond)
		f.RawObjectsPerHour = 3600 / f.RawFlushSeconds
		f.RawObjectBytes = f.BytesPerSecond * f.RawFlushSeconds * GzipRatio
	}
	// Rejected records arrive at random (Poisson): an error object is written for a buffer
	// interval only if at least one arrived in it.
	f.RejectedEvents = f.Events * w.ErrorShare
	perInterval := w.AvgEPS * w.ErrorShare * float64(s.FirehoseBufferSeconds)
	f.ErrorObjectsPerHour = 3600 / float64(s.FirehoseBufferSeconds) * (1 - math.Exp(-perInterval))

	if s.Crawler() {
		perDay, err := awsrules.ScheduleRunsPerDay(s.CrawlerSchedule)
		if err != nil {
			return Flow{}, err
		}
		f.CrawlerRunsPerMonth = perDay * DaysPerMonth
	}
	f.AthenaQueriesPerMonth = w.QueriesPerDay * DaysPerMonth
	return f, nil
}

// flushSeconds is how long a Firehose buffer of sizeBytes and intervalSeconds holds data
// arriving at rate bytes/s: it flushes when either is reached.
func flushSeconds(intervalSeconds, sizeBytes, rate float64) float64 {
	if rate <= 0 {
		return intervalSeconds
	}
	return math.Min(intervalSeconds, sizeBytes/rate)
}

// firehoseBilledBytes is one record as Firehose bills it: rounded up to 5 KB.
func firehoseBilledBytes(eventBytes float64) float64 {
	return math.Ceil(eventBytes/FirehoseRecordRounding) * FirehoseRecordRounding
}
