package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// String renders the status on one screen: a label column, then what was read or why not.
func (r statusReport) String() string {
	var b strings.Builder
	at, _ := time.Parse(time.RFC3339, r.At)
	stack := r.Stack
	if stack == "" {
		stack = "(selected)"
	}
	fmt.Fprintf(&b, "streamlake status: stack %s, %s, at %s\n", stack, r.Region, at.Format("2006-01-02 15:04 UTC"))
	r.writeStream(&b)
	r.writeDelivery(&b)
	r.writeErrors(&b)
	r.writeCrawler(&b)
	r.writeAlarms(&b)
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 12, 0, 2, ' ', 0)
	_, _ = tw.Write([]byte(b.String())) // a strings.Builder never fails
	_ = tw.Flush()
	return out.String()
}

func (r statusReport) writeStream(b *strings.Builder) {
	s, t := r.Stream, r.LastHour
	if s.Error != "" {
		fmt.Fprintf(b, "stream\t%s: not read: %s\n", s.Name, s.Error)
	} else {
		fmt.Fprintf(b, "stream\t%s: %s, %s, %d open shards\n", s.Name, s.Mode, s.Status, s.OpenShards)
	}
	switch {
	case t.Error != "":
		fmt.Fprintf(b, "last hour\tnot read: %s\n", t.Error)
	case t.MinutesWithData == 0:
		fmt.Fprintln(b, "last hour\tno IncomingRecords data: no traffic (or the metrics are not published yet)")
	default:
		fmt.Fprintf(b, "last hour\t%.0f records (peak minute %.1f/s), %.2f MiB in, %.0f throttled puts, max iterator age %s\n",
			t.Records, t.PeakRecordsPerSec, t.Bytes/(1<<20), t.ThrottledPuts, ms(t.MaxIteratorAgeMs))
	}
}

func (r statusReport) writeDelivery(b *strings.Builder) {
	d := r.Delivery
	switch {
	case d.Error != "":
		fmt.Fprintf(b, "delivery\t%s: not read: %s\n", d.Name, d.Error)
	case d.MinutesWithData == 0:
		fmt.Fprintf(b, "delivery\t%s: no DeliveryToS3.DataFreshness data in the last hour (nothing delivered)\n", d.Name)
	default:
		success := "no S3 deliveries measured"
		if d.DeliveriesMeasured > 0 {
			success = fmt.Sprintf("%.1f %% of S3 deliveries succeeded", d.SuccessPercent)
		}
		fmt.Fprintf(b, "delivery\t%s: oldest undelivered record %s at most (latest minute %s); %s\n",
			d.Name, ms(1000*d.FreshnessMaxSec), ms(1000*d.FreshnessLatestSec), success)
	}
}

func (r statusReport) writeErrors(b *strings.Builder) {
	e := r.Errors
	if e.Error != "" {
		fmt.Fprintf(b, "errors\tnot read: %s\n", e.Error)
		return
	}
	fmt.Fprintf(b, "errors\t%d objects under s3://%s/%s written in the last 24 h (%d in all)\n", e.Last24h, e.Bucket, e.Prefix, e.Total)
}

func (r statusReport) writeCrawler(b *strings.Builder) {
	c := r.Crawler
	switch {
	case c.Error != "":
		fmt.Fprintf(b, "crawler\tnot read: %s\n", c.Error)
	case c.Name == "":
		fmt.Fprintf(b, "crawler\tnone: %s\n", c.Note)
	case c.LastStatus == "":
		fmt.Fprintf(b, "crawler\t%s: %s; %s\n", c.Name, c.State, c.Note)
	default:
		last := fmt.Sprintf("last run %s, started %s", c.LastStatus, c.LastStart)
		if c.LastError != "" {
			last += ": " + c.LastError
		}
		fmt.Fprintf(b, "crawler\t%s: %s; %s\n", c.Name, c.State, last)
	}
}

func (r statusReport) writeAlarms(b *strings.Builder) {
	a := r.Alarms
	if a.Error != "" {
		fmt.Fprintf(b, "alarms\tnot read: %s\n", a.Error)
		return
	}
	if a.Count == 0 {
		fmt.Fprintf(b, "alarms\tnone notify %s\n", a.Topic)
		return
	}
	fmt.Fprintf(b, "alarms\t%d: %d ALARM, %d INSUFFICIENT_DATA, %d OK\n", a.Count, a.States.Alarm, a.States.InsufficientData, a.States.OK)
	for _, al := range a.List {
		line := fmt.Sprintf("  %s\t%s (%s) since %s", al.State, al.Name, al.Metric, al.Since)
		if al.State != "OK" && al.Reason != "" {
			line += ": " + al.Reason
		}
		b.WriteString(line + "\n")
	}
}

// ms renders milliseconds readably: 850 ms, 12.3 s, 4.0 min.
func ms(v float64) string {
	switch {
	case v < 1000:
		return fmt.Sprintf("%.0f ms", v)
	case v < 120_000:
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.1f min", v/60_000)
}
