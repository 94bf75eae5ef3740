package recovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/producer"
)

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
	cur     []queued
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
	q := s.cur[0]
	s.cur = s.cur[1:]
	q.st.queued[q.ordinal] = true
	s.rep.Records.ToSend++
	if q.fallback {
		s.rep.Records.FallbackKey++
	}
	if q.removed {
		s.rep.Records.PipelineFieldsRemoved++
	}
	return q.rec, nil
}

// queued is a record of the current object, waiting to be handed to the producer.
type queued struct {
	rec               producer.Record
	st                *objState
	ordinal           int
	fallback, removed bool
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
	id := fmt.Sprintf("%s#%d", st.obj.Key, it.Ordinal)
	s.mu.Lock()
	if s.refs == nil {
		s.refs = map[string]ref{}
	}
	s.refs[id] = ref{st: st, ordinal: it.Ordinal}
	st.pending++
	s.mu.Unlock()
	s.cur = append(s.cur, queued{rec: producer.Record{ID: id, PartitionKey: p.PartitionKey, Data: p.Data},
		st: st, ordinal: it.Ordinal, fallback: p.Fallback, removed: len(p.Removed) > 0})
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
