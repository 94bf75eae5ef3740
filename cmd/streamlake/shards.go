package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/shardplan"
)

const shardsDescription = `
Recommends a provisioned shard count for a peak rate: each shard takes 1 MiB/s and 1000
records/s in, and serves 2 MiB/s out shared by all standard consumers (streamlake's Firehose is
one; enhanced fan-out consumers have their own and are not counted). Prints the limits used,
which one decides, the monthly cost (shard-hours and PUT payload units, every price a flag) next
to a rough on-demand estimate, and the path of shardCount changes from the current count that
AWS accepts (each step at most double and at least half the open shards, at most 10 per 24 h),
as the commands to run, in order. Each change is one deploy: preview refuses a bigger jump.

The current count is --current, or the live stream's open shards when --stack or --outputs
names a deployed stack.

Examples:
  streamlake shards --peak-eps 4000
  streamlake shards --peak-eps 4000 --avg-eps 1500 --event-bytes 700 --consumers 2 --current 2 --stack prod`

type shardsFlags struct {
	peak, avg     float64
	eventBytes    float64
	consumers     int
	headroom      float64
	current       int
	prices        shardplan.Prices
	aws           awsFlags
	stack, output string
	json          bool
}

func (f *shardsFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.peak, "peak-eps", 0, "peak events (records) per second, `n`, the stream must take (required)")
	fs.Float64Var(&f.avg, "avg-eps", 0, "average events per second over a month, `n`, for the cost (default: the peak, an upper bound)")
	fs.Float64Var(&f.eventBytes, "event-bytes", 0, "average record size in `bytes` incl. partition key (default: measured from generated schema events)")
	fs.IntVar(&f.consumers, "consumers", 1, "`n` standard consumers reading every record (Firehose is one)")
	fs.Float64Var(&f.headroom, "headroom", 25, "spare capacity above the peak, in `percent`")
	fs.IntVar(&f.current, "current", 0, "current open shard `count` (default: read from the stack's stream with --stack/--outputs)")
	def := shardplan.DefaultPrices()
	fs.Float64Var(&f.prices.ShardHour, "shard-hour-price", def.ShardHour, "`USD` per shard-hour (us-east-1 default)")
	fs.Float64Var(&f.prices.PutUnitsPerMillion, "put-unit-price", def.PutUnitsPerMillion, "`USD` per million 25 KB PUT payload units (us-east-1 default)")
	fs.Float64Var(&f.prices.OnDemandStreamHour, "ondemand-stream-hour-price", def.OnDemandStreamHour, "on-demand: `USD` per stream-hour (us-east-1 default)")
	fs.Float64Var(&f.prices.OnDemandWriteGB, "ondemand-write-gb-price", def.OnDemandWriteGB, "on-demand: `USD` per GB written, records rounded up to 1 KB (us-east-1 default)")
	fs.Float64Var(&f.prices.OnDemandReadGB, "ondemand-read-gb-price", def.OnDemandReadGB, "on-demand: `USD` per GB read by standard consumers (us-east-1 default)")
	f.aws.register(fs)
	fs.StringVar(&f.stack, "stack", "", "Pulumi `stack`: its stream gives the current count, and the printed commands name it")
	fs.StringVar(&f.output, "outputs", "", "read stack outputs from `file` instead of running pulumi")
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON")
}

func runShards(ctx context.Context, e *env, args []string) int {
	var f shardsFlags
	fs := newFlags(e, "shards", "--peak-eps N [flags]", shardsDescription)
	f.register(fs)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	p, err := planShards(ctx, e, f)
	if err != nil {
		return fail(e, "shards", err)
	}
	if f.json {
		return printed(e, "shards", writeJSON(e.stdout, p.json()))
	}
	_, err = fmt.Fprint(e.stdout, p.text())
	return printed(e, "shards", err)
}

// shardsPlan is everything `shards` reports, computed once and rendered as text or JSON.
type shardsPlan struct {
	plan     shardplan.Plan
	cost     shardplan.Cost
	avg      float64
	prices   shardplan.Prices
	measured bool // the record size was measured from generated events
	current  int  // 0: unknown
	live     liveShards
	steps    []shardplan.Step
	commands []string // two per step: the config change and the deploy
}

// planShards checks the flags and computes the plan, the cost and the resharding path.
func planShards(ctx context.Context, e *env, f shardsFlags) (*shardsPlan, error) {
	if f.peak <= 0 {
		return nil, usagef("--peak-eps is required and must be positive")
	}
	if f.current < 0 {
		return nil, usagef("--current must be positive")
	}
	p := &shardsPlan{avg: f.avg, prices: f.prices, current: f.current}
	if p.avg == 0 {
		p.avg = f.peak
	}
	if f.eventBytes == 0 {
		size, err := measureEventBytes()
		if err != nil {
			return nil, err
		}
		f.eventBytes, p.measured = size, true
	}
	var err error
	p.plan, err = shardplan.Recommend(shardplan.Workload{PeakEventsPerSec: f.peak, AvgRecordBytes: f.eventBytes, Consumers: f.consumers, HeadroomPct: f.headroom}, shardplan.DefaultLimits())
	if err != nil {
		return nil, usagef("%v", err)
	}
	if p.cost, err = shardplan.MonthlyCost(p.plan.Shards, p.avg, f.eventBytes, f.consumers, f.prices); err != nil {
		return nil, usagef("%v", err)
	}
	if p.current == 0 && (f.stack != "" || f.output != "") {
		if p.live, err = readLiveShards(ctx, newStackOutputs(e, f.stack, f.output), f.aws); err != nil {
			return nil, fmt.Errorf("%w; pass --current N to plan without the live stream", err)
		}
		p.current = p.live.open
	}
	if p.current > 0 && p.live.mode != awsrules.OnDemand {
		if p.steps, err = shardplan.Reshard(p.current, min(p.plan.Shards, awsrules.MaxShards)); err != nil {
			return nil, err
		}
	}
	p.commands = reshardCommands(p.steps, f.stack)
	return p, nil
}

// reshardCommands are the commands of each step, for stack (a placeholder when not given).
func reshardCommands(steps []shardplan.Step, stack string) []string {
	if stack == "" {
		stack = "<stack>"
	}
	var commands []string
	for _, s := range steps {
		commands = append(commands,
			fmt.Sprintf("pulumi config set streamlake:shardCount %d --stack %s", s.To, stack),
			fmt.Sprintf("pulumi up --stack %s", stack))
	}
	return commands
}

// shardsJSON is the plan as --json prints it (fields in key order).
type shardsJSON struct {
	AvgEPS             float64            `json:"avg_eps"`
	Binding            string             `json:"binding"`
	Commands           []string           `json:"commands"`
	Current            int                `json:"current"`
	Limits             shardplan.Limits   `json:"limits"`
	MeasuredEventBytes bool               `json:"measured_event_bytes"`
	MonthlyCostUSD     monthlyCostJSON    `json:"monthly_cost_usd"`
	Needs              shardNeedsJSON     `json:"needs"`
	Prices             shardplan.Prices   `json:"prices"`
	Shards             int                `json:"shards"`
	Steps              []shardplan.Step   `json:"steps"`
	Stream             string             `json:"stream"`
	Warnings           []string           `json:"warnings"`
	Workload           shardplan.Workload `json:"workload"`
}

type monthlyCostJSON struct {
	OnDemandRough float64 `json:"on_demand_rough"`
	Provisioned   float64 `json:"provisioned"`
}

type shardNeedsJSON struct {
	ReadBytes    int `json:"read_bytes"`
	WriteBytes   int `json:"write_bytes"`
	WriteRecords int `json:"write_records"`
}

func (p *shardsPlan) json() shardsJSON {
	return shardsJSON{
		AvgEPS: p.avg, Binding: p.plan.Binding, Commands: p.commands, Current: p.current,
		Limits: p.plan.Limits, MeasuredEventBytes: p.measured,
		MonthlyCostUSD: monthlyCostJSON{OnDemandRough: round2(p.cost.OnDemand), Provisioned: round2(p.cost.Provisioned)},
		Needs:          shardNeedsJSON{ReadBytes: p.plan.ForRead, WriteBytes: p.plan.ForWriteBytes, WriteRecords: p.plan.ForWriteRecords},
		Prices:         p.prices, Shards: p.plan.Shards, Steps: p.steps, Stream: p.live.name,
		Warnings: p.plan.Warnings, Workload: p.plan.Workload,
	}
}

// text renders the plan for people: a label column aligned by text/tabwriter, then the numbers.
func (p *shardsPlan) text() string {
	var b strings.Builder
	p.writeWorkload(&b)
	p.writeShardsNeeded(&b)
	p.writeCost(&b)
	p.writeResharding(&b)
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 17, 0, 2, ' ', 0) // labels of up to 15 characters, 2 spaces
	_, _ = tw.Write([]byte(b.String()))               // a strings.Builder never fails
	_ = tw.Flush()
	return out.String()
}

func mib(b float64) string { return fmt.Sprintf("%.2f MiB/s", b/(1<<20)) }

func (p *shardsPlan) writeWorkload(w *strings.Builder) {
	how := ""
	if p.measured {
		how = " (measured from generated schema events; --event-bytes to set)"
	}
	wl, l := p.plan.Workload, p.plan.Limits
	fmt.Fprintln(w, "Workload")
	fmt.Fprintf(w, "  peak\t%g events/s x %.0f B%s = %s in\n", wl.PeakEventsPerSec, wl.AvgRecordBytes, how, mib(wl.PeakEventsPerSec*wl.AvgRecordBytes))
	fmt.Fprintf(w, "  consumers\t%d standard (Firehose is one): %s out\n", wl.Consumers, mib(wl.PeakEventsPerSec*wl.AvgRecordBytes*float64(wl.Consumers)))
	fmt.Fprintf(w, "  headroom\t%g%%: planned for %.0f records/s, %s in, %s out\n", wl.HeadroomPct, p.plan.WriteRecordsPerSec, mib(p.plan.WriteBytesPerSec), mib(p.plan.ReadBytesPerSec))
	fmt.Fprintln(w, "Per-shard limits (provisioned)")
	fmt.Fprintf(w, "  in\t%s and %.0f records/s per shard\n", mib(l.WriteBytesPerSec), l.WriteRecordsPerSec)
	fmt.Fprintf(w, "  out\t%s per shard, shared by all standard consumers (enhanced fan-out not counted)\n", mib(l.ReadBytesPerSec))
}

func (p *shardsPlan) writeShardsNeeded(w *strings.Builder) {
	fmt.Fprintln(w, "Shards needed")
	for _, r := range []struct {
		name string
		n    int
	}{{"write bytes", p.plan.ForWriteBytes}, {"write records", p.plan.ForWriteRecords}, {"read bytes", p.plan.ForRead}} {
		mark := ""
		if r.name == p.plan.Binding {
			mark = "  <- decides"
		}
		fmt.Fprintf(w, "  %s\t%d%s\n", r.name, r.n, mark)
	}
	fmt.Fprintf(w, "  recommend\t%d shards (at peak: %.0f%% of write bytes, %.0f%% of write records, %.0f%% of reads)\n",
		p.plan.Shards, 100*p.plan.WriteBytesUse, 100*p.plan.WriteRecordsUse, 100*p.plan.ReadUse)
	for _, warn := range p.plan.Warnings {
		fmt.Fprintf(w, "  warning\t%s\n", warn)
	}
}

func (p *shardsPlan) writeCost(w *strings.Builder) {
	avgNote := ""
	if p.avg == p.plan.Workload.PeakEventsPerSec {
		avgNote = "; the peak as the average: an upper bound, set --avg-eps"
	}
	c, pr := p.cost, p.prices
	fmt.Fprintf(w, "Monthly cost at %g events/s average (%d h%s)\n", p.avg, shardplan.HoursPerMonth, avgNote)
	fmt.Fprintf(w, "  provisioned\t%d shards: %.0f shard-h x $%g = $%.2f, + %.1f M PUT units x $%g/M = $%.2f  => $%.2f\n",
		p.plan.Shards, c.ShardHours, pr.ShardHour, c.ShardCost, c.PutUnits/1e6, pr.PutUnitsPerMillion, c.PutUnitCost, c.Provisioned)
	fmt.Fprintf(w, "  on-demand\trough: $%.2f stream-hours + %.1f GB written x $%g = $%.2f + %.1f GB read x $%g = $%.2f  => $%.2f\n",
		c.StreamHourCost, c.WriteGB, pr.OnDemandWriteGB, c.WriteCost, c.ReadGB, pr.OnDemandReadGB, c.ReadCost, c.OnDemand)
	fmt.Fprintln(w, "  \t(default prices are us-east-1 list prices: check https://aws.amazon.com/kinesis/data-streams/pricing/")
	fmt.Fprintln(w, "  \tfor your region; retention beyond 24 h, enhanced fan-out and data transfer are not included)")
}

func (p *shardsPlan) writeResharding(w *strings.Builder) {
	switch {
	case p.live.mode == awsrules.OnDemand:
		fmt.Fprintf(w, "Resharding\n  stream %s is ON_DEMAND: shardCount does not apply. To move to %d provisioned shards, set streamlake:streamMode PROVISIONED and streamlake:shardCount %d, then deploy.\n", p.live.name, p.plan.Shards, p.plan.Shards)
		return
	case p.current == 0:
		fmt.Fprintln(w, "Resharding\n  pass --current N (or --stack S with a deployed stream) to plan the steps from the current count")
		return
	case len(p.steps) == 0:
		fmt.Fprintf(w, "Resharding\n  the stream already has %d shards: nothing to change\n", p.current)
		return
	}
	src := "--current"
	if p.live.name != "" {
		src = "live open shards of " + p.live.name
	}
	fmt.Fprintf(w, "Resharding from %d (%s) to %d: %d step(s), each at most double / at least half the open shards, at most %d per 24 h\n",
		p.current, src, p.steps[len(p.steps)-1].To, len(p.steps), awsrules.MaxReshardsPerDay)
	window := 0
	for i, s := range p.steps {
		if s.Window != window {
			window = s.Window
			if window > 1 {
				fmt.Fprintf(w, "  # 24-hour window %d (wait until 24 h after the first change of window %d)\n", window, window-1)
			}
		}
		fmt.Fprintf(w, "  %s\n  %s\n", p.commands[2*i], p.commands[2*i+1])
	}
	if p.plan.Shards > awsrules.MaxShards {
		fmt.Fprintf(w, "  (stops at %d, streamlake's shardCount limit; more needs a quota increase and a config change)\n", awsrules.MaxShards)
	}
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// measureEventBytes is the average size of generated events as Kinesis counts them.
func measureEventBytes() (float64, error) {
	g, err := producer.NewGenerator(schema.Default(), producer.GeneratorOptions{Seed: 1})
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
	name string
	open int
	mode string
}

// readLiveShards reads the stack's stream: its open shard count and capacity mode.
func readLiveShards(ctx context.Context, so *stackOutputs, a awsFlags) (liveShards, error) {
	name, err := so.get(ctx, outStream)
	if err != nil {
		return liveShards{}, err
	}
	cfg, err := loadAWS(ctx, so.region(ctx, a.region), a.endpoint)
	if err != nil {
		return liveShards{}, err
	}
	out, err := kinesis.NewFromConfig(cfg).DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		return liveShards{}, fmt.Errorf("read the live shard count of stream %s: %w", name, err)
	}
	s := out.StreamDescriptionSummary
	live := liveShards{name: name, open: int(aws.ToInt32(s.OpenShardCount)), mode: awsrules.Provisioned}
	if s.StreamModeDetails != nil && s.StreamModeDetails.StreamMode == kinesistypes.StreamModeOnDemand {
		live.mode = awsrules.OnDemand
	}
	if s.StreamStatus != kinesistypes.StreamStatusActive {
		return live, fmt.Errorf("stream %s is %s, not ACTIVE: wait for the running change to finish before planning the next", name, s.StreamStatus)
	}
	return live, nil
}
