package costplan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/streamlake/streamlake/awsrules"
)

// Alternative is one change to the stack or to the producers, priced.
type Alternative struct {
	// Kind is "config" (a key in Pulumi.<stack>.yaml) or "producer" (how clients send).
	Kind   string `json:"kind"`
	Change string `json:"change"`
	// TotalUSD is the month with the change; Saving is the plan's total minus it, and
	// ServiceSaving the part of the saving in the biggest service.
	TotalUSD      float64 `json:"total_usd"`
	SavingUSD     float64 `json:"saving_usd"`
	ServiceSaving float64 `json:"driver_saving_usd"`
	// WorstAthena is the worst-case arrival-to-queryable time in Athena with the change.
	WorstAthena time.Duration `json:"-"`
	// Tradeoff is what the change gives up.
	Tradeoff string `json:"tradeoff"`
}

// Driver is the biggest cost and the change that cuts it most.
type Driver struct {
	Service string
	USD     float64
	Share   float64
	// BestIndex is the alternative that cuts the biggest service most; -1 when none does.
	BestIndex int
	// Alternatives are every candidate that saves something, largest total saving first.
	Alternatives []Alternative
}

// candidate proposes a change when it applies to the stack and workload.
type candidate func(s Stack, w Workload) (Stack, Workload, Alternative, bool)

func candidates() []candidate {
	return []candidate{
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := w.BatchShare < 0.99
			w.BatchShare = 0.99
			return s, w, Alternative{Kind: "producer", Change: "--batch-share 0.99: send 99% of events through /v1/events/batch", Tradeoff: "clients wait to fill a batch"}, ok
		},
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := w.BatchShare > 0 && w.BatchSize < MaxBatchRecords && MaxBatchRecords*w.EventBytes <= MaxPutRecordsBytes
			w.BatchSize = MaxBatchRecords
			return s, w, Alternative{Kind: "producer", Change: fmt.Sprintf("--batch-size %d: full batches", MaxBatchRecords), Tradeoff: "clients wait to fill a batch"}, ok
		},
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			if s.provisioned() {
				s.StreamMode, s.ShardCount = awsrules.OnDemand, 0
				return s, w, Alternative{Kind: "config", Change: "streamMode ON_DEMAND", Tradeoff: "throttles above twice the previous peak"}, true
			}
			return provisionedAlt(s, w)
		},
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := s.provisioned() && s.ShardCount > 0
			s, w, a, _ := provisionedAlt(s, w)
			return s, w, a, ok
		},
		bufferAlt, processorAlt,
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := s.RetentionHours > 24
			s.RetentionHours = 24
			return s, w, Alternative{Kind: "config", Change: "retentionHours 24", Tradeoff: "the lake may fall behind only a day before records are lost"}, ok
		},
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := s.ShardLevelMetrics > 0
			s.ShardLevelMetrics = 0
			return s, w, Alternative{Kind: "config", Change: "shardLevelMetrics []", Tradeoff: "no per-shard view of hot shards"}, ok
		},
		dailyCrawlAlt, projectionOnlyAlt,
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := s.RawBackup
			s.RawBackup = false
			return s, w, Alternative{Kind: "config", Change: "rawBackup false", Tradeoff: "no raw copy to replay from after a transform bug"}, ok
		},
		func(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
			ok := s.EventTimePartitioning
			s.EventTimePartitioning = false
			return s, w, Alternative{Kind: "config", Change: "partitioning arrival-time", Tradeoff: "late events land in the hour they arrived, not the hour they happened"}, ok
		},
	}
}

// provisionedAlt sizes the stream as `streamlake shards` recommends; it applies when that
// differs from the stack.
func provisionedAlt(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
	f, err := newFlow(w, s)
	if err != nil || (s.provisioned() && s.ShardCount == f.RecommendedShards) {
		return s, w, Alternative{}, false
	}
	s.StreamMode, s.ShardCount = awsrules.Provisioned, f.RecommendedShards
	return s, w, Alternative{Kind: "config", Change: fmt.Sprintf("streamMode PROVISIONED, shardCount %d (`streamlake shards` for the peak)", f.RecommendedShards),
		Tradeoff: "resize by hand as traffic grows"}, true
}

func bufferAlt(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
	ok := s.FirehoseBufferSeconds < awsrules.MaxBufferSeconds || s.FirehoseBufferMiB < awsrules.MaxBufferMiB
	s.FirehoseBufferSeconds, s.FirehoseBufferMiB = awsrules.MaxBufferSeconds, awsrules.MaxBufferMiB
	return s, w, Alternative{Kind: "config", Change: fmt.Sprintf("firehoseBufferSeconds %d, firehoseBufferMb %d", awsrules.MaxBufferSeconds, awsrules.MaxBufferMiB),
		Tradeoff: "data waits longer before it is queryable"}, ok
}

func processorAlt(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
	ok := s.ProcessorBufferSeconds < awsrules.MaxProcessorBufferSeconds
	s.ProcessorBufferSeconds = awsrules.MaxProcessorBufferSeconds
	return s, w, Alternative{Kind: "config", Change: fmt.Sprintf("processorBufferSeconds %d", awsrules.MaxProcessorBufferSeconds),
		Tradeoff: "data waits longer before it is queryable"}, ok
}

// dailyCrawlAlt crawls once a day, the default where projection serves Athena.
func dailyCrawlAlt(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
	const daily = "cron(15 0 * * ? *)"
	ok := s.Crawler() && s.CrawlerSchedule != daily
	s.CrawlerSchedule = daily
	tradeoff := "engines that read the catalog see a new hour up to a day later"
	if !s.Projection {
		tradeoff = "Athena too sees a new hour up to a day later"
	}
	return s, w, Alternative{Kind: "config", Change: "crawlerSchedule " + daily, Tradeoff: tradeoff}, ok
}

// projectionOnlyAlt drops the crawler where projection serves Athena.
func projectionOnlyAlt(s Stack, w Workload) (Stack, Workload, Alternative, bool) {
	ok := s.Crawler() && s.Projection
	s.CrawlerSchedule, s.Discovery = "", "projection"
	return s, w, Alternative{Kind: "config", Change: "partitionDiscovery projection (no crawler)", Tradeoff: "Spark and Redshift Spectrum do not see new hours"}, ok
}

// findDriver prices every applicable candidate and picks the one that cuts the biggest
// service most.
func findDriver(pl *Plan, p *Prices) (Driver, error) {
	big := pl.Biggest()
	d := Driver{Service: big.Service, USD: big.USD, Share: big.Share, Alternatives: []Alternative{}, BestIndex: -1}
	for _, c := range candidates() {
		s, w, alt, ok := c(pl.Stack, pl.Workload)
		if !ok {
			continue
		}
		other, err := compute(s, w, pl.sc, p)
		if err != nil {
			return Driver{}, fmt.Errorf("alternative %q: %w", alt.Change, err)
		}
		if alt.Kind == "config" && pl.sc.others > 0 {
			alt.Change = "datasets." + pl.Stack.Dataset + ": " + alt.Change // the dataset's own key
		}
		alt.TotalUSD, alt.SavingUSD = other.TotalUSD, pl.TotalUSD-other.TotalUSD
		alt.ServiceSaving = big.USD - other.ServiceUSD(big.Service)
		alt.WorstAthena = other.Freshness.Worst.Athena
		if alt.SavingUSD > 0.005 {
			d.Alternatives = append(d.Alternatives, alt)
		}
	}
	slices.SortStableFunc(d.Alternatives, func(a, b Alternative) int { return cmp.Compare(b.SavingUSD, a.SavingUSD) })
	for i, a := range d.Alternatives {
		if a.ServiceSaving > 0.005 && (d.BestIndex < 0 || a.ServiceSaving > d.Alternatives[d.BestIndex].ServiceSaving) {
			d.BestIndex = i
		}
	}
	return d, nil
}
