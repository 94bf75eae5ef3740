package recovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
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

// objState is one object being sent.
type objState struct {
	obj     Object
	records int
	// acked holds ordinals acknowledged (earlier runs included); queued those handed to the
	// producer in this run (a dry run's "would send").
	acked, queued []bool
	pending       int
	ackedNow      int
	dirty         bool
}

// complete reports whether every record is in done or already acknowledged.
func (st *objState) complete(done []bool) bool {
	for n := 1; n <= st.records; n++ {
		if !st.acked[n] && !done[n] {
			return false
		}
	}
	return true
}

// source yields the records of the job's objects, one object after the other, and skips
// what cannot or need not be sent.
type source struct {
	job     *Job
	rep     *Report
	marked  map[string]bool
	ctx     context.Context
	next    int
	cur     []producer.Record
	states  []*objState
	refs    map[string]ref
	stopped atomic.Bool
	read    atomic.Int64

	// mu guards refs and the states' acknowledgments (the producer's senders update them),
	// and the tracker's list of objects whose marker could not be written.
	mu       sync.Mutex
	unmarked []string
	markErrs []string
}

// ref locates a record handed to the producer.
type ref struct {
	st      *objState
	ordinal int
}

func (s *source) stop() { s.stopped.Store(true) }

// Next implements producer.Source.
func (s *source) Next() (producer.Record, error) {
	for {
		if s.stopped.Load() || s.ctx.Err() != nil {
			return producer.Record{}, io.EOF // the rest of the object waits for the next run
		}
		if len(s.cur) > 0 {
			break
		}
		if s.next >= len(s.job.Objects) {
			return producer.Record{}, io.EOF
		}
		obj := s.job.Objects[s.next]
		s.next++
		s.prepare(obj)
		s.read.Add(1)
	}
	r := s.cur[0]
	s.cur = s.cur[1:]
	ref := s.refs[r.ID] // written by this goroutine only
	ref.st.queued[ref.ordinal] = true
	s.rep.Records.ToSend++
	return r, nil
}

func (s *source) skip(key, format string, a ...any) {
	s.rep.Objects.Skipped++
	s.rep.Skipped = append(s.rep.Skipped, Skip{Key: key, Reason: fmt.Sprintf(format, a...)})
}

// prepare reads one object and queues the records to send.
func (s *source) prepare(obj Object) {
	if reason := s.unsendable(obj); reason != "" {
		s.skip(obj.Key, "%s", reason)
		return
	}
	prior, done := s.priorAcks(obj)
	if done {
		s.rep.Objects.AlreadyDone++
		return
	}
	items, err := s.items(obj)
	if err != nil && s.ctx.Err() != nil {
		return // interrupted while reading: the object is left as it was
	}
	if err != nil {
		s.skip(obj.Key, "%v", err)
		return
	}
	st := &objState{obj: obj, records: len(items), queued: make([]bool, len(items)+1)}
	st.acked, err = prior.Set(len(items))
	if err != nil {
		s.rep.Warnings = append(s.rep.Warnings, fmt.Sprintf("%s: marker ignored: %v", obj.Key, err))
		st.acked = make([]bool, len(items)+1)
	}
	s.rep.Records.Read += len(items)
	for _, it := range items {
		switch {
		case st.acked[it.Ordinal]:
			s.rep.Records.AlreadySent++
		case s.job.ErrorCode != "" && it.ErrorCode != s.job.ErrorCode:
			s.rep.Records.Filtered++
		default:
			s.queue(st, it)
		}
	}
	s.states = append(s.states, st)
}

// queue hands one record to the producer.
func (s *source) queue(st *objState, it Item) {
	p := s.job.Fields.Parse(it.Data)
	if p.Fallback {
		s.rep.Records.FallbackKey++
	}
	if len(p.Removed) > 0 {
		s.rep.Records.PipelineFieldsRemoved++
	}
	id := fmt.Sprintf("%s#%d", st.obj.Key, it.Ordinal)
	s.mu.Lock()
	if s.refs == nil {
		s.refs = map[string]ref{}
	}
	s.refs[id] = ref{st: st, ordinal: it.Ordinal}
	st.pending++
	s.mu.Unlock()
	s.cur = append(s.cur, producer.Record{ID: id, PartitionKey: p.PartitionKey, Data: p.Data})
}

// unsendable says why an object cannot be sent, or "".
func (s *source) unsendable(obj Object) string {
	if archived(obj.StorageClass) {
		return fmt.Sprintf("archived in %s: restore it first (aws s3api restore-object), then run again", obj.StorageClass)
	}
	if s.job.Kind != ErrorRecords {
		return ""
	}
	v, _, ok := firehoseprefix.Match(s.job.Lake.Prefixes.Errors, obj.Key)
	switch {
	case !ok:
		return fmt.Sprintf("not an error object: its key does not match the error prefix %s", s.job.Lake.Prefixes.Errors)
	case !slices.Contains(Redrivable, v.ErrorOutputType):
		return fmt.Sprintf("error output type %s is not redriven (only %v)", v.ErrorOutputType, Redrivable)
	}
	return ""
}

// priorAcks reads the object's marker: the acknowledged ordinals, and whether it is complete.
func (s *source) priorAcks(obj Object) (Ranges, bool) {
	if !s.marked[obj.Key] {
		return nil, false
	}
	m, err := s.job.Lake.ReadMarker(s.ctx, obj.Key)
	switch {
	case err != nil:
		s.rep.Warnings = append(s.rep.Warnings, fmt.Sprintf("%s: marker unreadable, all records are sent: %v", obj.Key, err))
		return nil, false
	case m.ETag != obj.ETag:
		s.rep.Warnings = append(s.rep.Warnings, fmt.Sprintf("%s: replaced since its marker (ETag %s, marker %s): all records are sent", obj.Key, obj.ETag, m.ETag))
		return nil, false
	}
	return m.Sent, m.Complete
}

// items reads and decodes an object.
func (s *source) items(obj Object) ([]Item, error) {
	body, err := s.job.Lake.Read(s.ctx, obj.Key)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "InvalidObjectState" {
		return nil, fmt.Errorf("archived (%s): restore it first (aws s3api restore-object), then run again", ae.ErrorCode())
	}
	if err != nil {
		return nil, err
	}
	if s.job.Kind == RawRecords {
		return SplitRaw(body)
	}
	items, _, err := DecodeErrorObject(body)
	return items, err
}
