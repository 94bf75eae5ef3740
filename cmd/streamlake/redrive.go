package main

import (
	"context"

	"github.com/streamlake/streamlake/internal/recovery"
)

const redriveDescription = `
Sends the records Firehose could not deliver back into the stream, once the cause is fixed.
Reads every error object under --prefix (an S3 prefix under errors/; this stack's layout is
errors/<type>/year=YYYY/month=MM/day=DD/hour=HH/), decodes its records (processing-failed and
format-conversion-failed, as AWS documents them) and re-sends each record's original data
with PutRecords, in batches, re-sending only what the stream refused, with backoff.

Partition key: the record's user_id, as the ingest API sets it; a record that is not JSON or
has none gets "sha256:" and 32 hex digits of its data's SHA-256. ingested_at, which the
transform sets and refuses from producers, is removed (format-conversion-failed records carry
the transform's output): the record gets a new ingested_at when it arrives.

Exactly once per object: each object gets a marker (redrive/markers/<object key>.json in the
lake bucket) listing the records the stream acknowledged, written as soon as they all are, and
at the end for objects with records left. A second run sends nothing; a run interrupted (Ctrl-C)
finishes the batches in flight, saves its markers and resumes on the next run, inside an object
if need be. Records can still be stored twice by a lost PutRecords response (retried) or a
process killed before its markers were written; every copy keeps its event_id, and the saved
queries count an event_id once.

An object that does not decode (a bad JSON line, bad base64, gzip garbage) is reported and
skipped; so are objects of other output types and archived ones. Exit status 0 when every
selected record was sent (or is already marked), 1 when anything was skipped, failed or
interrupted, 2 on a usage error. Check first with --dry-run (reads, sends nothing).

Examples:
  streamlake redrive --stack prod --prefix errors/processing-failed/year=2026/month=11/day=25/ --dry-run
  streamlake redrive --stack prod --prefix errors/processing-failed/year=2026/month=11/day=25/
  streamlake redrive --stack prod --prefix errors/ --error-code Lambda.ProcessingFailedStatus`

type redriveFlags struct {
	resendFlags
	prefix, errorCode string
}

func redriveFlagSet(e *env) (*flags, *redriveFlags) {
	var f redriveFlags
	fs := newFlags("redrive", "--prefix PREFIX [flags]", redriveDescription)
	f.register(fs)
	fs.StringVar(&f.prefix, "prefix", "", "S3 `prefix` of the error objects to redrive (required), e.g. errors/processing-failed/year=2026/month=11/day=25/")
	fs.StringVar(&f.errorCode, "error-code", "", "send only records with this error `code` (errorCode, or lastErrorCode); the others stay for a later run")
	return fs, &f
}

func runRedrive(ctx context.Context, e *env, args []string) int {
	fs, f := redriveFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	if f.prefix == "" {
		return fail(e, "redrive", usagef("--prefix is required (e.g. errors/processing-failed/year=2026/month=11/day=25/)"))
	}
	if err := checkRetry(f.retry); err != nil {
		return fail(e, "redrive", err)
	}
	so, prefixes, err := f.lake.chooseDataset(ctx, e)
	if err != nil {
		return fail(e, "redrive", err)
	}
	// The dataset's error folder (errors/ for the default, errors/<name>/ for another).
	if err := prefixes.CheckErrorPrefix(f.prefix); err != nil {
		return fail(e, "redrive", usagef("--prefix: %v", err))
	}
	job, target, err := f.prepare(ctx, e, so, recovery.ErrorRecords)
	if err != nil {
		return fail(e, "redrive", err)
	}
	sel, err := job.Lake.SelectPrefix(ctx, f.prefix)
	if err != nil {
		return fail(e, "redrive", err)
	}
	job.Prefixes, job.Objects, job.ErrorCode = sel.Prefixes, sel.Objects, f.errorCode
	if len(sel.Objects) == 0 {
		e.errorf("streamlake redrive: no objects under s3://%s/%s (this stack's error objects are under %s)\n", job.Lake.Bucket, f.prefix, job.Lake.Prefixes.Errors)
	}
	return runJob(ctx, e, "redrive", &f.resendFlags, job, "s3://"+job.Lake.Bucket+"/"+f.prefix, target)
}
