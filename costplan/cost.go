package costplan

import (
	"fmt"
	"math"

	"github.com/streamlake/streamlake/shardplan"
)

// coster turns the month's Flow into priced lines: the dataset's own and the stack's shared.
type coster struct {
	p     *Prices
	s     Stack
	w     Workload
	f     Flow
	sc    scope
	lines []Line
	err   error
}

func (c *coster) add(svc, item string, qty float64, unit, id string, usd float64, note string) {
	c.lines = append(c.lines, Line{Service: svc, Item: item, Quantity: qty, Unit: unit, PriceID: id, USD: usd, Note: note})
}

// priced adds a line whose cost is qty of the price's unit (per = units per priced unit,
// e.g. 1e6 for a per-million price).
func (c *coster) priced(svc, item string, qty float64, unit, id string, per float64, note string) {
	c.add(svc, item, qty, unit, id, c.p.Cost(id, qty/per), note)
}

// once adds a line of the stack's, shared by every dataset and counted once: qty units at
// the price's unit.
func (c *coster) once(svc, item string, qty float64, unit, id, note string) {
	c.priced(svc, item, qty, unit, id, 1, note)
	c.lines[len(c.lines)-1].Shared = true
}

// api: REST requests of both routes, priced together through the tiers. The tiers count
// every REST API of the account in the region; the plan assumes this API is the only one,
// so it starts at the first (dearest) tier: an upper bound when others share the account.
// With other datasets' requests known (a stack plan), the tiers count them too and the
// dataset pays its share.
func (c *coster) api() {
	single, batch := c.f.SingleRequests, c.f.BatchRequests
	mine := single + batch
	total := c.p.Cost(APIRequests, mine/1e6)
	note := "tiered over both routes, from the first tier (this API taken as the account's only REST API in the region)"
	switch all := mine + c.sc.otherRequests; {
	case c.sc.otherRequests > 0:
		total = c.p.Cost(APIRequests, all/1e6) * mine / all
		note = fmt.Sprintf("this dataset's share of every dataset's %s requests, tiered from the first tier (this API taken as the account's only REST API in the region)", count(all))
	case c.sc.others > 0:
		note = "tiered over both routes from the first tier, as if the stack's other datasets sent nothing (--dataset all counts them together)"
	}
	share := 0.0
	if mine > 0 {
		share = single / mine
	}
	c.add(SvcAPI, "POST /v1/events (one event per request)", single, "requests", APIRequests, total*share, note)
	c.add(SvcAPI, fmt.Sprintf("POST /v1/events/batch (%d events per request)", c.w.BatchSize), batch, "requests", APIRequests, total*(1-share), note)
}

// WAFCustomRules are the web ACL's own rules: the rate limit per address and the two body
// limits (components.WAFRules; tests/plan_test.go compares).
const WAFCustomRules = 3

// waf: the web ACL, its rules and every request it inspects.
func (c *coster) waf() {
	if !c.s.WAF {
		return
	}
	c.once(SvcWAF, "web ACL on the stage", 1, "web ACLs", WAFWebACLMonth, "")
	rules := WAFCustomRules + c.s.WAFManagedRules
	c.once(SvcWAF, "rules", float64(rules), "rules", WAFRuleMonth, fmt.Sprintf("%d own + %d managed rule groups", WAFCustomRules, c.s.WAFManagedRules))
	c.priced(SvcWAF, "requests inspected", c.f.SingleRequests+c.f.BatchRequests, "requests", WAFRequests, 1e6, "")
}

func (c *coster) kinesis() {
	sp := c.p.Kinesis()
	shards := c.s.ShardCount
	if !c.s.provisioned() {
		shards = c.f.RecommendedShards
	}
	k, err := shardplan.MonthlyCost(shards, c.w.AvgEPS, c.w.EventBytes, 1, sp)
	if err != nil {
		c.err = err
		return
	}
	if c.s.provisioned() {
		c.add(SvcKinesis, fmt.Sprintf("provisioned shards: %d", shards), k.ShardHours, "shard-hours", ShardHour, k.ShardCost, "")
		c.add(SvcKinesis, "PUT payload units (25 KB each, per record)", k.PutUnits, "units", PutPayloadUnits, k.PutUnitCost, "")
	} else {
		c.add(SvcKinesis, "on-demand stream", HoursPerMonth, "stream-hours", OnDemandStreamHour, k.StreamHourCost, "")
		c.add(SvcKinesis, "on-demand data in (records rounded up to 1 KB)", k.WriteGB, "GB", OnDemandDataInGB, k.WriteCost, "")
		c.add(SvcKinesis, "on-demand data out (Firehose reads every record)", k.ReadGB, "GB", OnDemandDataOutGB, k.ReadCost, "")
	}
	c.retention(shards)
	metrics := float64(c.s.ShardLevelMetrics * shards)
	note := "one CloudWatch metric per shard and enabled metric"
	if !c.s.provisioned() {
		note += fmt.Sprintf("; on-demand shards counted as shardplan's %d for the peak", shards)
	}
	c.priced(SvcKinesis, "enhanced shard-level metrics", metrics, "metric-months", MetricMonth, 1, note)
}

// retention prices hours kept beyond the 24 included: up to 7 days per shard-hour
// (provisioned) or per GB-month (on-demand), beyond 7 days per GB-month in both modes.
func (c *coster) retention(shards int) {
	hours := float64(c.s.RetentionHours)
	if hours <= 24 {
		return
	}
	gbPerHour := c.f.BytesPerSecond * 3600 / GiB
	if c.s.provisioned() {
		c.priced(SvcKinesis, fmt.Sprintf("extended retention to %d h", c.s.RetentionHours), float64(shards)*HoursPerMonth, "shard-hours", ExtendedRetentionShardH, 1, "")
	} else {
		stored := gbPerHour * (math.Min(hours, 168) - 24)
		c.priced(SvcKinesis, fmt.Sprintf("extended retention to %d h", c.s.RetentionHours), stored, "GB-months", OnDemandExtendedRetention, 1, "data held between 24 h and 7 days")
	}
	if hours > 168 {
		c.priced(SvcKinesis, "long-term retention beyond 7 days", gbPerHour*(hours-168), "GB-months", LongTermRetentionGBMonth, 1, "")
	}
}

// firehose: ingestion and format conversion bill every record as a multiple of 5 KB;
// dynamic partitioning bills the data delivered and each object.
func (c *coster) firehose() {
	billed := c.f.Events * firehoseBilledBytes(c.w.EventBytes) / GiB
	note := fmt.Sprintf("each record billed as %.0f KB (%.1fx its %g B)", firehoseBilledBytes(c.w.EventBytes)/1024, firehoseBilledBytes(c.w.EventBytes)/c.w.EventBytes, c.w.EventBytes)
	c.priced(SvcFirehose, "ingestion from the stream", billed, "GB", FirehoseIngestionGB, 1, note)
	c.priced(SvcFirehose, "format conversion to Parquet", billed, "GB", FirehoseConversionGB, 1, note)
	if !c.s.EventTimePartitioning {
		return
	}
	delivered := (c.f.Events - c.f.RejectedEvents) * c.w.EventBytes / GiB
	c.priced(SvcFirehose, "dynamic partitioning, data", delivered, "GB", FirehosePartitioningGB, 1, "the transform's JSON, taken as large as the event")
	c.priced(SvcFirehose, "dynamic partitioning, objects", c.f.DataObjectsPerHour*HoursPerMonth, "objects", FirehosePartitionObjects, 1000,
		fmt.Sprintf("%.1f objects per partition-hour", c.f.DataObjectsPerHour))
}

func (c *coster) lambda() {
	c.priced(SvcLambda, "transform calls", c.f.LambdaCalls, "requests", LambdaRequests, 1e6,
		fmt.Sprintf("one call every %.1f s (processor buffer %g MiB / %d s)", c.f.ProcessorIntervalSeconds, c.s.ProcessorBufferMiB, c.s.ProcessorBufferSeconds))
	gbs := c.f.LambdaCalls * c.f.LambdaMillisPerCall / 1000 * float64(c.s.LambdaMemoryMiB) / 1024
	c.priced(SvcLambda, fmt.Sprintf("transform duration at %d MB", c.s.LambdaMemoryMiB), gbs, "GB-seconds", LambdaGBSecond, 1,
		fmt.Sprintf("%.0f ms per call: %g MB/s per vCPU (conservative: BenchmarkInvoke/max on a busy machine; quieter runs 99-138) x min(1, %d/%d) vCPU", c.f.LambdaMillisPerCall, float64(TransformMBPerSecond), c.s.LambdaMemoryMiB, LambdaVCPUMemoryMiB))
}
