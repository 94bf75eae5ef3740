package recovery

import (
	"context"
	"math"
	"time"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/producer"
)

// Kind says what an object holds.
type Kind int

const (
	// ErrorRecords are Firehose error objects (redrive).
	ErrorRecords Kind = iota
	// RawRecords are raw backups (replay).
	RawRecords
)

// Redrivable are the error output types whose records redrive sends: the two AWS documents
// (the others are the S3 delivery's own failures, whose records may have reached the lake).
var Redrivable = []string{firehoserec.ProcessingFailed, firehoserec.FormatConversionFailed}

// DefaultDrainTimeout is how long an interrupted run may finish the batches it started.
const DefaultDrainTimeout = 30 * time.Second

// Job is one redrive or replay.
type Job struct {
	Lake *Lake
	Kind Kind
	// Prefixes are the listing prefixes Objects came from; markers are listed under the same.
	Prefixes []string
	Objects  []Object
	Fields   Fields
	// ErrorCode, if set, sends only error records with this code.
	ErrorCode string
	// Putter sends the records; nil is a dry run (nothing sent, no marker written).
	Putter producer.Putter
	// Stream names the target in markers.
	Stream string
	// Again ignores markers: every record is sent, and markers are rewritten.
	Again bool
	// Options are the producer's (Concurrency, Retry); Progress is set by Run.
	Options producer.RunOptions
	// DrainTimeout bounds the finishing of started batches after ctx ends; 0 is the default.
	DrainTimeout time.Duration
	// Progress, if set, is called while records are sent.
	Progress func(Progress)
	// Now stamps markers; nil is time.Now.
	Now func() time.Time
}

// Progress is how far a run is.
type Progress struct {
	Objects, ObjectsRead int
	Send                 producer.Summary
}

// Report is what a run did.
type Report struct {
	DryRun      bool         `json:"dry_run"`
	Stream      string       `json:"stream"`
	Objects     ObjectCounts `json:"objects"`
	Records     RecordCounts `json:"records"`
	Skipped     []Skip       `json:"skipped"`
	Warnings    []string     `json:"warnings"`
	Unmarked    []string     `json:"unmarked_objects"`
	Interrupted bool         `json:"interrupted"`
	// Send is the producer's summary (nil on a dry run).
	Send  *producer.Summary `json:"send,omitempty"`
	Error string            `json:"error,omitempty"`
}

// ObjectCounts count objects by outcome.
type ObjectCounts struct {
	Listed int `json:"listed"`
	// AlreadyDone had a complete marker.
	AlreadyDone int `json:"already_done"`
	// Completed are complete now (on a dry run: would be).
	Completed int `json:"completed"`
	// Partial still have records not acknowledged (failed, filtered out, interrupted).
	Partial int `json:"partial"`
	Skipped int `json:"skipped"`
}

// RecordCounts count records.
type RecordCounts struct {
	// Read are the records of the objects read.
	Read int `json:"read"`
	// AlreadySent were acknowledged in an earlier run (partial markers).
	AlreadySent int `json:"already_sent"`
	// Filtered have another error code than the one asked for.
	Filtered int `json:"filtered_out"`
	// ToSend were handed to the producer (dry run: would be).
	ToSend int `json:"to_send"`
	// Acknowledged by the stream in this run.
	Acknowledged int `json:"acknowledged"`
	// Failed were not acknowledged after their retries, or not sent because the run stopped.
	Failed int `json:"failed"`
	// FallbackKey were sent with FallbackKey (not JSON, or no partition key field).
	FallbackKey int `json:"fallback_partition_key"`
	// PipelineFieldsRemoved had pipeline fields (ingested_at) removed.
	PipelineFieldsRemoved int `json:"pipeline_fields_removed"`
}

// Skip is an object not sent, and why.
type Skip struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// OK reports whether every selected record was sent: nothing skipped, failed, unmarked or
// cut short. Records left out by ErrorCode are not a failure.
func (r *Report) OK() bool {
	return r.Objects.Skipped == 0 && r.Records.Failed == 0 && len(r.Unmarked) == 0 && !r.Interrupted && r.Error == ""
}

// Run sends the records of the job's objects (or counts them, on a dry run), marking each
// object as its records are acknowledged. The error is for a run that could not start; what
// went wrong once it ran is in the report.
func Run(ctx context.Context, job Job) (*Report, error) {
	if job.Now == nil {
		job.Now = time.Now
	}
	if job.DrainTimeout <= 0 {
		job.DrainTimeout = DefaultDrainTimeout
	}
	rep := &Report{DryRun: job.Putter == nil, Stream: job.Stream, Skipped: []Skip{}, Warnings: []string{}, Unmarked: []string{}}
	rep.Objects.Listed = len(job.Objects)
	marked := map[string]bool{}
	if !job.Again {
		for _, p := range job.Prefixes {
			keys, err := job.Lake.MarkedKeys(ctx, p)
			if err != nil {
				return nil, err
			}
			for k := range keys {
				marked[k] = true
			}
		}
	}
	src := &source{job: &job, rep: rep, marked: marked}
	if rep.DryRun {
		src.ctx = ctx
		return dryRun(src)
	}
	return send(ctx, src)
}

// dryRun reads every object as a run would and counts what it would send.
func dryRun(src *source) (*Report, error) {
	for {
		if _, err := src.Next(); err != nil {
			break
		}
	}
	rep := src.rep
	for _, st := range src.states {
		if st.complete(st.queued) {
			rep.Objects.Completed++
		} else {
			rep.Objects.Partial++
		}
	}
	if src.ctx.Err() != nil {
		rep.Interrupted = true
	}
	return rep, nil
}

// send runs the producer over the source. Interruption (ctx ending) stops the source; the
// producer's own context ends only DrainTimeout later, so started batches finish and are
// marked.
func send(ctx context.Context, src *source) (*Report, error) {
	job, rep := src.job, src.rep
	runCtx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	src.ctx = ctx
	stopWatch := context.AfterFunc(ctx, func() {
		src.stop()
		time.AfterFunc(job.DrainTimeout, hardStop)
	})
	defer stopWatch()
	tr := &tracker{src: src, p: job.Putter, ctx: runCtx}
	opts := job.Options
	// The source ends itself (io.EOF); a Count satisfies Run's guard against endless sources.
	opts.Count, opts.Duration = math.MaxInt, 0
	if job.Progress != nil {
		opts.Progress = func(s producer.Summary) {
			job.Progress(Progress{Objects: len(job.Objects), ObjectsRead: int(src.read.Load()), Send: s})
		}
	}
	sum, runErr := producer.Run(runCtx, src, tr, opts)
	rep.Send = &sum
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	tr.finish()
	rep.Interrupted = ctx.Err() != nil
	if len(src.markErrs) > 0 && rep.Error == "" {
		rep.Error = "stopped taking new objects: a marker could not be written: " + src.markErrs[0]
	}
	for _, st := range src.states {
		switch {
		case st.complete(st.acked):
			rep.Objects.Completed++
		default:
			rep.Objects.Partial++
		}
		rep.Records.Acknowledged += st.ackedNow
	}
	rep.Records.Failed = rep.Records.ToSend - rep.Records.Acknowledged
	return rep, nil
}
