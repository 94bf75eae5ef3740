package costplan

import (
	"math"
	"strings"
	"testing"
	"time"
)

// The expectations below are computed by hand from the workload, the stack files' values and
// prices.json, step by step in the comments; they do not call the package's formulas. Month:
// 730 h = 2,628,000 s = 30.41667 days; month 12 spans days 334.583..365 (midpoint 349.792).
// GB = 2^30 = 1,073,741,824 bytes; MiB = 2^20; TB = 2^40.

// devStack is Pulumi.dev.yaml with Pulumi.yaml's defaults.
func devStack() Stack {
	return Stack{Name: "dev", Region: "eu-west-1", StreamMode: "PROVISIONED", ShardCount: 1, RetentionHours: 24,
		APIRateLimit: 20, APIQuotaPerDay: 200000, Discovery: "projection+crawler", Projection: true, CrawlerSchedule: "cron(15 0 * * ? *)",
		EventTimePartitioning: true, FirehoseBufferMiB: 128, FirehoseBufferSeconds: 60, ProcessorBufferMiB: 1, ProcessorBufferSeconds: 60,
		RawBackup: true, LambdaMemoryMiB: 256, RawTransitionDays: 0, RawStorageClass: "GLACIER_IR", RawExpirationDays: 14, ErrorsExpirationDays: 14,
		NoncurrentExpirationDays: 30, BytesScannedCutoffMiB: 200, LogRetentionDays: 7}
}

// prodStack is Pulumi.prod.yaml with Pulumi.yaml's defaults.
func prodStack() Stack {
	return Stack{Name: "prod", Region: "eu-west-1", StreamMode: "PROVISIONED", ShardCount: 4, RetentionHours: 168, ShardLevelMetrics: 4,
		APIRateLimit: 2000, WAF: true, WAFManagedRules: 2, Discovery: "projection+crawler", Projection: true, CrawlerSchedule: "cron(5 * * * ? *)",
		EventTimePartitioning: true, FirehoseBufferMiB: 128, FirehoseBufferSeconds: 300, ProcessorBufferMiB: 1, ProcessorBufferSeconds: 60,
		RawBackup: true, LambdaMemoryMiB: 1024, RawTransitionDays: 30, RawStorageClass: "GLACIER_IR", RawExpirationDays: 0, ErrorsExpirationDays: 90,
		Versioning: true, NoncurrentExpirationDays: 90, BytesScannedCutoffMiB: 10240, LogRetentionDays: 90, SilentAlarm: true}
}

// DevWorkload and ProdWorkload are the README's examples.
var (
	devWorkload  = Workload{AvgEPS: 20, PeakEPS: 20, EventBytes: 400, BatchShare: 0.9, BatchSize: 200, QueriesPerDay: 50, ScanMiB: 5, ErrorShare: 0.001}
	prodWorkload = Workload{AvgEPS: 1500, PeakEPS: 4000, EventBytes: 362, BatchShare: 0.9, BatchSize: 200, QueriesPerDay: 200, ScanMiB: 500, ErrorShare: 0.001}
)

type wantLine struct {
	item string // a prefix of the line's item
	usd  float64
}

func TestDevByHand(t *testing.T) {
	// 20 events/s x 2,628,000 s = 52,560,000 events. API: 10% single = 5,256,000 requests;
	// 90% in batches of 200 = 236,520; 5.49252 M requests x $3.50 (first tier) = $19.22382,
	// split by requests.
	// Firehose: each 400 B record billed as 5,120 B: 52,560,000 x 5,120 / 2^30 = 250.6256 GB.
	// Flush: 20 x 0.999 x 400 = 7,992 B/s fills 128 MiB in 16,794 s, so the 60 s interval
	// flushes: 60 + 1 (late partition) = 61 objects per hour x 730 = 44,530.
	// Lambda: 8,000 B/s fills 1 MiB in 131 s, so a call every 60 s: 43,800 calls of 480,000 B;
	// 52e6 B/s x 256/1769 vCPU = 7,525,155 B/s: 63.8 ms, billed 64; 43,800 x 0.064 s x 0.25 GB
	// = 700.8 GB-s.
	// S3 PUTs per hour: 61 Parquet + 60 raw (60 s flush) + errors 60 x (1 - e^-1.2) = 41.928:
	// 162.928 x 730 = 118,937.7.
	// Storage, month 12: data 52,507,440 / 30.41667 days x 400 B x 0.20 = 0.128618 GB/day held
	// since day 0: x 349.792 = 44.990 GB; raw 1,728,000 events/day x 400 x 0.14 = 0.090122
	// GB/day for 14 days = 1.26171 GB; errors 1,728 x (400 x 4/3 + 300) = 1,440,000 B/day =
	// 0.00134110 GB/day x 14 = 0.0187754 GB.
	// KMS: Kinesis 2 x 2,628,000 / 300 = 17,520 requests; S3 1% of 118,937.7 = 1,189.38.
	// Glue: daily: 30.41667 runs x 2 DPU x 1/6 h = 10.13889 DPU-h.
	// Athena: 50 x 30.41667 = 1,520.833 queries x 10 MiB (minimum; 5 asked) / 2^20 = 0.0145038 TB.
	// CloudWatch: 18 alarms: the dataset's 13 + 2 (event-time, raw backup) and the API's 3.
	// Logs: 5,492,520 x 546 +
	// 43,800 x 600 + 52,560 x 300 + 30.41667 x 2,048 = 3,041,026,213 B = 2.832176 GB; kept 7 of
	// 30.41667 days, compressed 0.14: 2.832176 x 0.230137 x 0.14 = 0.0912504 GB-months.
	checkLines(t, devStack(), devWorkload, []wantLine{
		{"POST /v1/events (", 5_256_000.0 / 5_492_520 * 5.49252 * 3.50},
		{"POST /v1/events/batch", 236_520.0 / 5_492_520 * 5.49252 * 3.50},
		{"provisioned shards: 1", 730 * 0.017},
		{"PUT payload units", 52.56 * 0.0154},
		{"ingestion", 250.6256 * 0.031},
		{"format conversion", 250.6256 * 0.020},
		{"dynamic partitioning, data", 52_507_440.0 * 400 / 1_073_741_824 * 0.022},
		{"dynamic partitioning, objects", 44_530.0 / 1000 * 0.0055},
		{"transform calls", 43_800.0 / 1e6 * 0.20},
		{"transform duration", 700.8 * 0.0000133334},
		{"PUT requests", 118_937.7 / 1000 * 0.005},
		{"storage data/", 44.990 * 0.023},
		{"storage raw/", 1.26171 * 0.023},
		{"storage errors/", 0.0187754 * 0.023},
		{"customer managed key", 1.00},
		{"requests from Kinesis", 17_520.0 / 1e4 * 0.03},
		{"requests from S3", 1_189.38 / 1e4 * 0.03},
		{"crawler", 10.13889 * 0.44},
		{"data scanned", 0.0145038 * 5.00},
		{"dataset alarms", 15 * 0.10},
		{"API alarms", 3 * 0.10},
		{"dashboard", 3.00},
		{"logs ingested", 2.832176 * 0.57},
		{"logs stored", 0.0912504 * 0.03},
	})
}

func TestProdByHand(t *testing.T) {
	// 1,500 events/s x 2,628,000 s = 3,942,000,000 events. API: 394,200,000 single + 0.9 x
	// 3.942e9 / 200 = 17,739,000 batch = 411.939 M requests: 333 x $3.50 + 78.939 x $3.19 =
	// 1,165.50 + 251.81541 = $1,417.31541, split by requests.
	// Kinesis: 4 shards x 730 h = 2,920 shard-hours (and as many of extended retention to
	// 168 h); 3,942 M PUT units (362 B < 25 KB); 4 metrics x 4 shards = 16 metric-months.
	// Firehose: 3.942e9 x 5,120 / 2^30 = 18,796.923 GB; partitioned data 3,938,058,000 x 362 /
	// 2^30 = 1,327.669 GB. Flush: 1,500 x 0.999 x 362 = 542,457 B/s fills 128 MiB
	// (134,217,728 B) in 247.424 s < 300: 3,600 / 247.424 + 1 = 15.5499 objects/hour x 730 =
	// 11,351.4.
	// Lambda: 543,000 B/s fills 1 MiB in 1.931078 s: 2,628,000 / 1.931078 = 1,360,897 calls of
	// 1,048,576 B; 52e6 x 1024/1769 = 30,100,622 B/s: 34.8 ms, billed 35: 47,631.4 GB-s.
	// S3 PUTs per hour: 15.5499 + raw 3,600 / 247.178 = 14.5644 + errors 12 x (1 - e^-450) = 12:
	// 42.1143 x 730 = 30,743.4; transitions 14.5644 x 730 = 10,632.0 to GLACIER_IR.
	// Storage, month 12: data 129,470,400 events/day x 362 x 0.2 = 8.729882 GB/day x 349.792 =
	// 3,053.64 GB; raw 129,600,000 x 362 x 0.14 = 6.117065 GB/day: STANDARD 30 days = 183.512
	// GB, GLACIER_IR (349.792 - 30) = 319.792 days = 1,956.19 GB (objects of 247 s x 543,000 x
	// 0.14 = 18.8 MB, above the 128 KB minimum); errors 129,600 x (362 x 4/3 + 300) = 101,433,600
	// B/day = 0.0944677 GB/day: 90 days current = 8.50209 GB and 90 more noncurrent (versioning).
	// KMS: 17,520 Kinesis requests; S3 1% of 30,743.4 = 307.434.
	// Glue: hourly: 730 runs x 2 DPU x 1/6 h = 243.333 DPU-h.
	// Athena: 200 x 30.41667 = 6,083.333 queries x 500 MiB / 2^20 = 2.900759 TB.
	// WAF: a web ACL, 3 own rules + 2 managed groups, 411.939 M requests inspected.
	// CloudWatch: 20 alarms: the dataset's 13 + 3 (silent, event-time, raw backup), the API's 3
	// and the WAF's 1. Logs: 411,939,000 x 546
	// + 1,360,897 x 600 + 3,942,000 x 300 + 730 x 2,048 = 226,919,327,240 B = 211.3351 GB; kept
	// 90 / 30.41667 = 2.958904 months x 0.14 = 87.5448 GB-months.
	checkLines(t, prodStack(), prodWorkload, []wantLine{
		{"POST /v1/events (", 394.2 / 411.939 * 1417.31541},
		{"POST /v1/events/batch", 17.739 / 411.939 * 1417.31541},
		{"web ACL", 5.00},
		{"rules", (3 + 2) * 1.00},
		{"requests inspected", 411.939 * 0.60},
		{"provisioned shards: 4", 2920 * 0.017},
		{"PUT payload units", 3942 * 0.0154},
		{"extended retention", 2920 * 0.023},
		{"enhanced shard-level", 16 * 0.30},
		{"ingestion", 18_796.923 * 0.031},
		{"format conversion", 18_796.923 * 0.020},
		{"dynamic partitioning, data", 1_327.669 * 0.022},
		{"dynamic partitioning, objects", 11_351.4 / 1000 * 0.0055},
		{"transform calls", 1.360897 * 0.20},
		{"transform duration", 47_631.4 * 0.0000133334},
		{"PUT requests", 30_743.4 / 1000 * 0.005},
		{"lifecycle transitions", 10_632.0 / 1000 * 0.02},
		{"storage data/", 3_053.64 * 0.023},
		{"storage raw/ (gzip), STANDARD", 183.512 * 0.023},
		{"storage raw/ (gzip), GLACIER_IR", 1_956.19 * 0.004},
		{"storage errors/, STANDARD", 8.50209 * 0.023},
		{"storage errors/, STANDARD (noncurrent", 8.50209 * 0.023},
		{"customer managed key", 1.00},
		{"requests from Kinesis", 17_520.0 / 1e4 * 0.03},
		{"requests from S3", 307.434 / 1e4 * 0.03},
		{"crawler", 243.333 * 0.44},
		{"data scanned", 2.900759 * 5.00},
		{"dataset alarms", 16 * 0.10},
		{"API and firewall alarms", 4 * 0.10},
		{"dashboard", 3.00},
		{"logs ingested", 211.3351 * 0.57},
		{"logs stored", 87.5448 * 0.03},
	})
}

// checkLines compares the plan's lines, in order, with the hand-computed ones (within half a
// cent, or 0.05 % of large amounts), and the total with their sum.
func checkLines(t *testing.T, s Stack, w Workload, want []wantLine) *Plan {
	t.Helper()
	pl := newPlan(t, s, w)
	var got []Line
	for _, l := range pl.Lines {
		if l.USD != 0 || l.Quantity != 0 {
			got = append(got, l)
		}
	}
	sum := 0.0
	for i, wl := range want {
		sum += wl.usd
		if i >= len(got) {
			t.Errorf("line %d %q: missing", i, wl.item)
			continue
		}
		if !strings.HasPrefix(got[i].Item, wl.item) || !near(got[i].USD, wl.usd) {
			t.Errorf("line %d: %s %q $%.6f, want %q $%.6f", i, got[i].Service, got[i].Item, got[i].USD, wl.item, wl.usd)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d", len(got), len(want))
	}
	if !near(pl.TotalUSD, sum) {
		t.Errorf("total $%.4f, want $%.4f", pl.TotalUSD, sum)
	}
	return pl
}

func near(got, want float64) bool { return math.Abs(got-want) <= math.Max(0.005, 5e-4*math.Abs(want)) }

func newPlan(t *testing.T, s Stack, w Workload) *Plan {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	pl, err := planOf(s, w, p)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func TestFreshnessByHand(t *testing.T) {
	dev, prod := newPlan(t, devStack(), devWorkload), newPlan(t, prodStack(), prodWorkload)
	tests := []struct {
		name      string
		got, want time.Duration
	}{
		// Worst: processor + Firehose intervals; the catalog adds the crawler's longest gap.
		{"dev worst Athena", dev.Freshness.Worst.Athena, 2 * time.Minute},
		{"dev worst catalog", dev.Freshness.Worst.Catalog, 24*time.Hour + 2*time.Minute},
		{"prod worst Athena", prod.Freshness.Worst.Athena, 6 * time.Minute},
		{"prod worst catalog", prod.Freshness.Worst.Catalog, time.Hour + 6*time.Minute},
		// Typical: half of each flush interval plus the call: dev (60 + 60)/2 + 0.064 s.
		{"dev typical Athena", dev.Freshness.TypicalAthena, 60064 * time.Millisecond},
		// ... plus the wait for a daily crawl: (1/6 + (24^2-1)/2 - 23/2) / 24 h = 11.506944 h.
		{"dev typical catalog", dev.Freshness.TypicalCatalog, 60064*time.Millisecond + 41425*time.Second},
		// prod (1.931078 + 247.424)/2 + 0.035 s = 124.7125 s; hourly crawl: 1/6 h = 600 s.
		{"prod typical Athena", prod.Freshness.TypicalAthena, 124712 * time.Millisecond},
		{"prod typical catalog", prod.Freshness.TypicalCatalog, 724712 * time.Millisecond},
	}
	for _, tt := range tests {
		if d := tt.got - tt.want; d < -time.Second || d > time.Second {
			t.Errorf("%s: %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestDriverByHand(t *testing.T) {
	for _, tt := range []struct {
		name            string
		s               Stack
		w               Workload
		apiNow, apiThen float64
	}{
		// dev with 99% in batches: 525,600 + 0.99 x 52,560,000 / 200 = 260,172 → 0.785772 M x $3.50.
		{"dev", devStack(), devWorkload, 19.22382, 0.785772 * 3.50},
		// prod: 39,420,000 + 0.99 x 3.942e9 / 200 = 19,512,900 → 58.9329 M x $3.50.
		{"prod", prodStack(), prodWorkload, 1417.31541, 58.9329 * 3.50},
	} {
		pl := newPlan(t, tt.s, tt.w)
		d := pl.Driver
		if d.Service != SvcAPI || d.BestIndex < 0 {
			t.Fatalf("%s: driver %s, best %d", tt.name, d.Service, d.BestIndex)
		}
		best := d.Alternatives[d.BestIndex]
		if !strings.HasPrefix(best.Change, "--batch-share 0.99") || !near(best.ServiceSaving, tt.apiNow-tt.apiThen) {
			t.Errorf("%s: best %q saves $%.4f on the API, want --batch-share 0.99 saving $%.4f", tt.name, best.Change, best.ServiceSaving, tt.apiNow-tt.apiThen)
		}
	}
}

func TestKinesisOtherModeByHand(t *testing.T) {
	// prod on-demand: 730 stream-hours x $0.044 = 32.12; in 3.942e9 records x 1,024 B / 2^30 =
	// 3,759.3842 GB x $0.088 = 330.8258; out 3.942e9 x 362 / 2^30 = 1,328.9983 GB x $0.044 =
	// 58.4759; 24..168 h held: 543,000 B/s x 3,600 x 144 / 2^30 = 262.1531 GB-months x $0.11 =
	// 28.8368; shard-level metrics on shardplan's 5 shards: 4 x 5 x $0.30 = 6.00.
	pl := newPlan(t, prodStack(), prodWorkload)
	want := 32.12 + 330.8258 + 58.4759 + 28.8368 + 6.00
	if o := pl.KinesisOther; o.Mode != "ON_DEMAND" || !near(o.USD, want) {
		t.Errorf("other mode %+v, want ON_DEMAND $%.4f", o, want)
	}
	// dev on-demand the other way round: PROVISIONED with shardplan's 1 shard.
	dev := devStack()
	dev.StreamMode, dev.ShardCount = "ON_DEMAND", 0
	pl = newPlan(t, dev, devWorkload)
	if o := pl.KinesisOther; o.Mode != "PROVISIONED" || o.Shards != 1 || !near(o.USD, 730*0.017+52.56*0.0154) {
		t.Errorf("dev on-demand: other mode %+v", o)
	}
}

// planOf computes the plan of workload w on stack s, whose only dataset s is, at prices p.
func planOf(s Stack, w Workload, p *Prices) (*Plan, error) { return build(s, w, scope{}, p) }
