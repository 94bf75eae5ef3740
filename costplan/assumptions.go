package costplan

// Measured numbers and stated assumptions the plan rests on. Each measured one names the
// benchmark or test that reproduces it; a test fails when a measurement drifts from its
// constant.

// Time and units. AWS's price pages use a 730-hour month; sizes are binary (GB = 2^30 bytes,
// TB = 2^40, MB = 2^20) as elsewhere in streamlake.
const (
	HoursPerMonth   = 730
	SecondsPerMonth = HoursPerMonth * 3600
	DaysPerMonth    = HoursPerMonth / 24.0
	MiB             = 1 << 20
	GiB             = 1 << 30
	TiB             = 1 << 40
	// ReportMonth is the month whose bill the plan reports: the 12th after the first deploy,
	// when data/ holds a year and every lifecycle rule shorter than 11 months has reached its
	// steady state.
	ReportMonth = 12
)

// Billing rules the formulas apply.
const (
	// FirehoseRecordRounding: Firehose bills ingestion (and format conversion) per record in
	// 5 KB increments, Kinesis Data Streams as the source included (prices.json's Firehose rows).
	FirehoseRecordRounding = 5 * 1024
	// AthenaMinScanMiB is Athena's minimum billed scan per query.
	AthenaMinScanMiB = 10
	// CrawlerMinRunMinutes is Glue's minimum billed duration of a crawler run.
	CrawlerMinRunMinutes = 10
	// MinBillableObjectBytes is S3's minimum billable object size in STANDARD_IA,
	// ONEZONE_IA and GLACIER_IR.
	MinBillableObjectBytes = 128 * 1024
	// LambdaVCPUMemoryMiB: "At 1,769 MB, a function has the equivalent of one vCPU (one
	// vCPU-second of credits per second)", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html.
	// Below it a function gets memory/1769 of a vCPU; the transform is single-threaded, so
	// more than one vCPU does not speed it up.
	LambdaVCPUMemoryMiB = 1769
	// KinesisKMSCallInterval: "Kinesis Data Streams calls AWS KMS approximately every five
	// minutes when it is rotating the data key", once per user credential on producers and
	// consumers, https://docs.aws.amazon.com/streams/latest/dev/costs-performance.html.
	KinesisKMSCallIntervalSeconds = 300
	// KinesisKMSPrincipals: the API's role puts records, Firehose's role reads them.
	KinesisKMSPrincipals = 2
	// BucketKeyKMSShare: S3 Bucket Keys "can reduce AWS KMS request costs by up to 99
	// percent" (AWS, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html);
	// the lake uses them, so S3's KMS calls are counted as 1% of its object writes.
	BucketKeyKMSShare = 0.01
)

// Measured in this repo.
const (
	// TransformMBPerSecond is the transform Lambda's speed on one vCPU that the plan assumes,
	// in MB (10^6 bytes) of record data per second. It is deliberately conservative, not the
	// typical speed. It comes from BenchmarkInvoke/max (a 1 MiB processor batch, decode +
	// transform + encode) run with
	// `go test ./transform -run '^$' -bench 'Invoke/max' -benchtime 3s -cpu 1 -count 3` on
	// the shared 2-vCPU build machine (Intel Xeon) while other jobs ran (2026-11-25: 39.7, 52.6
	// and 59.1 MB/s; 52 is the median, rounded down). Quieter runs of the same benchmark on
	// that machine measure 99-138 MB/s (docs/performance.md), so the plan's Lambda duration
	// is 1.9-2.7x what those give. The busy figure is kept on purpose: AWS publishes no
	// per-core speed of a Lambda arm64 (Graviton) vCPU to compare with this machine, and a
	// Lambda vCPU is shared; pricing Lambda high rather than low keeps its lines upper
	// bounds. A function gets min(1, memory/1769) of a vCPU, so a call takes
	// bytes / (TransformMBPerSecond x 10^6 x min(1, memory/1769)) seconds.
	TransformMBPerSecond = 52
	// ParquetRatio is Parquet (Snappy) bytes per byte of event JSON: generated schema events
	// through the real transform and the local lake's Parquet writer, 0.21 for a file of 1,200
	// events and 0.19 from 10,000 (TestParquetRatioIsMeasured). Firehose's own writer differs
	// in detail (row groups, statistics).
	ParquetRatio = 0.20
	// GzipRatio is gzip bytes per byte of event JSON (raw backups; CloudWatch Logs' archived
	// size is taken to compress alike): 0.142 for generated events (TestGzipRatioIsMeasured).
	GzipRatio = 0.14
	// AccessLogLineBytes is one API access-log line: the stage's JSON format
	// (vtl.AccessLogFormat) with typical values (TestAccessLogLineBytes).
	AccessLogLineBytes = 546
)

// Assumed, with the reason.
const (
	// CrawlerDPUs: Glue decides a crawler's capacity; AWS's pricing example bills a crawler
	// at 2 DPUs.
	CrawlerDPUs = 2
	// CrawlerRunMinutes: a catalog-table crawl of this lake's size is taken to finish within
	// the 10 billed minutes; it lists the whole table, so it grows with the lake.
	CrawlerRunMinutes = 10
	// LambdaLogBytesPerCall: START, END and REPORT platform lines plus the transform's
	// "batch transformed" line; RejectLogBytes: one "record rejected" line.
	LambdaLogBytesPerCall = 600
	RejectLogBytes        = 300
	// CrawlerLogBytesPerRun: a run's start, table and finish lines.
	CrawlerLogBytesPerRun = 2048
	// ErrorRecordOverheadBytes: Firehose's error record wraps the base64 of the source
	// record in JSON with the error code, message, timestamps and Lambda ARN.
	ErrorRecordOverheadBytes = 300
	// LatePartitionObjectsPerHour: with event-time partitioning the hour that just ended
	// still has records in flight (processor and Firehose buffers) when the next starts: one
	// more object per partition-hour.
	LatePartitionObjectsPerHour = 1
)

// Warning thresholds.
const (
	// AthenaGoodFileBytes: AWS's Athena tuning advice treats files under 128 MB as small.
	AthenaGoodFileBytes = 128 * MiB
	// AthenaDayFiles: a query over one day opening more files than this, all small, is
	// slowed by per-file overhead (streamlake's threshold).
	AthenaDayFiles = 1000
)
