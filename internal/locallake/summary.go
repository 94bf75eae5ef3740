package locallake

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/streamlake/streamlake/internal/firehosesim"
)

// Summary is what a run did, as DIR/summary.json holds it. The counts add up (Check):
//
//	sent      = api_rejected + accepted
//	accepted  + stream_put = delivered
//	delivered = parquet_rows + transform_failed + conversion_failed + dropped
type Summary struct {
	Stack string `json:"stack"`
	Route string `json:"route"`
	// Sent events reached the API; APIRejected it refused, Accepted it stored in the stream.
	Sent        int `json:"sent"`
	APIRejected int `json:"api_rejected"`
	Accepted    int `json:"accepted"`
	// StreamPut records were put into the stream past the API (Options.AfterSend: a redrive
	// or replay) and acknowledged by it.
	StreamPut int `json:"stream_put,omitempty"`
	// Delivered records the delivery stream took from the stream and put in the lake.
	Delivered int `json:"delivered"`
	// Outcome is the delivery's: where the delivered records went, and the files.
	firehosesim.Outcome
	// Invocations of the transform Lambda, and how many of them failed.
	Invocations       int `json:"lambda_invocations"`
	FailedInvocations int `json:"lambda_failed_invocations"`
	// RejectionReasons count the API's refusals by answer.
	RejectionReasons map[string]int `json:"api_rejection_reasons"`
	// RefusedBatches are the batch requests the API refused whole (batch route), in input
	// order: one bad event refuses its request, the good events in it with it.
	RefusedBatches []RefusedBatch `json:"api_refused_batches,omitempty"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
	// Dataset names the dataset of a dataset's summary ("" in the run's).
	Dataset string `json:"dataset,omitempty"`
	// Datasets are every dataset's summaries, when the stack has several; the run's counts
	// are their sums.
	Datasets []Summary `json:"datasets,omitempty"`
}

func newSummary(r *runner, l *lane, elapsed time.Duration) Summary {
	s, c := l.sent, l.counts
	reasons := map[string]int{}
	for _, rej := range s.rejected {
		reasons[rej.Reason]++
	}
	return Summary{
		Stack: r.cfg.Stack, Route: r.o.Route, Dataset: l.d.Name,
		Sent: s.summary.Events, APIRejected: len(s.rejected), Accepted: s.summary.Delivered, StreamPut: int(l.put.n.Load()),
		Delivered: c.Read, Outcome: c.Outcome,
		Invocations: c.Invocations, FailedInvocations: c.FailedCalls,
		RejectionReasons: reasons, RefusedBatches: s.refused, ElapsedSeconds: elapsed.Round(time.Millisecond).Seconds(),
	}
}

// total is the run's summary: one dataset's (without its name), or the sums of several with
// each in Datasets.
func total(per []Summary) Summary {
	if len(per) == 1 {
		s := per[0]
		s.Dataset = ""
		return s
	}
	t := Summary{Stack: per[0].Stack, Route: per[0].Route, RejectionReasons: map[string]int{}, ElapsedSeconds: per[0].ElapsedSeconds, Datasets: per}
	for _, s := range per {
		for _, p := range [][2]*int{{&t.Sent, &s.Sent}, {&t.APIRejected, &s.APIRejected}, {&t.Accepted, &s.Accepted}, {&t.StreamPut, &s.StreamPut}, {&t.Delivered, &s.Delivered},
			{&t.Invocations, &s.Invocations}, {&t.FailedInvocations, &s.FailedInvocations}} {
			*p[0] += *p[1]
		}
		t.Add(s.Outcome)
		t.RefusedBatches = append(t.RefusedBatches, s.RefusedBatches...)
		for k, n := range s.RejectionReasons {
			t.RejectionReasons[s.Dataset+": "+k] += n
		}
	}
	return t
}

// Check verifies that the counts add up: every event sent is in exactly one place.
func (s Summary) Check() error {
	var errs []string
	if s.Sent != s.APIRejected+s.Accepted {
		errs = append(errs, fmt.Sprintf("sent %d != api_rejected %d + accepted %d", s.Sent, s.APIRejected, s.Accepted))
	}
	if s.Accepted+s.StreamPut != s.Delivered {
		errs = append(errs, fmt.Sprintf("accepted %d + stream_put %d != delivered %d", s.Accepted, s.StreamPut, s.Delivered))
	}
	if s.Delivered != s.ParquetRows+s.TransformFailed+s.ConversionFailed+s.Dropped {
		errs = append(errs, fmt.Sprintf("delivered %d != parquet_rows %d + transform_failed %d + conversion_failed %d + dropped %d",
			s.Delivered, s.ParquetRows, s.TransformFailed, s.ConversionFailed, s.Dropped))
	}
	if len(errs) > 0 {
		return fmt.Errorf("the counts do not add up: %s", strings.Join(errs, "; "))
	}
	return nil
}

// maxReasonChars shortens long answers (a refused field's value is part of the message).
const maxReasonChars = 200

// Write prints the summary for a terminal: the counts with the equations they satisfy, then
// the API's rejections grouped by answer, most frequent first.
func (s Summary) Write(w io.Writer) error {
	rows := []struct {
		name  string
		n     int
		where string
	}{
		{"sent", s.Sent, fmt.Sprintf("events posted to the API (%s route), stack %s", s.Route, s.Stack)},
		{"api_rejected", s.APIRejected, "refused by the API"},
		{"accepted", s.Accepted, "stored in the stream: sent = api_rejected + accepted"},
		{"stream_put", s.StreamPut, "put into the stream past the API (a redrive)"},
		{"delivered", s.Delivered, "taken from the stream: accepted = delivered"},
		{"parquet_rows", s.ParquetRows, fmt.Sprintf("in %d Parquet files under lake/data/", s.ParquetFiles)},
		{"transform_failed", s.TransformFailed, "under lake/errors/processing-failed/"},
		{"conversion_failed", s.ConversionFailed, "under lake/errors/format-conversion-failed/"},
		{"dropped", s.Dropped, "delivered = parquet_rows + transform_failed + conversion_failed + dropped"},
	}
	if s.StreamPut > 0 {
		rows[4].where = "taken from the stream: accepted + stream_put = delivered"
	}
	for _, r := range rows {
		if r.name == "stream_put" && r.n == 0 {
			continue // only runs with Options.AfterSend put records past the API
		}
		if _, err := fmt.Fprintf(w, "%-18s %8d  %s\n", r.name, r.n, r.where); err != nil {
			return err
		}
	}
	for _, d := range s.Datasets {
		if _, err := fmt.Fprintf(w, "  %-16s sent %d, api_rejected %d, parquet_rows %d, transform_failed %d, conversion_failed %d\n",
			d.Dataset, d.Sent, d.APIRejected, d.ParquetRows, d.TransformFailed, d.ConversionFailed); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(w, "%d Lambda invocations (%d failed), %d raw backup files, %.1f s\n",
		s.Invocations, s.FailedInvocations, s.RawFiles, s.ElapsedSeconds); err != nil {
		return err
	}
	if err := writeReasons(w, s.RejectionReasons); err != nil {
		return err
	}
	return writeRefusedBatches(w, s.RefusedBatches)
}

func writeReasons(w io.Writer, reasons map[string]int) error {
	if len(reasons) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(reasons), func(a, b string) int {
		return cmp.Or(cmp.Compare(reasons[b], reasons[a]), cmp.Compare(a, b))
	})
	if _, err := fmt.Fprintln(w, "API rejections by reason (api-rejected.jsonl lists each event's line):"); err != nil {
		return err
	}
	for _, k := range keys {
		msg := k
		if len(msg) > maxReasonChars {
			msg = msg[:maxReasonChars] + "..."
		}
		if _, err := fmt.Fprintf(w, "%8d  %s\n", reasons[k], msg); err != nil {
			return err
		}
	}
	return nil
}

// RefusedBatch is a request of the batch route that the API refused as a whole: its request
// model checks the whole body, so one bad event refuses every event sent with it.
type RefusedBatch struct {
	// Events is how many events the request carried, good and bad.
	Events int `json:"events"`
	// FirstLine and LastLine are the first and last of its events' lines in the input (or
	// positions among the generated events).
	FirstLine int    `json:"first_line"`
	LastLine  int    `json:"last_line"`
	Reason    string `json:"reason"`
	Dataset   string `json:"dataset,omitempty"`
}

// singleRouteAdvice is what to do about good events refused with a bad one.
const singleRouteAdvice = "--route single sends each event on its own and keeps the good events of a file with bad lines"

// maxRefusedShown bounds the refused requests the summary lists one by one.
const maxRefusedShown = 10

// writeRefusedBatches lists the batch requests the API refused whole, with how many events
// each took down.
func writeRefusedBatches(w io.Writer, refused []RefusedBatch) error {
	if len(refused) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "The batch route's API refused %s whole, %d events with them: one bad event refuses its whole request "+
		"(the request model checks the whole body), so good events sent with it were refused too:\n", requests(len(refused)), refusedEvents(refused)); err != nil {
		return err
	}
	for i, b := range refused {
		if i == maxRefusedShown {
			_, err := fmt.Fprintf(w, "%8s  ... and %d more (summary.json lists each)\n", "", len(refused)-maxRefusedShown)
			if err != nil {
				return err
			}
			break
		}
		reason := b.Reason
		if len(reason) > maxReasonChars {
			reason = reason[:maxReasonChars] + "..."
		}
		if _, err := fmt.Fprintf(w, "%8d  events, lines %d-%d%s: %s\n", b.Events, b.FirstLine, b.LastLine, datasetOf(b.Dataset), reason); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, singleRouteAdvice+".")
	return err
}

// batchSizes lists the events each refused request took down: "3 events (lines 1-3), ...".
func batchSizes(refused []RefusedBatch) string {
	var parts []string
	for i, b := range refused {
		if i == maxRefusedShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(refused)-maxRefusedShown))
			break
		}
		parts = append(parts, fmt.Sprintf("%d events (lines %d-%d)", b.Events, b.FirstLine, b.LastLine))
	}
	return strings.Join(parts, ", ")
}

// refusedEvents is how many events the refused requests carried.
func refusedEvents(refused []RefusedBatch) int {
	n := 0
	for _, b := range refused {
		n += b.Events
	}
	return n
}

// requests is "1 request" or "n requests".
func requests(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}

// datasetOf names a dataset other than the default in a line.
func datasetOf(name string) string {
	if name == "" {
		return ""
	}
	return " of " + name
}

// NoRows says why a run's lake holds no rows, for commands that read it after the run: how
// many events were sent and where they went instead.
func (s Summary) NoRows(dir string) string {
	msg := fmt.Sprintf("the run in %s stored no events in the lake, so every table is empty: %d sent, %d refused by the API (%s lists each with its reason), "+
		"%d failed the transform, %d failed the Parquet conversion",
		dir, s.Sent, s.APIRejected, filepath.Join(dir, "api-rejected.jsonl"), s.TransformFailed, s.ConversionFailed)
	if len(s.RefusedBatches) > 0 {
		msg += fmt.Sprintf("; the batch route's API refused %s whole, %d events with them (one bad event refuses its request): %s",
			requests(len(s.RefusedBatches)), refusedEvents(s.RefusedBatches), singleRouteAdvice)
	}
	return msg
}
