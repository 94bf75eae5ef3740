package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/shardplan"
)

// text renders the plan for people: a label column aligned by text/tabwriter, then the numbers.
func (p *shardsPlan) text() string {
	var b strings.Builder
	if p.sized {
		p.writeWorkload(&b)
		p.writeShardsNeeded(&b)
		p.writeCost(&b)
	}
	p.reshard.writeText(&b, p.sized)
	for _, w := range p.allWarnings() {
		fmt.Fprintf(&b, "  warning\t%s\n", w)
	}
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 17, 0, 2, ' ', 0) // labels of up to 15 characters, 2 spaces
	_, _ = tw.Write([]byte(b.String()))               // a strings.Builder never fails
	_ = tw.Flush()
	return out.String()
}

// allWarnings are the plan's, the current count's and the API's.
func (p *shardsPlan) allWarnings() []string {
	w := append([]string{}, p.warnings...)
	if p.api != nil {
		w = append(w, p.api.warnings()...)
	}
	return w
}

func mib(b float64) string { return fmt.Sprintf("%.2f MiB/s", b/(1<<20)) }

func (p *shardsPlan) writeWorkload(w *strings.Builder) {
	how := ""
	switch {
	case p.measured:
		how = " (measured from generated schema events; --event-bytes to set)"
	case p.metrics != nil:
		how = " (the busiest minute's IncomingBytes / IncomingRecords)"
	}
	wl, l := p.plan.Workload, p.plan.Limits
	fmt.Fprintln(w, "Workload")
	if m := p.metrics; m != nil {
		fmt.Fprintf(w, "  measured\tstream %s, %s to %s: CloudWatch Sum per 60 s / 60, busiest minute (%d minutes with data)\n",
			m.Stream, m.From.Format(time.RFC3339), m.To.Format(time.RFC3339), m.Minutes)
		fmt.Fprintf(w, "  \tIncomingRecords peak %.1f/s at %s, IncomingBytes peak %s at %s\n",
			m.PeakRecordsPerSec, m.PeakRecordsAt.UTC().Format(time.RFC3339), mib(m.PeakBytesPerSec), m.PeakBytesAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  peak\t%g events/s x %.0f B%s = %s in\n", round2(wl.PeakEventsPerSec), wl.AvgRecordBytes, how, mib(wl.PeakEventsPerSec*wl.AvgRecordBytes))
	fmt.Fprintf(w, "  consumers\t%d standard (Firehose is one): %s out\n", wl.Consumers, mib(wl.PeakEventsPerSec*wl.AvgRecordBytes*float64(wl.Consumers)))
	fmt.Fprintf(w, "  headroom\t%g%%: planned for %.0f records/s, %s in, %s out\n", wl.HeadroomPct, p.plan.WriteRecordsPerSec, mib(p.plan.WriteBytesPerSec), mib(p.plan.ReadBytesPerSec))
	if a := p.api; a != nil {
		fmt.Fprintf(w, "  API\tapiRateLimit %g requests/s (%s): %.0f events/s on the single route, %.0f on the batch route (%d a request)\n",
			a.rateLimit, a.file, a.singleEPS, a.batchEPS, a.batchSize)
	}
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
}

func (p *shardsPlan) writeCost(w *strings.Builder) {
	avgNote := ""
	switch {
	case p.metrics != nil:
		avgNote = "; the window's average"
	case p.avg == p.plan.Workload.PeakEventsPerSec:
		avgNote = "; the peak as the average: an upper bound, set --avg-eps"
	}
	c, pr := p.cost, p.prices
	fmt.Fprintf(w, "Monthly cost at %g events/s average (%d h%s)\n", round2(p.avg), shardplan.HoursPerMonth, avgNote)
	fmt.Fprintf(w, "  provisioned\t%d shards: %.0f shard-h x $%g = $%.2f, + %.1f M PUT units x $%g/M = $%.2f  => $%.2f\n",
		p.plan.Shards, c.ShardHours, pr.ShardHour, c.ShardCost, c.PutUnits/1e6, pr.PutUnitsPerMillion, c.PutUnitCost, c.Provisioned)
	fmt.Fprintf(w, "  on-demand\trough: $%.2f stream-hours + %.1f GB written x $%g = $%.2f + %.1f GB read x $%g = $%.2f  => $%.2f\n",
		c.StreamHourCost, c.WriteGB, pr.OnDemandWriteGB, c.WriteCost, c.ReadGB, pr.OnDemandReadGB, c.ReadCost, c.OnDemand)
	fmt.Fprintf(w, "  \t(prices for %s from %s, as streamlake plan's; retention beyond 24 h, enhanced fan-out\n", p.pricesRegion, p.pricesSource)
	fmt.Fprintln(w, "  \tand data transfer are not included)")
}

// writeText renders the path and the next pull request.
func (r *reshardPlan) writeText(w *strings.Builder, sized bool) {
	c := r.current
	fmt.Fprintf(w, "Resharding to %d shards\n", r.target)
	switch {
	case c.onDemand:
		fmt.Fprintf(w, "  mode\tthe stream is ON_DEMAND: shardCount does not apply. To move to %d provisioned shards, set streamlake:streamMode PROVISIONED and streamlake:shardCount %d in one pull request.\n", r.target, r.target)
		return
	case c.count == 0:
		fmt.Fprintln(w, "  current\tunknown: pass --current N, or --stack S (its stack file, or its deployed stream)")
		return
	}
	fmt.Fprintf(w, "  current\t%s\n", c.describe())
	if len(r.steps) == 0 {
		fmt.Fprintf(w, "  path\tnone: the stream already has %d shards: nothing to change\n", c.count)
		return
	}
	r.writePath(w)
	if r.target > awsrules.MaxShards || (sized && r.target == awsrules.MaxShards) {
		fmt.Fprintf(w, "  \t(stops at %d, streamlake's shardCount limit; more needs a quota increase and a config change)\n", awsrules.MaxShards)
	}
	r.writeNext(w)
}

func (r *reshardPlan) writePath(w *strings.Builder) {
	counts := []string{fmt.Sprint(r.current.count)}
	for _, s := range r.steps {
		counts = append(counts, fmt.Sprint(s.To))
	}
	fmt.Fprintf(w, "  path\t%s: %s, each at most double / at least half the open shards\n", strings.Join(counts, " -> "), plural(len(r.steps), "step", "steps"))
	windows := r.steps[len(r.steps)-1].Window
	if windows == 1 {
		fmt.Fprintf(w, "  limit\tat most %d UpdateShardCount calls per rolling 24 h per stream: the path fits in one day\n", awsrules.MaxReshardsPerDay)
		return
	}
	fmt.Fprintf(w, "  limit\tat most %d UpdateShardCount calls per rolling 24 h per stream: %d days; after step %d wait until 24 h after step 1, and so on\n",
		awsrules.MaxReshardsPerDay, windows, awsrules.MaxReshardsPerDay)
}

func (r *reshardPlan) writeNext(w *strings.Builder) {
	n := r.next
	switch {
	case n == nil && r.current.disagree:
		fmt.Fprintf(w, "Next step: none yet\n  blocked\tthe stack file does not hold the current count (see the warning)\n")
		r.writeRefused(w)
		return
	case n == nil:
		fmt.Fprintf(w, "Next step: one pull request\n  change\tstreamlake:shardCount %d -> %d in Pulumi.<stack>.yaml (pass --stack S for the exact edit)\n", r.steps[0].From, r.steps[0].To)
		r.writeRefused(w)
		return
	}
	from := fmt.Sprint(n.from)
	if !n.fromSet {
		from += " (unset: the default)"
	}
	fmt.Fprintln(w, "Next step: one pull request")
	fmt.Fprintf(w, "  file\t%s\n  key\t%s\n  change\t%s -> %d\n  comment\t# %s\n", n.file, n.name(), from, n.to, n.comment)
	if r.written {
		fmt.Fprintf(w, "  written\t%s now sets %s: %d (and the comment above it); nothing else changed\n", n.file, n.name(), n.to)
	} else {
		fmt.Fprintf(w, "  apply\t%s   (makes exactly this edit)\n", n.command)
	}
	fmt.Fprintf(w, "  then\topen a pull request with only this change; CI previews %s (the preview refuses a step AWS would reject);\n", r.current.stack)
	fmt.Fprintln(w, "  \tmerge; the deploy workflow deploys it (prod after the production environment's approval);")
	if len(r.steps) > 1 {
		fmt.Fprintf(w, "  \twhen the deploy has finished, run this command again for the next step (%d -> %d)\n", r.steps[1].From, r.steps[1].To)
	} else {
		fmt.Fprintln(w, "  \twhen the deploy has finished, the stream has the target count")
	}
	r.writeRefused(w)
}

func (r *reshardPlan) writeRefused(w *strings.Builder) {
	if r.refused != "" {
		fmt.Fprintf(w, "  refused\t%s\n", r.refused)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
