package costplan

import (
	"fmt"
	"math"
)

// s3: PUT requests of every object Firehose writes, lifecycle transitions of raw backups,
// and storage by class in the report month.
func (c *coster) s3() {
	f := c.f
	puts := (f.DataObjectsPerHour + f.RawObjectsPerHour + f.ErrorObjectsPerHour) * HoursPerMonth
	c.priced(SvcS3, "PUT requests", puts, "requests", S3PutRequests, 1000,
		fmt.Sprintf("per hour: %.1f Parquet + %.1f raw + %.1f error objects", f.DataObjectsPerHour, f.RawObjectsPerHour, f.ErrorObjectsPerHour))
	if c.s.RawBackup && c.s.RawTransitionDays > 0 {
		id := storageClasses[c.s.RawStorageClass].transition
		c.priced(SvcS3, "lifecycle transitions of raw/ to "+c.s.RawStorageClass, f.RawObjectsPerHour*HoursPerMonth, "requests", id, 1000, "one per raw object, a month's worth")
	}
	okPerDay := (f.Events - f.RejectedEvents) / DaysPerMonth
	c.store("data/ (Parquet)", okPerDay*c.w.EventBytes*ParquetRatio, dataSpans(), f.DataObjectBytes)
	if c.s.RawBackup {
		c.store("raw/ (gzip)", f.Events/DaysPerMonth*c.w.EventBytes*GzipRatio, rawSpans(c.s), f.RawObjectBytes)
	}
	if f.RejectedEvents > 0 {
		c.store("errors/", f.RejectedEvents/DaysPerMonth*(c.w.EventBytes*4/3+ErrorRecordOverheadBytes), errorSpans(c.s), 0)
	}
}

// store prices a prefix written at bytesPerDay whose objects spend the spans in their
// classes; objectBytes (0: not counted) is billed at least 128 KB in classes with that minimum.
func (c *coster) store(prefix string, bytesPerDay float64, spans []span, objectBytes float64) {
	for _, sp := range spans {
		perDay := bytesPerDay / GiB
		if objectBytes > 0 && objectBytes < MinBillableObjectBytes && minSizeClass(sp.class) {
			perDay *= MinBillableObjectBytes / objectBytes
		}
		gb := perDay * monthAverage(sp, ReportMonth)
		if gb == 0 {
			continue
		}
		item := fmt.Sprintf("storage %s, %s", prefix, sp.class)
		if sp.noncurrent {
			item += " (noncurrent versions)"
		}
		c.priced(SvcS3, item, gb, "GB-months", storageClasses[sp.class].storage, 1, spanNote(sp))
	}
}

func minSizeClass(class string) bool {
	return class == "STANDARD_IA" || class == "ONEZONE_IA" || class == "GLACIER_IR"
}

func spanNote(sp span) string {
	if sp.to == 0 {
		return fmt.Sprintf("average of month %d: objects from day %g on, kept", ReportMonth, sp.from)
	}
	return fmt.Sprintf("average of month %d: objects aged %g..%g days", ReportMonth, sp.from, sp.to)
}

// kms: the stack's key, Kinesis' data-key calls per principal every five minutes, and S3's
// calls with bucket keys.
func (c *coster) kms() {
	c.once(SvcKMS, "customer managed key", 1, "key-months", KMSKeyMonth, "")
	kinesis := float64(KinesisKMSPrincipals * SecondsPerMonth / KinesisKMSCallIntervalSeconds)
	c.priced(SvcKMS, "requests from Kinesis encryption", kinesis, "requests", KMSRequests, 1e4,
		fmt.Sprintf("%d principals x one data-key call per %d s", KinesisKMSPrincipals, KinesisKMSCallIntervalSeconds))
	f := c.f
	writes := (f.DataObjectsPerHour + f.RawObjectsPerHour + f.ErrorObjectsPerHour) * HoursPerMonth
	c.priced(SvcKMS, "requests from S3 (bucket keys)", writes*BucketKeyKMSShare, "requests", KMSRequests, 1e4, "1% of object writes: bucket keys cut KMS requests by up to 99%")
}

// glue: each crawler run billed at least 10 minutes.
func (c *coster) glue() {
	if !c.s.Crawler() {
		return
	}
	hours := c.f.CrawlerRunsPerMonth * CrawlerDPUs * math.Max(CrawlerRunMinutes, CrawlerMinRunMinutes) / 60
	c.priced(SvcGlue, "crawler "+c.s.CrawlerSchedule, hours, "DPU-hours", CrawlerDPUHour, 1,
		fmt.Sprintf("%.1f runs x %d DPUs x %d min (the billed minimum)", c.f.CrawlerRunsPerMonth, CrawlerDPUs, CrawlerMinRunMinutes))
}

// athena: each query billed at least 10 MB, at most the workgroup's cutoff.
func (c *coster) athena() {
	if c.f.AthenaQueriesPerMonth == 0 {
		return
	}
	mb := math.Min(math.Max(c.w.ScanMiB, AthenaMinScanMiB), float64(c.s.BytesScannedCutoffMiB))
	tb := c.f.AthenaQueriesPerMonth * mb * MiB / TiB
	c.priced(SvcAthena, "data scanned", tb, "TB", AthenaTBScanned, 1, fmt.Sprintf("%.0f queries x %g MB billed", c.f.AthenaQueriesPerMonth, mb))
}

// cloudwatch: alarms (all standard resolution), the dashboard, and logs: ingestion and the
// archive held under logRetentionDays.
func (c *coster) cloudwatch() {
	const standard = "standard resolution: every alarm has a period of 60 s or more"
	c.priced(SvcCloudWatch, "dataset alarms", float64(DatasetAlarmCount(c.s)), "alarms", AlarmStandard, 1, "on the stream, delivery stream and function; "+standard)
	api := "API alarms"
	if c.s.WAF {
		api = "API and firewall alarms"
	}
	c.once(SvcCloudWatch, api, float64(SharedAlarmCount(c.s)), "alarms", AlarmStandard, standard)
	c.once(SvcCloudWatch, "dashboard", 1, "dashboards", DashboardMonth, "a row per dataset, one dashboard")
	f := c.f
	ingest := ((f.SingleRequests+f.BatchRequests)*AccessLogLineBytes + f.LambdaCalls*LambdaLogBytesPerCall +
		f.RejectedEvents*RejectLogBytes + f.CrawlerRunsPerMonth*CrawlerLogBytesPerRun) / GiB
	c.priced(SvcCloudWatch, "logs ingested", ingest, "GB", LogsIngestGB, 1, "API access logs, transform and crawler logs")
	months := math.Min(float64(c.s.LogRetentionDays)/DaysPerMonth, ReportMonth)
	c.priced(SvcCloudWatch, "logs stored", ingest*months*GzipRatio, "GB-months", LogsStorageGBMonth, 1,
		fmt.Sprintf("%d days kept, archived compressed like gzip", c.s.LogRetentionDays))
}

// AlarmCount is how many alarms a stack whose only dataset is s has (tests/plan_test.go
// compares it with the alarms the program creates).
func AlarmCount(s Stack) int { return DatasetAlarmCount(s) + SharedAlarmCount(s) }

// DatasetAlarmCount is how many alarms one dataset's stream, delivery stream and function
// have: components.DatasetAlarmSpecs' 13, the silent-stream alarm with alarmSilentMinutes, the
// partition-count alarm with event-time partitioning and the backup alarm with rawBackup.
func DatasetAlarmCount(s Stack) int {
	n := 13
	for _, on := range []bool{s.SilentAlarm, s.EventTimePartitioning, s.RawBackup} {
		if on {
			n++
		}
	}
	return n
}

// SharedAlarmCount is how many alarms the stack has once, whatever its datasets: the API's 3
// (5XX, 4XX rate, p99 latency) and, with the WAF, the blocked-requests alarm.
func SharedAlarmCount(s Stack) int {
	if s.WAF {
		return 4
	}
	return 3
}
