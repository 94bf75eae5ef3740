package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/shardplan"
	"github.com/streamlake/streamlake/stackfile"
)

const shardsDescription = `
Sizing (--peak-eps N, or --from-metrics): recommends a provisioned shard count for a peak rate:
each shard takes 1 MiB/s and 1000 records/s in, and serves 2 MiB/s out shared by all standard
consumers (streamlake's Firehose is one; enhanced fan-out consumers have their own and are not
counted). Prints the limits used, which one decides, the monthly cost (shard-hours and PUT
payload units) next to a rough on-demand estimate, whether the API's rate limit (apiRateLimit
of the stack file) can carry the peak, and the resharding path. Prices come from the table
streamlake plan uses (the embedded eu-west-1 costplan/prices.json, or --prices FILE with
another region's); a price flag overrides one price, and a stack (or --region) in another
region than the table's is warned about.

--from-metrics reads the peak from CloudWatch instead: the busiest minute of the stack's stream
in --window (IncomingRecords and IncomingBytes, statistic Sum per 60 s period, divided by 60).

Resharding (--to N --stack S): prints the path of shardCount changes from the current count that
AWS accepts (each at most double and at least half the open shards; at most 10 UpdateShardCount
calls per rolling 24 h per stream) and the exact edit of the next step: one pull request that
changes streamlake:shardCount in Pulumi.<stack>.yaml, previewed and deployed by CI. With
--write it makes that one edit (the value and its capacity comment; nothing else changes).

The current count: --current if given; else the live stream's open shards when the stack's
outputs can be read (AWS steps from them, and preview checks against them); else the stack
file's shardCount. When the stack file and the live stream disagree, a change is merged but not
deployed (or was made outside the repository): the output says so and --write refuses. --write
also refuses the stack file's count alone (the live stream not read): a step merged but not
deployed would look current, and a second run would write the step after it; pass --current N
with the stream's open shards where the outputs cannot be read.

Examples:
  streamlake shards --peak-eps 4000
  streamlake shards --peak-eps 4000 --avg-eps 1500 --event-bytes 700 --consumers 2 --current 2
  streamlake shards --from-metrics --stack prod --window 14d
  streamlake shards --to 9 --stack prod --write`

type shardsFlags struct {
	peak, avg   float64
	eventBytes  float64
	consumers   int
	headroom    float64
	current, to int
	write       bool
	fromMetrics bool
	window      time.Duration
	batchSize   int
	// pricesFile is --prices; prices are the price flags given, over the table's once
	// runShards read it (table).
	pricesFile    string
	prices        shardplan.Prices
	table         *costplan.Prices
	aws           awsFlags
	stack, output string
	json          bool
	dataset       datasetFlag
	// ds is the chosen dataset (runShards), whose stream, stack-file settings and events
	// are planned.
	ds schema.Dataset
}

// stackOutputs are the stack's outputs, read for the chosen dataset.
func (f *shardsFlags) stackOutputs(e *env) *stackOutputs {
	so := newStackOutputs(e, f.stack, f.output)
	so.dataset = f.ds.Name
	return so
}

// Ranges of shards' numeric flags.
const (
	maxEPS       = 10_000_000
	maxConsumers = 100
	maxPrice     = 1000
	day          = 24 * time.Hour
)

func shardsFlagSet(e *env) (*flags, *shardsFlags) {
	var f shardsFlags
	fs := newFlags("shards", "--peak-eps N | --from-metrics | --to N [flags]", shardsDescription)
	fs.floatVar(&f.peak, "peak-eps", 0, 0, maxEPS, true, "peak events (records) per second, `n`, the stream must take")
	fs.floatVar(&f.avg, "avg-eps", 0, 0, maxEPS, false, "average events per second over a month, `n`, for the cost, at most the peak (default: the peak, an upper bound)")
	fs.floatVar(&f.eventBytes, "event-bytes", 0, 1, awsrules.MaxRecordBytes, false, "average record size in `bytes` incl. partition key (default: measured from generated schema events)")
	fs.intVar(&f.consumers, "consumers", 1, 0, maxConsumers, "`n` standard consumers reading every record (Firehose is one)")
	fs.floatVar(&f.headroom, "headroom", 25, 0, 1000, false, "spare capacity above the peak, in `percent`")
	fs.intVar(&f.current, "current", 0, 1, awsrules.MaxShards, "current open shard `count` (default: the live stream's, else the stack file's)")
	fs.intVar(&f.to, "to", 0, 1, awsrules.MaxShards, "plan the pull requests from the current count to `n` shards")
	fs.BoolVar(&f.write, "write", false, "with --to: change shardCount in Pulumi.<stack>.yaml for the next step only")
	fs.BoolVar(&f.fromMetrics, "from-metrics", false, "read the peak from the stack's stream metrics in CloudWatch instead of --peak-eps")
	fs.durationVar(&f.window, "window", 14*day, time.Hour, 15*day, "with --from-metrics: how far back to look, a `duration` (14d, 36h); CloudWatch keeps 1-minute data 15 days")
	fs.intVar(&f.batchSize, "batch-size", producer.APIBatchLimits.MaxRecords, 1, producer.APIBatchLimits.MaxRecords, "events per request on the API's batch route, `n`, for the rate-limit check")
	fs.StringVar(&f.pricesFile, "prices", "", "price table `file` in costplan/prices.json's format, as for plan (default: the embedded eu-west-1 table)")
	for _, p := range priceFlags(&f.prices) {
		fs.floatVar(p.price, p.name, 0, 0, maxPrice, false, p.usage+" (default: the price table's)")
	}
	f.aws.register(fs)
	fs.StringVar(&f.stack, "stack", "", "Pulumi `stack`: its stack file (and, if its outputs can be read, its live stream) gives the current count")
	fs.StringVar(&f.output, "outputs", "", "read stack outputs from `file` instead of running pulumi")
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON")
	f.dataset.register(fs)
	return fs, &f
}

// priceFlag is a flag that overrides one price of the table.
type priceFlag struct {
	name, usage string
	price       *float64
	id          string // the table's row
}

func priceFlags(p *shardplan.Prices) []priceFlag {
	return []priceFlag{
		{"shard-hour-price", "`USD` per shard-hour", &p.ShardHour, costplan.ShardHour},
		{"put-unit-price", "`USD` per million 25 KB PUT payload units", &p.PutUnitsPerMillion, costplan.PutPayloadUnits},
		{"ondemand-stream-hour-price", "on-demand: `USD` per stream-hour", &p.OnDemandStreamHour, costplan.OnDemandStreamHour},
		{"ondemand-write-gb-price", "on-demand: `USD` per GB written, records rounded up to 1 KB", &p.OnDemandWriteGB, costplan.OnDemandDataInGB},
		{"ondemand-read-gb-price", "on-demand: `USD` per GB read by standard consumers", &p.OnDemandReadGB, costplan.OnDemandDataOutGB},
	}
}

// readPrices reads the price table (--prices, else the embedded one) and puts its Kinesis
// prices under the price flags that were not given.
func (f *shardsFlags) readPrices(fs *flags) error {
	table, err := readPrices(f.pricesFile)
	if err != nil {
		return err
	}
	f.table = table
	for _, p := range priceFlags(&f.prices) {
		if !fs.set(p.name) {
			*p.price = table.Unit(p.id)
		}
	}
	return nil
}

// check refuses flag combinations that cannot mean anything.
func (f *shardsFlags) check(fs *flags) error {
	sizing := fs.set("peak-eps") || f.fromMetrics
	switch {
	case f.to > 0 && sizing:
		return usagef("--to plans the pull requests to a count you chose; it cannot be combined with --peak-eps or --from-metrics (size first, then run --to with the recommendation)")
	case f.write && f.to == 0:
		return usagef("--write changes the stack file for one step of a --to plan: give --to N")
	case f.to > 0 && f.stack == "":
		return usagef("--to needs --stack S: the step is an edit of Pulumi.<S>.yaml")
	case f.fromMetrics && (fs.set("peak-eps") || fs.set("avg-eps") || fs.set("event-bytes")):
		return usagef("--from-metrics measures the peak, the average and the record size: drop --peak-eps, --avg-eps and --event-bytes")
	case f.fromMetrics && f.stack == "" && f.output == "":
		return usagef("--from-metrics needs --stack S (or --outputs FILE) to find the stream")
	case f.to == 0 && !sizing:
		return usagef("--peak-eps is required (or --from-metrics, or --to N to plan a resharding)")
	case fs.set("avg-eps") && f.avg > f.peak:
		return usagef("--avg-eps %g is above --peak-eps %g: the average cannot exceed the peak", f.avg, f.peak)
	case fs.set("window") && !f.fromMetrics:
		return usagef("--window is for --from-metrics")
	}
	return nil
}

func runShards(ctx context.Context, e *env, args []string) int {
	fs, f := shardsFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	if err := f.check(fs); err != nil {
		return fail(e, "shards", err)
	}
	if err := f.readPrices(fs); err != nil {
		return fail(e, "shards", err)
	}
	ds, err := f.dataset.choose(ctx, newStackOutputs(e, f.stack, f.output))
	if err != nil {
		return fail(e, "shards", err)
	}
	f.ds = ds
	p, err := planShards(ctx, e, f)
	if err != nil {
		return fail(e, "shards", err)
	}
	if err := writeResult(e.stdout, f.json, p.json(), p.text); err != nil {
		return printed(e, "shards", err)
	}
	if p.reshard != nil && p.reshard.refused != "" {
		return fail(e, "shards", errors.New(p.reshard.refused))
	}
	return exitOK
}

// shardsPlan is everything `shards` reports, computed once and rendered as text or JSON.
type shardsPlan struct {
	sized  bool // a workload was sized (not only --to)
	plan   shardplan.Plan
	cost   shardplan.Cost
	avg    float64
	prices shardplan.Prices
	// pricesRegion and pricesSource are the price table's region and where it was read.
	pricesRegion, pricesSource string
	measured                   bool        // the record size was measured from generated events
	metrics                    *streamPeak // the workload came from CloudWatch
	api                        *apiCarry   // what the API's rate limit carries (nil: no stack file)
	reshard                    *reshardPlan
	warnings                   []string
}

// planShards computes the plan (sizing mode) and the resharding steps.
func planShards(ctx context.Context, e *env, f *shardsFlags) (*shardsPlan, error) {
	p := &shardsPlan{prices: f.prices, pricesRegion: f.table.Region, pricesSource: cmp.Or(f.pricesFile, "costplan/prices.json")}
	cur, err := findCurrent(ctx, e, f)
	if err != nil {
		return nil, err
	}
	p.warnings = append(p.warnings, cur.warnings...)
	if region := cmp.Or(f.aws.region, cur.region()); f.to == 0 && region != "" && region != p.pricesRegion {
		p.warnings = append(p.warnings, fmt.Sprintf("prices are %s's and the stack is in %s: pass --prices with %s's table (costplan/prices.json's format)", p.pricesRegion, region, region))
	}
	target := f.to
	if target == 0 {
		if err := p.size(ctx, e, f); err != nil {
			return nil, err
		}
		target = min(p.plan.Shards, awsrules.MaxShards)
		if cur.file != nil {
			p.api = newAPICarry(*cur.file, f.batchSize, p.plan.WriteRecordsPerSec)
		}
	}
	if p.reshard, err = newReshardPlan(cur, target, f); err != nil {
		return nil, err
	}
	if f.write {
		if err := p.reshard.write(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// size sizes the workload of the flags or of the stream's metrics.
func (p *shardsPlan) size(ctx context.Context, e *env, f *shardsFlags) error {
	p.sized = true
	if f.fromMetrics {
		peak, err := readStreamPeakOf(ctx, e, f)
		if err != nil {
			return err
		}
		p.metrics = &peak
		f.peak, f.avg, f.eventBytes = peak.PeakRecordsPerSec, peak.AvgRecordsPerSec, peak.RecordBytes()
	}
	p.avg = f.avg
	if !f.fromMetrics && p.avg == 0 {
		p.avg = f.peak
	}
	if f.eventBytes == 0 {
		size, err := measureEventBytes(f.ds.Schema)
		if err != nil {
			return err
		}
		f.eventBytes, p.measured = size, true
	}
	var err error
	p.plan, err = shardplan.Recommend(shardplan.Workload{PeakEventsPerSec: f.peak, AvgRecordBytes: f.eventBytes, Consumers: f.consumers, HeadroomPct: f.headroom}, shardplan.DefaultLimits())
	if err != nil {
		return usagef("%v", err)
	}
	if p.cost, err = shardplan.MonthlyCost(p.plan.Shards, p.avg, f.eventBytes, f.consumers, f.prices); err != nil {
		return usagef("%v", err)
	}
	p.warnings = append(p.warnings, p.plan.Warnings...)
	return nil
}

// apiCarry is what the ingest API's rate limit carries, per route, against the planned peak.
type apiCarry struct {
	file                 string
	rateLimit            float64
	batchSize            int
	singleEPS, batchEPS  float64
	planned              float64
	singleShort, batchOK bool
}

// newAPICarry compares the stage's rate limit (requests/s) with the planned peak: one event
// per request on the single route, batchSize on the batch route.
func newAPICarry(ops stackfile.Ops, batchSize int, planned float64) *apiCarry {
	a := &apiCarry{file: ops.File, rateLimit: ops.APIRateLimit, batchSize: batchSize, planned: planned}
	a.singleEPS, a.batchEPS = a.rateLimit, a.rateLimit*float64(batchSize)
	a.singleShort, a.batchOK = a.singleEPS < planned, a.batchEPS >= planned
	return a
}

// warnings says which routes cannot carry the planned peak.
func (a *apiCarry) warnings() []string {
	var out []string
	if a.singleShort {
		out = append(out, fmt.Sprintf("the API's rate limit (apiRateLimit %g requests/s in %s) carries at most %.0f events/s on the single-event route, below the planned %.0f events/s: clients must use the batch route, or raise apiRateLimit",
			a.rateLimit, a.file, a.singleEPS, a.planned))
	}
	if !a.batchOK {
		out = append(out, fmt.Sprintf("the API's rate limit (apiRateLimit %g requests/s in %s) carries at most %g x %d = %.0f events/s on the batch route, below the planned %.0f events/s: raise apiRateLimit (and apiBurstLimit)",
			a.rateLimit, a.file, a.rateLimit, a.batchSize, a.batchEPS, a.planned))
	}
	return out
}

// measureEventBytes is the average size of generated events of a schema as Kinesis counts
// them.
func measureEventBytes(s *schema.Schema) (float64, error) {
	g, err := producer.NewGenerator(s, producer.GeneratorOptions{Seed: 1})
	if err != nil {
		return 0, err
	}
	const n = 1000
	total := 0
	for range n {
		r, err := g.Next()
		if err != nil {
			return 0, err
		}
		total += r.Size()
	}
	return float64(total) / n, nil
}

type liveShards struct {
	name   string
	open   int
	mode   string
	status string
	region string
}

// readLiveShards reads the stack's stream: its open shard count and capacity mode. A stream
// that is not ACTIVE is an error (a change is running), with live filled in.
func readLiveShards(ctx context.Context, so *stackOutputs, a awsFlags) (liveShards, error) {
	name, err := so.get(ctx, outStream)
	if err != nil {
		return liveShards{}, err
	}
	region := so.region(ctx, a.region)
	cfg, err := loadAWS(ctx, region, a.endpoint)
	if err != nil {
		return liveShards{}, err
	}
	live, err := describeStream(ctx, kinesis.NewFromConfig(cfg), name)
	if err != nil {
		return liveShards{}, err
	}
	live.region = region
	if live.status != string(kinesistypes.StreamStatusActive) {
		return live, fmt.Errorf("stream %s is %s, not ACTIVE: wait for the running change to finish before planning the next", name, live.status)
	}
	return live, nil
}

type kinesisDescriber interface {
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
}

// describeStream reads a stream's open shards, capacity mode and status.
func describeStream(ctx context.Context, c kinesisDescriber, name string) (liveShards, error) {
	out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		return liveShards{}, fmt.Errorf("read stream %s: %w", name, err)
	}
	s := out.StreamDescriptionSummary
	live := liveShards{name: name, open: int(aws.ToInt32(s.OpenShardCount)), mode: awsrules.Provisioned, status: string(s.StreamStatus)}
	if s.StreamModeDetails != nil && s.StreamModeDetails.StreamMode == kinesistypes.StreamModeOnDemand {
		live.mode = awsrules.OnDemand
	}
	return live, nil
}
