package main

import (
	"context"
	"fmt"
	"time"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/recovery"
)

const replayDescription = `
Re-sends the raw backups of a time range into the stream, for a backfill after a transform
fix: every source record Firehose kept under raw/ (gzipped, concatenated without a delimiter;
split at JSON object boundaries) for the UTC hours [--from, --to). Objects are selected by the
hour in their key, which is when Firehose received the object's oldest record (arrival time,
not event time); the hour after --to is not read even if it holds events of the range.

WARNING: records that already reached the lake are stored twice. The saved queries
deduplicate on event_id, so their results do not change; raw row counts and the bytes Athena
scans do. Replay what failed with redrive instead when you can.

Each object gets a marker (redrive/markers/<object key>.json) as its records are
acknowledged, so an interrupted replay resumes without sending anything twice, and a second
replay of the same range sends nothing unless --again is given. Partition keys, removed
pipeline fields, corrupt objects and exit codes are as for redrive (see 'streamlake redrive
--help'). An object that cannot be split into JSON objects is reported and skipped.

Examples:
  streamlake replay --stack prod --from 2026-11-01T00 --to 2026-11-02T00 --dry-run
  streamlake replay --stack prod --from 2026-11-01T00 --to 2026-11-02T00`

// hourLayout is how --from and --to are written: a UTC hour.
const hourLayout = "2006-01-02T15"

// maxReplayHours bounds one replay (a year of hours).
const maxReplayHours = 8784

type replayFlags struct {
	resendFlags
	from, to string
	again    bool
}

func replayFlagSet(e *env) (*flags, *replayFlags) {
	var f replayFlags
	fs := newFlags("replay", "--from HOUR --to HOUR [flags]", replayDescription)
	f.register(fs)
	fs.StringVar(&f.from, "from", "", "first UTC `hour` to replay, as 2026-11-01T00 (required)")
	fs.StringVar(&f.to, "to", "", "UTC `hour` to stop before, as 2026-11-02T00 (required)")
	fs.BoolVar(&f.again, "again", false, "ignore markers: send every record of the range again, also those a previous replay sent")
	return fs, &f
}

// hours parses --from and --to.
func (f *replayFlags) hours() (from, to time.Time, err error) {
	parse := func(name, v string) (time.Time, error) {
		t, err := time.Parse(hourLayout, v)
		if err != nil {
			return time.Time{}, usagef("--%s %q: want a UTC hour as %s, e.g. 2026-11-01T00", name, v, hourLayout)
		}
		return t, nil
	}
	if from, err = parse("from", f.from); err != nil {
		return
	}
	if to, err = parse("to", f.to); err != nil {
		return
	}
	if n := int(to.Sub(from).Hours()); n < 1 || n > maxReplayHours {
		err = usagef("--to %s must be 1..%d hours after --from %s, is %d", f.to, maxReplayHours, f.from, n)
	}
	return
}

func runReplay(ctx context.Context, e *env, args []string) int {
	fs, f := replayFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	from, to, err := f.hours()
	if err != nil {
		return fail(e, "replay", err)
	}
	if err := checkRetry(f.retry); err != nil {
		return fail(e, "replay", err)
	}
	so, _, err := f.lake.chooseDataset(ctx, e)
	if err != nil {
		return fail(e, "replay", err)
	}
	job, target, err := f.prepare(ctx, e, so, recovery.RawRecords)
	if err != nil {
		return fail(e, "replay", err)
	}
	sel, err := job.Lake.SelectRaw(ctx, from, to)
	if err != nil {
		return fail(e, "replay", err)
	}
	job.Prefixes, job.Objects, job.Again = sel.Prefixes, sel.Objects, f.again
	e.errorf("streamlake replay: WARNING: records of these hours already in the lake will be stored twice; " +
		"the saved queries deduplicate on event_id, raw row counts and scanned bytes grow\n")
	source := fmt.Sprintf("s3://%s/%s hours %s..%s UTC", job.Lake.Bucket, awsrules.StaticPrefix(job.Lake.Prefixes.Raw), f.from, f.to)
	return runJob(ctx, e, "replay", &f.resendFlags, job, source, target)
}
