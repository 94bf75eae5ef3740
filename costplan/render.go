package costplan

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Text renders the plan for people: labels aligned by text/tabwriter, then the numbers.
func (pl *Plan) Text() string {
	var out strings.Builder
	for _, section := range []func(*strings.Builder){
		pl.writeWorkload, pl.writeCost, pl.writeServices, pl.writeFreshness, pl.writeFiles, pl.writeDriver, pl.writeWarnings,
	} {
		var b strings.Builder
		section(&b)
		out.WriteString(aligned(b.String())) // each section aligns its own columns
	}
	return out.String()
}

// aligned lines up text's tab-separated columns.
func aligned(text string) string {
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	_, _ = tw.Write([]byte(text)) // a strings.Builder never fails
	_ = tw.Flush()
	return out.String()
}

func (pl *Plan) writeWorkload(w *strings.Builder) {
	wl, f, s := pl.Workload, pl.Flow, pl.Stack
	of := ""
	if !pl.sc.counted() {
		of = fmt.Sprintf(", dataset %s (one of %d: its own resources)", s.Dataset, pl.StackDatasets())
	}
	fmt.Fprintf(w, "streamlake plan: stack %s (%s)%s, prices for %s, month %d of the lake (%d h)\n", s.Name, s.Region, of, pl.Region, ReportMonth, HoursPerMonth)
	fmt.Fprintln(w, "Workload")
	fmt.Fprintf(w, "  events\t%g/s average, %g/s peak, %g B each: %s events a month\n", wl.AvgEPS, wl.PeakEPS, wl.EventBytes, count(f.Events))
	fmt.Fprintf(w, "  API\t%g%% in batches of %d, the rest one per request: %s requests a month, %.0f/s at the peak (apiRateLimit %g)\n",
		100*wl.BatchShare, wl.BatchSize, count(f.SingleRequests+f.BatchRequests), f.PeakRequestsPerSecond, s.APIRateLimit)
	if wl.QueriesPerDay > 0 {
		fmt.Fprintf(w, "  queries\t%g a day scanning %g MiB each\n", wl.QueriesPerDay, wl.ScanMiB)
	} else {
		fmt.Fprintln(w, "  queries\tnone given (--queries-per-day, --scan-mb)")
	}
	fmt.Fprintf(w, "  rejected\t%g%% of events go to errors/ (--error-share)\n", 100*wl.ErrorShare)
}

func (pl *Plan) writeCost(w *strings.Builder) {
	if pl.sc.counted() {
		fmt.Fprintln(w, "Monthly cost, USD")
	} else {
		fmt.Fprintf(w, "Monthly cost of dataset %s (its own resources), USD\n", pl.Stack.Dataset)
	}
	writeLines(w, pl.Lines)
	fmt.Fprintf(w, "  total\t\t\t%s\n", money(pl.TotalUSD))
	fmt.Fprintf(w, "  \tper million events\t\t%s\n", money(pl.PerMillionEvents))
	if pl.sc.counted() || pl.sc.inStack {
		return
	}
	fmt.Fprintf(w, "Shared by the stack's %d datasets, once, not in this total: %s a month (--dataset all counts it)\n", pl.StackDatasets(), money(pl.SharedUSD))
	writeLines(w, pl.Shared)
}

// writeLines writes charges, one a line, leaving out those of nothing.
func writeLines(w *strings.Builder, lines []Line) {
	for _, l := range lines {
		if l.Quantity == 0 && l.USD == 0 {
			continue
		}
		unit := l.Unit
		if l.Quantity == 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		fmt.Fprintf(w, "  %s\t%s\t%s %s\t%s\n", l.Service, l.Item, count(l.Quantity), unit, money(l.USD))
	}
}

func (pl *Plan) writeServices(w *strings.Builder) {
	fmt.Fprintln(w, "By service\tmonth\tshare\tper million events")
	for _, t := range pl.Services {
		fmt.Fprintf(w, "  %s\t%s\t%.1f%%\t%s\n", t.Service, money(t.USD), 100*t.Share, money(t.PerMillionEvents))
	}
	o, how := pl.KinesisOther, "on-demand"
	if o.Mode != "ON_DEMAND" {
		how = fmt.Sprintf("%d provisioned shards (shardplan for the peak)", o.Shards)
	}
	fmt.Fprintf(w, "  Kinesis as %s would cost %s instead of %s\n", how, money(o.USD), money(pl.ServiceUSD(SvcKinesis)))
}

func (pl *Plan) writeFreshness(w *strings.Builder) {
	fr := pl.Freshness
	fmt.Fprintf(w, "Freshness, arrival to queryable (partitionDiscovery %s; C is a crawl's own run time)\n", fr.Discovery)
	plusC := ""
	if fr.AthenaWaitsForCrawl {
		plusC = " + C"
	}
	fmt.Fprintf(w, "  Athena\tworst %s%s, typical %s%s\n", Duration(fr.Worst.Athena), plusC, Duration(fr.TypicalAthena), plusC)
	if fr.Worst.Catalog > 0 {
		fmt.Fprintf(w, "  catalog\tworst %s + C, typical %s + C (Spark, Redshift Spectrum)\n", Duration(fr.Worst.Catalog), Duration(fr.TypicalCatalog))
	} else {
		fmt.Fprintln(w, "  catalog\tnever: no crawler (Spark, Redshift Spectrum do not see new hours)")
	}
	fmt.Fprintf(w, "  buffers\tworst %s (processor + Firehose intervals), typical %s at the average rate\n", Duration(fr.Worst.Delivery), Duration(fr.TypicalDelivery))
}

func (pl *Plan) writeFiles(w *strings.Builder) {
	fl := pl.Files
	fmt.Fprintln(w, "Files")
	fmt.Fprintf(w, "  data/\t%.1f Parquet files per partition-hour of %.2f MiB; a query over one day opens %.0f\n", fl.PerPartitionHour, fl.ObjectMiB, fl.DayQueryFiles)
	fmt.Fprintf(w, "  partitions\t%d active at once (Firehose allows 500)\n", fl.ActivePartitions)
	fmt.Fprintf(w, "  raw/, errors/\t%.1f and %.1f objects an hour\n", fl.RawPerHour, fl.ErrorsPerHour)
}

func (pl *Plan) writeDriver(w *strings.Builder) {
	d := pl.Driver
	of := ""
	if !pl.sc.counted() {
		of = " of dataset " + pl.Stack.Dataset
	}
	fmt.Fprintf(w, "Biggest cost driver%s: %s, %s a month (%.1f%%)\n", of, d.Service, money(d.USD), 100*d.Share)
	if d.BestIndex >= 0 {
		a := d.Alternatives[d.BestIndex]
		fmt.Fprintf(w, "  cut it most\t%s (%s): %s less on %s, %s less in total (%.0f%%), %s a month; gives up: %s\n",
			a.Change, a.Kind, money(a.ServiceSaving), d.Service, money(a.SavingUSD), 100*a.SavingUSD/pl.TotalUSD, money(a.TotalUSD), a.Tradeoff)
	} else {
		fmt.Fprintln(w, "  cut it most\tno change the plan knows cuts it")
	}
	for i, a := range d.Alternatives {
		if i == d.BestIndex {
			continue
		}
		fmt.Fprintf(w, "  other\t%s (%s): %s less (worst Athena freshness %s); gives up: %s\n", a.Change, a.Kind, money(a.SavingUSD), Duration(a.WorstAthena), a.Tradeoff)
	}
}

func (pl *Plan) writeWarnings(w *strings.Builder) {
	for _, warn := range pl.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// money writes USD with two decimals and thousands separators.
func money(x float64) string { return "$" + grouped(x, 2) }

// count writes a quantity: whole numbers grouped, small ones with two decimals.
func count(x float64) string {
	if x != math.Trunc(x) && math.Abs(x) < 1000 {
		return grouped(x, 2)
	}
	return grouped(x, 0)
}

func grouped(x float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, math.Abs(x))
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if x < 0 && s != strings.Repeat("0", len(whole))+"."+strings.Repeat("0", len(frac)) {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// Duration writes d as "2 min", "1 h 6 min" or "2 min 5 s".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	var parts []string
	for _, u := range []struct {
		n    int
		unit string
	}{{int(d.Hours()), "h"}, {int(d.Minutes()) % 60, "min"}, {int(d.Seconds()) % 60, "s"}} {
		if u.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", u.n, u.unit))
		}
	}
	if len(parts) == 0 {
		return "0 s"
	}
	return strings.Join(parts, " ")
}
