package costplan

import (
	"fmt"
	"math"
	"time"

	"github.com/streamlake/streamlake/awsrules"
)

// Freshness is how long an event takes from arrival in the stream to being queryable: the
// worst case (awsrules.WorstCaseFreshness) and the typical (average) one, for Athena and for
// engines that read the catalog's partitions. The crawl's own run time C comes on top
// wherever a crawl is waited for.
type Freshness struct {
	Discovery string
	// Worst: awsrules' bound; Catalog 0 without a crawler (those engines never see new hours).
	Worst awsrules.Freshness
	// TypicalDelivery is the average wait in the two buffers: half of each flush interval at
	// the average rate, plus the transform call.
	TypicalDelivery time.Duration
	// TypicalAthena and TypicalCatalog add, where the catalog decides, the average wait for
	// the crawl that registers the hour (RegistrationWait).
	TypicalAthena, TypicalCatalog time.Duration
	// AthenaWaitsForCrawl: without projection Athena's figures exclude the crawl time C.
	AthenaWaitsForCrawl bool
}

func freshness(s Stack, f Flow) (Freshness, error) {
	worst, err := awsrules.WorstCaseFreshness(awsrules.FreshnessConfig{
		ProcessorBufferSeconds: s.ProcessorBufferSeconds, BufferSeconds: s.FirehoseBufferSeconds,
		Projection: s.Projection, CrawlerSchedule: s.CrawlerSchedule,
	})
	if err != nil {
		return Freshness{}, err
	}
	typ := seconds((f.ProcessorIntervalSeconds+f.FlushSeconds)/2 + f.LambdaMillisPerCall/1000)
	fr := Freshness{Discovery: s.Discovery, Worst: worst, TypicalDelivery: typ, TypicalAthena: typ, AthenaWaitsForCrawl: !s.Projection}
	if s.Crawler() {
		meanGap := seconds(DaysPerMonth * 86400 / f.CrawlerRunsPerMonth)
		fr.TypicalCatalog = typ + RegistrationWait(meanGap)
		if !s.Projection {
			fr.TypicalAthena = fr.TypicalCatalog
		}
	}
	return fr, nil
}

// RegistrationWait is the average time an event waits, after its object lands, for the crawl
// that registers its hour, with crawls every gap at a phase unrelated to the hour. An hour's
// events land over one hour; its partition is registered by the first crawl after the hour
// starts, at a phase p uniform in [0, gap); events that land before it wait for it, later
// ones do not. In hours, with g = gap:
//
//	g <= 1: E[p^2/2] = g^2/6
//	g >= 1: (1/g) x (integral_0^1 p^2/2 dp + integral_1^g (p - 1/2) dp) = (1/6 + (g^2-1)/2 - (g-1)/2) / g
//
// (1 h: 10 min; 24 h: 11.5 h.)
func RegistrationWait(gap time.Duration) time.Duration {
	g := gap.Hours()
	if g <= 1 {
		return hours(g * g / 6)
	}
	return hours((1.0/6 + (g*g-1)/2 - (g-1)/2) / g)
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }
func hours(h float64) time.Duration   { return seconds(h * 3600) }

// Files is what the lake's objects look like: the small-files picture.
type Files struct {
	// PerPartitionHour Parquet objects of ObjectMiB each (the hour's own partition).
	PerPartitionHour float64
	ObjectMiB        float64
	// DayQueryFiles is how many Parquet files a query over one day opens.
	DayQueryFiles float64
	// ActivePartitions at once (event-time: the current hour and, at its turn, the last).
	ActivePartitions          int
	RawPerHour, ErrorsPerHour float64
}

func files(s Stack, f Flow) Files {
	return Files{
		PerPartitionHour: f.DataObjectsPerHour, ObjectMiB: f.DataObjectBytes / MiB, DayQueryFiles: 24 * f.DataObjectsPerHour,
		ActivePartitions: f.ActivePartitions, RawPerHour: f.RawObjectsPerHour, ErrorsPerHour: f.ErrorObjectsPerHour,
	}
}

// warn adds what an operator should know before using the numbers.
func (pl *Plan) warn(p *Prices) {
	s, w, f := pl.Stack, pl.Workload, pl.Flow
	add := func(format string, a ...any) { pl.Warnings = append(pl.Warnings, fmt.Sprintf(format, a...)) }
	// The API's limits and the region are the stack's: a stack plan checks them once, for
	// every dataset's requests; one dataset's plan of several says it counts its own alone.
	stackWide := func(format string, a ...any) {
		switch {
		case pl.sc.inStack:
		case pl.sc.others > 0:
			add(format+" (this dataset's requests alone: the stack's other datasets share the API; --dataset all adds them up)", a...)
		default:
			add(format, a...)
		}
	}
	if p.Region != s.Region && !pl.sc.inStack {
		add("prices are %s's and stack %s is in %s: pass --prices with %s's table", p.Region, s.Name, s.Region, s.Region)
	}
	if f.DataObjectBytes < AthenaGoodFileBytes && pl.Files.DayQueryFiles > AthenaDayFiles {
		add("many small files: %.0f Parquet files per partition-hour of %.2f MiB (AWS advises 128 MB or more): a query over one day opens %s files, and Athena pays a request and a read per file. Raise firehoseBufferSeconds (at most 900) or firehoseBufferMb",
			pl.Files.PerPartitionHour, pl.Files.ObjectMiB, count(math.Round(pl.Files.DayQueryFiles)))
	}
	if req, st := pl.s3Split(); req > st {
		add("S3 requests cost more than storage ($%.2f vs $%.2f a month): objects are small; larger buffers write fewer", req, st)
	}
	apiLimits(s, f.PeakRequestsPerSecond, f.SingleRequests+f.BatchRequests, stackWide)
	if s.provisioned() && s.ShardCount < f.RecommendedShards {
		add("shardCount %d leaves less than 25%% headroom at %g events/s peak: `streamlake shards` recommends %d", s.ShardCount, w.PeakEPS, f.RecommendedShards)
	}
	if r := firehoseBilledBytes(w.EventBytes) / w.EventBytes; r >= 2 {
		add("Firehose bills every record as a multiple of 5 KB: your %g B events are billed %.1fx their size (ingestion and format conversion); only fewer, larger records (several events per record) would cut it, which the transform does not accept today", w.EventBytes, r)
	}
	if w.ScanMiB > float64(s.BytesScannedCutoffMiB) {
		add("--scan-mb %g is above bytesScannedCutoffMb %d: the workgroup cancels such queries (billed up to the cutoff)", w.ScanMiB, s.BytesScannedCutoffMiB)
	}
	if pl.Warnings == nil {
		pl.Warnings = []string{}
	}
}

// apiLimits warns when requests (a month) at a peak (per second) reach the API's rate limit
// or its key's daily quota.
func apiLimits(s Stack, peak, requests float64, add func(string, ...any)) {
	if peak > s.APIRateLimit {
		add("peak %.0f requests/s is above apiRateLimit %g: producers will get 429 at the peak; raise apiRateLimit (and apiBurstLimit) or batch more", peak, s.APIRateLimit)
	}
	if perDay := requests / DaysPerMonth; s.APIQuotaPerDay > 0 && perDay > 0.8*float64(s.APIQuotaPerDay) {
		add("%s requests a day on average is %.0f%% of apiQuotaPerDay %d: the key is refused (429) once it is used up", count(math.Round(perDay)), 100*perDay/float64(s.APIQuotaPerDay), s.APIQuotaPerDay)
	}
}

// s3Split returns S3's request and storage costs.
func (pl *Plan) s3Split() (requests, storage float64) {
	for _, l := range pl.Lines {
		switch {
		case l.Service != SvcS3:
		case l.Unit == "requests":
			requests += l.USD
		default:
			storage += l.USD
		}
	}
	return requests, storage
}
