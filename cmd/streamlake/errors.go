package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamlake/streamlake/internal/recovery"
)

const errorsDescription = `
Shows what failed: the error objects Firehose wrote under errors/ in the lake since --since ago
(by their last-modified time), with their records grouped by error output type
(processing-failed: the transform Lambda failed them; format-conversion-failed: the Parquet
conversion did), error code and message. Messages are normalised before grouping, so that ids
and values do not split a group: UUIDs become <uuid>, timestamps <time>, hex ids <hex>, other
numbers <n>, quoted text over 32 characters "<text>". Each group shows its record and object
counts, the first and last arrival times, up to three example event_ids (read from the failed
record's JSON; records that are not JSON or have no event_id are counted), and how many of
its records a redrive already sent. Record data is never printed.

Only the hourly prefixes of the window are listed (from --since plus 3 hours, as Firehose
writes an object up to a few hours after its prefix hour), never the whole history. At most
--max-objects objects are read; the counts say when there were more.

Exit status 1 when an object could not be read (it is named), 2 on a usage error.

Examples:
  streamlake errors --stack prod
  streamlake errors --stack prod --since 72h --json`

type errorsFlags struct {
	lake       lakeFlags
	since      time.Duration
	maxObjects int
}

// Ranges of errors' numeric flags: a year back at most, and a bounded read.
const (
	maxErrorsSince   = 365 * 24 * time.Hour
	maxErrorsObjects = 100000
)

func errorsFlagSet(e *env) (*flags, *errorsFlags) {
	var f errorsFlags
	fs := newFlags("errors", "[flags]", errorsDescription)
	f.lake.register(fs)
	fs.durationVar(&f.since, "since", 24*time.Hour, time.Minute, maxErrorsSince, "show objects written in the last `duration` (whole days as 7d, or a Go duration as 36h)")
	fs.intVar(&f.maxObjects, "max-objects", 1000, 1, maxErrorsObjects, "read at most `n` objects")
	return fs, &f
}

func runErrors(ctx context.Context, e *env, args []string) int {
	fs, f := errorsFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	so, _, err := f.lake.chooseDataset(ctx, e)
	if err != nil {
		return fail(e, "errors", err)
	}
	lake, _, err := f.lake.openLake(ctx, e, so)
	if err != nil {
		return fail(e, "errors", err)
	}
	now := time.Now().UTC()
	if e.now != nil {
		now = e.now().UTC()
	}
	rep, err := lake.Errors(ctx, recovery.ErrorsOptions{Since: now.Add(-f.since), Now: now, MaxObjects: f.maxObjects, Fields: f.lake.recordFields()})
	if err != nil {
		return fail(e, "errors", err)
	}
	if f.lake.json {
		err = writeJSON(e.stdout, rep)
	} else {
		err = writeErrorsText(e.stdout, rep)
	}
	if code := printed(e, "errors", err); code != exitOK {
		return code
	}
	if len(rep.Unreadable) > 0 {
		return fail(e, "errors", fmt.Errorf("%d object(s) could not be read (listed above)", len(rep.Unreadable)))
	}
	return exitOK
}

// writeErrorsText prints the report: a summary line, the groups as a table, then what could
// not be read.
func writeErrorsText(w io.Writer, r *recovery.ErrorsReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "error objects in s3://%s written since %s: %d objects (%d read, %d bytes), %d records\n",
		r.Bucket, r.Since.Format(time.RFC3339), r.Objects, r.ObjectsRead, r.Bytes, r.Records)
	if len(r.Groups) > 0 {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "\nTYPE\tCODE\tRECORDS\tOBJECTS\tREDRIVEN\tFIRST\tLAST\tEXAMPLE EVENT_IDS\tMESSAGE")
		for _, g := range r.Groups {
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", g.ErrorOutputType, dash(g.ErrorCode), g.Records, g.Objects, g.Redriven,
				g.First.Format(time.RFC3339), g.Last.Format(time.RFC3339), examples(g), dash(g.Message))
		}
		_ = tw.Flush() // into a strings.Builder: never fails
	}
	if r.ObjectsRead < r.Objects {
		fmt.Fprintf(&b, "\n%d more objects were not read (raise --max-objects)\n", r.Objects-r.ObjectsRead)
	}
	for _, u := range r.Unreadable {
		fmt.Fprintf(&b, "\nunreadable: %s: %s", u.Key, u.Reason)
	}
	if len(r.Unreadable) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// examples renders a group's event ids and what could not be read from its records.
func examples(g recovery.ErrorGroup) string {
	parts := []string{strings.Join(g.ExampleEventIDs, ",")}
	if g.NotJSON > 0 {
		parts = append(parts, fmt.Sprintf("%d not JSON", g.NotJSON))
	}
	if g.WithoutEventID > 0 {
		parts = append(parts, fmt.Sprintf("%d without event_id", g.WithoutEventID))
	}
	if parts[0] == "" {
		parts = parts[1:]
	}
	return dash(strings.Join(parts, "; "))
}
