package main

import (
	"context"
	"encoding/json"
	"fmt"

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

func runShards(ctx context.Context, e *env, args []string) int {
	var f shardsFlags
	fs := newFlags(e, "shards", "--peak-eps N [flags]", shardsDescription)
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
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	if f.peak <= 0 {
		return fail(e, "shards", usagef("--peak-eps is required and must be positive"))
	}
	if f.current < 0 {
		return fail(e, "shards", usagef("--current must be positive"))
	}
	if f.avg == 0 {
		f.avg = f.peak
	}
	measured := false
	if f.eventBytes == 0 {
		size, err := measureEventBytes()
		if err != nil {
			return fail(e, "shards", err)
		}
		f.eventBytes, measured = size, true
	}
	plan, err := shardplan.Recommend(shardplan.Workload{PeakEventsPerSec: f.peak, AvgRecordBytes: f.eventBytes, Consumers: f.consumers, HeadroomPct: f.headroom}, shardplan.DefaultLimits())
	if err != nil {
		return fail(e, "shards", usagef("%v", err))
	}
	cost, err := shardplan.MonthlyCost(plan.Shards, f.avg, f.eventBytes, f.consumers, f.prices)
	if err != nil {
		return fail(e, "shards", usagef("%v", err))
	}

	live := liveShards{}
	if f.current == 0 && (f.stack != "" || f.output != "") {
		so := newStackOutputs(e, f.stack, f.output)
		if live, err = readLiveShards(ctx, so, f.aws); err != nil {
			return fail(e, "shards", fmt.Errorf("%w; pass --current N to plan without the live stream", err))
		}
		f.current = live.open
	}
	var steps []shardplan.Step
	if f.current > 0 && live.mode != awsrules.OnDemand {
		if steps, err = shardplan.Reshard(f.current, min(plan.Shards, awsrules.MaxShards)); err != nil {
			return fail(e, "shards", err)
		}
	}
	stackArg := f.stack
	if stackArg == "" {
		stackArg = "<stack>"
	}
	var commands []string
	for _, s := range steps {
		commands = append(commands,
			fmt.Sprintf("pulumi config set streamlake:shardCount %d --stack %s", s.To, stackArg),
			fmt.Sprintf("pulumi up --stack %s", stackArg))
	}

	if f.json {
		b, _ := json.MarshalIndent(map[string]any{
			"workload": plan.Workload, "measured_event_bytes": measured, "limits": plan.Limits,
			"shards": plan.Shards, "binding": plan.Binding,
			"needs":            map[string]int{"write_bytes": plan.ForWriteBytes, "write_records": plan.ForWriteRecords, "read_bytes": plan.ForRead},
			"monthly_cost_usd": map[string]float64{"provisioned": round2(cost.Provisioned), "on_demand_rough": round2(cost.OnDemand)},
			"avg_eps":          f.avg, "prices": f.prices, "current": f.current, "stream": live.name,
			"steps": steps, "commands": commands, "warnings": plan.Warnings,
		}, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return exitOK
	}
	w := e.stdout
	mib := func(b float64) string { return fmt.Sprintf("%.2f MiB/s", b/(1<<20)) }
	how := ""
	if measured {
		how = " (measured from generated schema events; --event-bytes to set)"
	}
	w2 := plan.Workload
	fmt.Fprintln(w, "Workload")
	fmt.Fprintf(w, "  peak           %g events/s x %.0f B%s = %s in\n", w2.PeakEventsPerSec, w2.AvgRecordBytes, how, mib(w2.PeakEventsPerSec*w2.AvgRecordBytes))
	fmt.Fprintf(w, "  consumers      %d standard (Firehose is one): %s out\n", w2.Consumers, mib(w2.PeakEventsPerSec*w2.AvgRecordBytes*float64(w2.Consumers)))
	fmt.Fprintf(w, "  headroom       %g%%: planned for %.0f records/s, %s in, %s out\n", w2.HeadroomPct, plan.WriteRecordsPerSec, mib(plan.WriteBytesPerSec), mib(plan.ReadBytesPerSec))
	fmt.Fprintln(w, "Per-shard limits (provisioned)")
	fmt.Fprintf(w, "  in             %s and %.0f records/s per shard\n", mib(plan.Limits.WriteBytesPerSec), plan.Limits.WriteRecordsPerSec)
	fmt.Fprintf(w, "  out            %s per shard, shared by all standard consumers (enhanced fan-out not counted)\n", mib(plan.Limits.ReadBytesPerSec))
	fmt.Fprintln(w, "Shards needed")
	for _, r := range []struct {
		name string
		n    int
	}{{"write bytes", plan.ForWriteBytes}, {"write records", plan.ForWriteRecords}, {"read bytes", plan.ForRead}} {
		mark := ""
		if r.name == plan.Binding {
			mark = "  <- decides"
		}
		fmt.Fprintf(w, "  %-14s %d%s\n", r.name, r.n, mark)
	}
	fmt.Fprintf(w, "  recommend      %d shards (at peak: %.0f%% of write bytes, %.0f%% of write records, %.0f%% of reads)\n",
		plan.Shards, 100*plan.WriteBytesUse, 100*plan.WriteRecordsUse, 100*plan.ReadUse)
	for _, warn := range plan.Warnings {
		fmt.Fprintf(w, "  warning        %s\n", warn)
	}
	avgNote := ""
	if f.avg == f.peak {
		avgNote = "; the peak as the average: an upper bound, set --avg-eps"
	}
	fmt.Fprintf(w, "Monthly cost at %g events/s average (%d h%s)\n", f.avg, shardplan.HoursPerMonth, avgNote)
	fmt.Fprintf(w, "  provisioned    %d shards: %.0f shard-h x $%g = $%.2f, + %.1f M PUT units x $%g/M = $%.2f  => $%.2f\n",
		plan.Shards, cost.ShardHours, f.prices.ShardHour, cost.ShardCost, cost.PutUnits/1e6, f.prices.PutUnitsPerMillion, cost.PutUnitCost, cost.Provisioned)
	fmt.Fprintf(w, "  on-demand      rough: $%.2f stream-hours + %.1f GB written x $%g = $%.2f + %.1f GB read x $%g = $%.2f  => $%.2f\n",
		cost.StreamHourCost, cost.WriteGB, f.prices.OnDemandWriteGB, cost.WriteCost, cost.ReadGB, f.prices.OnDemandReadGB, cost.ReadCost, cost.OnDemand)
	fmt.Fprintln(w, "                 (default prices are us-east-1 list prices: check https://aws.amazon.com/kinesis/data-streams/pricing/")
	fmt.Fprintln(w, "                 for your region; retention beyond 24 h, enhanced fan-out and data transfer are not included)")

	switch {
	case live.mode == awsrules.OnDemand:
		fmt.Fprintf(w, "Resharding\n  stream %s is ON_DEMAND: shardCount does not apply. To move to %d provisioned shards, set streamlake:streamMode PROVISIONED and streamlake:shardCount %d, then deploy.\n", live.name, plan.Shards, plan.Shards)
	case f.current == 0:
		fmt.Fprintln(w, "Resharding\n  pass --current N (or --stack S with a deployed stream) to plan the steps from the current count")
	case len(steps) == 0:
		fmt.Fprintf(w, "Resharding\n  the stream already has %d shards: nothing to change\n", f.current)
	default:
		src := "--current"
		if live.name != "" {
			src = "live open shards of " + live.name
		}
		fmt.Fprintf(w, "Resharding from %d (%s) to %d: %d step(s), each at most double / at least half the open shards, at most %d per 24 h\n",
			f.current, src, steps[len(steps)-1].To, len(steps), awsrules.MaxReshardsPerDay)
		window := 0
		for i, s := range steps {
			if s.Window != window {
				window = s.Window
				if window > 1 {
					fmt.Fprintf(w, "  # 24-hour window %d (wait until 24 h after the first change of window %d)\n", window, window-1)
				}
			}
			fmt.Fprintf(w, "  %s\n  %s\n", commands[2*i], commands[2*i+1])
		}
		if plan.Shards > awsrules.MaxShards {
			fmt.Fprintf(w, "  (stops at %d, streamlake's shardCount limit; more needs a quota increase and a config change)\n", awsrules.MaxShards)
		}
	}
	return exitOK
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
