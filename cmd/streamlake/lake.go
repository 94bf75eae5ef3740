package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/internal/recovery"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// lakeFlags are the flags of the commands that read the lake: errors, redrive, replay.
type lakeFlags struct {
	aws            awsFlags
	stack, outputs string
	bucket         string
	json           bool
	dataset        datasetFlag
	// schema and prefixes are the chosen dataset's, once chooseDataset ran.
	schema   *schema.Schema
	prefixes recovery.Prefixes
}

func (f *lakeFlags) register(fs *flags) {
	f.aws.register(fs)
	fs.StringVar(&f.stack, "stack", "", "Pulumi `stack` whose outputs supply names not given as flags (default: the selected stack)")
	fs.StringVar(&f.outputs, "outputs", "", "read stack outputs from `file` (saved 'pulumi stack output --json --show-secrets') instead of running pulumi")
	fs.StringVar(&f.bucket, "bucket", "", "lake `bucket`; default: stack output bucketName")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	f.dataset.register(fs)
}

// chooseDataset resolves the stack outputs and the dataset, whose folders the command reads
// (its Prefixes, which it may check before anything is opened).
func (f *lakeFlags) chooseDataset(ctx context.Context, e *env) (*stackOutputs, recovery.Prefixes, error) {
	so := newStackOutputs(e, f.stack, f.outputs)
	ds, err := f.dataset.choose(ctx, so)
	if err != nil {
		return nil, recovery.Prefixes{}, err
	}
	f.schema, f.prefixes = ds.Schema, recovery.DatasetPrefixes(ds.Name, ds.Schema)
	return so, f.prefixes, nil
}

// openLake resolves the bucket and the AWS configuration of the dataset chooseDataset chose.
func (f *lakeFlags) openLake(ctx context.Context, e *env, so *stackOutputs) (*recovery.Lake, aws.Config, error) {
	bucket, err := so.pick(ctx, e, f.bucket, "bucket", "", outBucket)
	if err != nil {
		return nil, aws.Config{}, err
	}
	if !bucketRE.MatchString(bucket) {
		return nil, aws.Config{}, usagef("bucket %q is not a valid bucket name (%s)", bucket, bucketRE)
	}
	cfg, err := loadAWS(ctx, so.region(ctx, f.aws.region), f.aws.endpoint)
	if err != nil {
		return nil, aws.Config{}, err
	}
	return &recovery.Lake{Client: lakeS3(cfg), Bucket: bucket, Prefixes: f.prefixes}, cfg, nil
}

// lakeS3 is s3Client without the SDK's log line for every object that has no checksum to
// validate (objects Firehose wrote have none).
func lakeS3(cfg aws.Config) *s3.Client {
	o := s3Client(cfg).Options()
	o.DisableLogOutputChecksumValidationSkipped = true
	return s3.New(o)
}

// recordFields are the fields recovery reads of the dataset's events (chooseDataset chose it).
func (f *lakeFlags) recordFields() recovery.Fields {
	return recovery.FieldsOf(f.schema, producer.IDField)
}

// resendFlags are the flags of the commands that send records again: redrive and replay.
type resendFlags struct {
	lake        lakeFlags
	stream      string
	dryRun      bool
	concurrency int
	retry       producer.RetryPolicy
	noProgress  bool
}

// maxResendConcurrency bounds redrive's and replay's PutRecords requests in flight.
const maxResendConcurrency = 64

func (f *resendFlags) register(fs *flags) {
	f.lake.register(fs)
	fs.StringVar(&f.stream, "to-stream", "", "Kinesis stream `name` to send the records to; default: stack output streamName")
	fs.BoolVar(&f.dryRun, "dry-run", false, "read everything and report what would be sent; send nothing, write no marker")
	fs.intVar(&f.concurrency, "concurrency", 4, 1, maxResendConcurrency, "`n` PutRecords requests in flight at once")
	registerRetry(fs, &f.retry)
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (it is shown only on a terminal anyway)")
}

// prepare opens the lake and, unless this is a dry run, the stream; it fills the job's
// common fields.
func (f *resendFlags) prepare(ctx context.Context, e *env, so *stackOutputs, kind recovery.Kind) (recovery.Job, string, error) {
	lake, cfg, err := f.lake.openLake(ctx, e, so)
	if err != nil {
		return recovery.Job{}, "", err
	}
	stream, err := so.pick(ctx, e, f.stream, "to-stream", "", outStream)
	if err != nil {
		return recovery.Job{}, "", err
	}
	job := recovery.Job{
		Lake: lake, Kind: kind, Fields: f.lake.recordFields(), Stream: stream,
		Options: producer.RunOptions{Concurrency: f.concurrency, Retry: f.retry},
	}
	target := fmt.Sprintf("Kinesis stream %s (%s, PutRecords)", stream, cfg.Region)
	if !f.dryRun {
		job.Putter = &producer.KinesisPutter{Client: kinesisForSend(cfg), Stream: stream}
	}
	return job, target, nil
}

// runJob runs a redrive or replay, prints its report and returns the exit code: 0 when
// everything selected was sent (or, on a dry run, could be), 1 otherwise.
func runJob(ctx context.Context, e *env, name string, f *resendFlags, job recovery.Job, source, target string) int {
	var bar *jobBar
	if e.isTerminal && !f.noProgress && !f.dryRun {
		bar = &jobBar{progressBar{w: e.stderr, start: time.Now()}}
		job.Progress = bar.update
	}
	rep, err := recovery.Run(ctx, job)
	if bar != nil {
		bar.done() // before the summary, on the same terminal
	}
	if err != nil {
		return fail(e, name, err)
	}
	if rep.Interrupted {
		e.errorf("streamlake %s: interrupted: the batches in flight were finished and progress saved; run the same command again to resume\n", name)
	}
	out := jobOutput{Command: name, Source: source, Target: target, OK: rep.OK(), Report: rep}
	var werr error
	if f.lake.json {
		werr = writeJSON(e.stdout, out)
	} else {
		werr = out.writeText(e.stdout)
	}
	if code := printed(e, name, werr); code != exitOK {
		return code
	}
	if !out.OK {
		return exitFail
	}
	return exitOK
}

// jobOutput is a redrive's or replay's result, as printed.
type jobOutput struct {
	Command string `json:"command"`
	Source  string `json:"source"`
	Target  string `json:"target"`
	OK      bool   `json:"ok"`
	*recovery.Report
}

func (o jobOutput) writeText(w io.Writer) error {
	r := o.Report
	var b strings.Builder
	verb := "sent"
	if r.DryRun {
		verb = "would send"
		fmt.Fprintf(&b, "dry run: nothing is sent, no marker written\n")
	}
	fmt.Fprintf(&b, "%s %s -> %s\n", o.Command, o.Source, o.Target)
	fmt.Fprintf(&b, "objects   %d listed: %d completed, %d already done (markers), %d partial, %d skipped\n",
		r.Objects.Listed, r.Objects.Completed, r.Objects.AlreadyDone, r.Objects.Partial, r.Objects.Skipped)
	fmt.Fprintf(&b, "records   %d read: %d %s", r.Records.Read, r.Records.ToSend, verb)
	if !r.DryRun {
		fmt.Fprintf(&b, ", %d acknowledged, %d failed", r.Records.Acknowledged, r.Records.Failed)
	}
	fmt.Fprintf(&b, ", %d already sent earlier, %d filtered out\n", r.Records.AlreadySent, r.Records.Filtered)
	if r.Records.PipelineFieldsRemoved+r.Records.FallbackKey > 0 {
		fmt.Fprintf(&b, "          %d with pipeline fields removed (a new ingested_at is set), %d with a fallback partition key\n",
			r.Records.PipelineFieldsRemoved, r.Records.FallbackKey)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped   %s: %s\n", s.Key, s.Reason)
	}
	for _, k := range r.Unmarked {
		fmt.Fprintf(&b, "unmarked  %s (sent; a new run sends its records again)\n", k)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning   %s\n", wn)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "error     %s\n", r.Error)
	}
	if r.Send != nil && r.Send.Events > 0 {
		b.WriteString(r.Send.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jobBar draws one self-overwriting progress line on a terminal, by objects read (stderr: a
// failed draw is ignored). It shares send's bar's lock and clean-up.
type jobBar struct{ progressBar }

func (p *jobBar) update(pr recovery.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	const width = 28
	n := 0
	if pr.Objects > 0 {
		n = width * pr.ObjectsRead / pr.Objects
	}
	rate := float64(pr.Send.Delivered) / max(time.Since(p.start).Seconds(), 1e-9)
	_, _ = fmt.Fprintf(p.w, "\r[%s%s] %d/%d objects  %d acknowledged  %.0f/s  retries %d  failed %d\x1b[K",
		strings.Repeat("#", n), strings.Repeat(".", width-n), pr.ObjectsRead, pr.Objects, pr.Send.Delivered, rate, pr.Send.Retries, pr.Send.Failed)
	p.drawn = true
}
