package recovery

import (
	"context"
	"time"

	"github.com/streamlake/streamlake/producer"
)

// markerTimeout bounds one marker write; it runs even after an interruption.
const markerTimeout = 30 * time.Second

// tracker is the producer.Putter the producer sends through: it learns from each answer
// which records the stream acknowledged, and writes an object's marker as soon as all its
// records handed to the producer are acknowledged.
type tracker struct {
	src *source
	p   producer.Putter
	ctx context.Context
}

// Limits implements producer.Putter.
func (t *tracker) Limits() producer.Limits { return t.p.Limits() }

// Put implements producer.Putter.
func (t *tracker) Put(ctx context.Context, recs []producer.Record) (producer.Result, error) {
	res, err := t.p.Put(ctx, recs)
	if err != nil {
		return res, err
	}
	notStored := make([]bool, len(recs))
	for _, f := range append(res.Retry, res.Rejected...) {
		if f.Index >= 0 && f.Index < len(recs) {
			notStored[f.Index] = true
		}
	}
	var finished []*objState
	s := t.src
	s.mu.Lock()
	for i, r := range recs {
		ref, ok := s.refs[r.ID]
		if notStored[i] || !ok || ref.st.acked[ref.ordinal] {
			continue
		}
		delete(s.refs, r.ID) // only records in flight stay in memory
		ref.st.acked[ref.ordinal] = true
		ref.st.ackedNow++
		ref.st.pending--
		ref.st.dirty = true
		if ref.st.pending == 0 {
			finished = append(finished, ref.st)
		}
	}
	s.mu.Unlock()
	for _, st := range finished {
		t.mark(st)
	}
	return res, nil
}

// mark writes st's marker if it has acknowledgments not yet written. A failed write stops
// the source: records sent without a marker would be sent again by the next run.
func (t *tracker) mark(st *objState) {
	s := t.src
	s.mu.Lock()
	if !st.dirty {
		s.mu.Unlock()
		return
	}
	st.dirty = false
	m := Marker{
		Object: st.obj.Key, ETag: st.obj.ETag, Records: st.records, Sent: RangesOf(st.acked),
		Complete: st.complete(st.acked), Stream: s.job.Stream, UpdatedAt: s.job.Now().UTC(),
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), markerTimeout)
	defer cancel()
	if err := s.job.Lake.WriteMarker(ctx, m); err != nil {
		s.stop()
		s.mu.Lock()
		st.dirty = true
		s.unmarked = append(s.unmarked, st.obj.Key)
		s.markErrs = append(s.markErrs, err.Error())
		s.mu.Unlock()
	}
}

// finish writes the markers of objects with acknowledgments not yet written (records that
// failed, were filtered out, or were cut off, and markers whose write failed during the run),
// after the producer returned.
func (t *tracker) finish() {
	s := t.src
	s.unmarked = nil
	for _, st := range s.states {
		t.mark(st)
	}
	s.rep.Unmarked = append(s.rep.Unmarked, s.unmarked...)
	if len(s.unmarked) > 0 {
		s.rep.Warnings = append(s.rep.Warnings, "markers could not be written, a new run would send these objects' records again: "+s.markErrs[len(s.markErrs)-1])
	}
}
