package producer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Putter makes one request carrying a batch of records, and says which records the service
// did not store. It does not retry: Run does, re-sending only what failed.
type Putter interface {
	// Limits bound one request.
	Limits() Limits
	// Put sends recs in one request. A nil error means the service answered for every record:
	// those not listed in the Result were stored. An error means the request failed as a
	// whole; it should be a *RequestError that says whether to retry.
	Put(ctx context.Context, recs []Record) (Result, error)
}

// Result is a service's per-record answer to a request.
type Result struct {
	// Retry lists records that were not stored and may be sent again (throttled, internal).
	Retry []Failure
	// Rejected lists records the service refused for good (the caller's fault).
	Rejected []Failure
	// RetryAfter is the wait the service asked for, if any.
	RetryAfter time.Duration
}

// Failure is one record a request did not store.
type Failure struct {
	Index     int // into the request's records
	Code      string
	Message   string
	Throttled bool
}

// Action says what to do after a request failed as a whole.
type Action int

const (
	// Retry the whole request with backoff: nothing was stored (or the answer was lost, in
	// which case a retry may store duplicates; they keep their event_id).
	Retry Action = iota
	// Reject gives up on this request's records: the service refused them (bad request).
	Reject
	// Abort stops the run: no request can succeed (bad key, missing stream, no permission).
	Abort
)

// RequestError is a request that failed as a whole.
type RequestError struct {
	Action     Action
	Code       string // service error code, or an HTTP status, or "network" (codeNetwork)
	Message    string
	Status     int // HTTP status, 0 if there was no response
	Throttled  bool
	RetryAfter time.Duration
	Err        error
}

func (e *RequestError) Error() string {
	s := e.Code
	if e.Status != 0 {
		s = fmt.Sprintf("%s (HTTP %d)", s, e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *RequestError) Unwrap() error { return e.Err }

// reason labels the records of a failed request: its code, and for a request without an
// answer why, in words and naming the server ("network: connection refused by host:port").
func (e *RequestError) reason() string {
	if e.Code == codeNetwork {
		if why := networkCause(e.Err); why != "" {
			return e.Code + ": " + why
		}
	}
	return e.Code
}

// asRequestError treats an unclassified error as a retryable network failure.
func asRequestError(err error) *RequestError {
	var re *RequestError
	if errors.As(err, &re) {
		return re
	}
	return &RequestError{Action: Retry, Code: "error", Message: err.Error(), Err: err}
}

// Source yields records to send; io.EOF ends it.
type Source interface {
	Next() (Record, error)
}

// SliceSource yields recs in order.
func SliceSource(recs []Record) Source { return &sliceSource{recs: recs} }

type sliceSource struct {
	recs []Record
	i    int
}

func (s *sliceSource) Next() (Record, error) {
	if s.i >= len(s.recs) {
		return Record{}, io.EOF
	}
	s.i++
	return s.recs[s.i-1], nil
}

// RunOptions shape a run. Count, Duration and the source's end each stop generating; the
// first to be reached wins. In-flight records are still delivered.
type RunOptions struct {
	// Count is how many events to send; 0 is no limit.
	Count int
	// Rate is the target events per second; 0 sends as fast as the service accepts.
	Rate float64
	// Duration stops generating after this long; 0 is no limit.
	Duration time.Duration
	// Concurrency is how many requests are in flight at once; default 4.
	Concurrency int
	// Linger is how long a partly filled batch waits for more events; default 50 ms.
	Linger time.Duration
	Retry  RetryPolicy
	// Progress, if set, is called every ProgressEvery (default 200 ms) with counters so far
	// (latency percentiles are left empty: they cost a sort).
	Progress      func(Summary)
	ProgressEvery time.Duration
	// Stats collects the counters; Run makes one if nil.
	Stats *Stats
}

// errNoLimit: a run of an endless source must have Count or Duration.
var errNoLimit = errors.New("producer: a run needs Count or Duration unless its source is a SliceSource")

// withDefaults fills in defaults and checks the options for a run of src.
func (o RunOptions) withDefaults(src Source) (RunOptions, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Linger <= 0 {
		o.Linger = 50 * time.Millisecond
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 200 * time.Millisecond
	}
	if o.Retry.MaxAttempts == 0 && o.Retry.BaseDelay == 0 && o.Retry.MaxDelay == 0 {
		o.Retry = DefaultRetryPolicy()
	}
	if err := o.Retry.Validate(); err != nil {
		return o, fmt.Errorf("producer: %w", err)
	}
	if o.Rate < 0 || o.Count < 0 || o.Duration < 0 {
		return o, fmt.Errorf("producer: count, rate and duration must not be negative")
	}
	if _, finite := src.(*sliceSource); o.Count == 0 && o.Duration == 0 && !finite {
		return o, errNoLimit
	}
	if o.Stats == nil {
		o.Stats = NewStats()
	}
	return o, nil
}

// Run sends the records of src through p, batching them within p's limits, and re-sends only
// the records that failed until they are stored or their attempts run out. It returns the
// run's summary; the error is non-nil when the run was aborted (the summary says how far it
// got) or its options are invalid. Undelivered records are counted in Summary.Failed, not
// returned as an error.
//
// A run is a pipeline of stages joined by channels: generate (at the target rate) -> pack
// (into batches within the limits) -> deliver (Concurrency senders, each with retries), and
// a progress reporter beside them.
func Run(ctx context.Context, src Source, p Putter, o RunOptions) (Summary, error) {
	o, err := o.withDefaults(src)
	if err != nil {
		return Summary{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{ctx: ctx, cancel: cancel, o: o, lim: p.Limits(), st: o.Stats}
	s := &sender{p: p, retry: o.Retry, st: o.Stats, abort: cancel}

	records := make(chan Record, 4*r.lim.MaxRecords)
	batches := make(chan []Record, o.Concurrency)
	var wg sync.WaitGroup
	wg.Go(func() { r.generate(src, records) })
	wg.Go(func() { r.pack(records, batches) })
	for range o.Concurrency {
		wg.Go(func() { r.deliver(s, batches) })
	}
	stopProgress := r.reportProgress()
	wg.Wait()
	stopProgress() // no progress call after Run returns
	r.st.finish()
	return r.st.Summary(), r.outcome()
}

// run is one Run's shared state: its context, options, limits and counters.
type run struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	o      RunOptions
	lim    Limits
	st     *Stats
}

// generate reads src at the target rate until Count, Duration or the source's end, and
// hands on every record that can be sent at all.
func (r *run) generate(src Source, records chan<- Record) {
	defer close(records)
	start := time.Now()
	for i := 0; r.o.Count == 0 || i < r.o.Count; i++ {
		if r.o.Duration > 0 && time.Since(start) >= r.o.Duration {
			return
		}
		if !r.pace(start, i) {
			return
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.cancel(&abortError{why: "generating events failed", err: fmt.Errorf("generate events: %w", err)})
			return
		}
		r.st.queued(1)
		if err := r.lim.Check(rec); err != nil {
			r.st.lost([]Record{rec}, err.Error())
			continue
		}
		select {
		case records <- rec:
		case <-r.ctx.Done():
			r.st.lost([]Record{rec}, notSent(r.ctx, r.st))
			return
		}
	}
}

// pace waits until event i is due at the target rate; behind schedule, events go out back to
// back until caught up. It reports false when the run ended meanwhile.
func (r *run) pace(start time.Time, i int) bool {
	if r.o.Rate <= 0 {
		return true
	}
	if d := time.Until(start.Add(time.Duration(float64(i) / r.o.Rate * float64(time.Second)))); d > 0 {
		return sleep(r.ctx, d) == nil
	}
	return true
}

// pack puts records into batches: a batch leaves when full, or Linger after its first record.
func (r *run) pack(records <-chan Record, batches chan<- []Record) {
	defer close(batches)
	b := NewBatcher(r.lim)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	send := func(batch []Record) {
		select {
		case batches <- batch:
		case <-r.ctx.Done():
			r.st.lost(batch, notSent(r.ctx, r.st))
		}
	}
	for {
		select {
		case rec, ok := <-records:
			if !ok {
				if last := b.Flush(); last != nil {
					send(last)
				}
				return
			}
			if full := b.Add(rec); full != nil {
				send(full)
			}
			switch b.Len() {
			case 0:
				linger.Stop()
			case 1:
				linger.Reset(r.o.Linger)
			}
		case <-linger.C:
			if batch := b.Flush(); batch != nil {
				send(batch)
			}
		}
	}
}

// deliver sends batches until there are no more; after the run ended it only counts them.
func (r *run) deliver(s *sender, batches <-chan []Record) {
	for batch := range batches {
		if r.ctx.Err() != nil {
			r.st.lost(batch, notSent(r.ctx, r.st))
			continue
		}
		s.deliver(r.ctx, batch)
	}
}

// reportProgress calls Progress every ProgressEvery until the returned stop is called.
func (r *run) reportProgress() (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.o.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.o.Progress(r.st.counts())
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// outcome is Run's error: why the run was aborted or interrupted, if it was.
func (r *run) outcome() error {
	cause := context.Cause(r.ctx)
	var ab *abortError
	switch {
	case cause == nil:
		return nil
	case errors.As(cause, &ab):
		return cause
	case errors.Is(cause, context.DeadlineExceeded):
		return fmt.Errorf("stopped: %s (%w)", r.st.timeLimitRanOut(), cause)
	}
	return fmt.Errorf("interrupted: %w", cause) // a signal names itself; a plain cancel is "context canceled"
}

// abortError is why a run stopped itself; why is short, for the label of the records it
// then did not send.
type abortError struct {
	why string
	err error
}

func (a *abortError) Error() string { return a.err.Error() }
func (a *abortError) Unwrap() error { return a.err }

// notSent labels records a run did not finish sending because its context ended, by why it
// ended: the run stopped itself (another request failed for good), the caller's deadline
// passed (with the last request failure st saw, which is often why time ran out), or the
// caller interrupted it (a signal: its cause names it).
func notSent(ctx context.Context, st *Stats) string {
	cause := context.Cause(ctx)
	var ab *abortError
	switch {
	case errors.As(cause, &ab):
		return "not sent: the run stopped early (" + ab.why + ")"
	case errors.Is(cause, context.DeadlineExceeded):
		return "not sent: " + st.timeLimitRanOut()
	case cause == nil || errors.Is(cause, context.Canceled):
		return "not sent: interrupted"
	}
	return "not sent: interrupted (" + cause.Error() + ")"
}

// sender delivers one batch with retries.
type sender struct {
	p     Putter
	retry RetryPolicy
	st    *Stats
	abort context.CancelCauseFunc
}

// deliver sends recs until each is stored, refused for good, or out of attempts.
func (s *sender) deliver(ctx context.Context, recs []Record) {
	first := time.Now()
	pending := recs
	for attempt := 1; len(pending) > 0; attempt++ {
		pending = s.attempt(ctx, pending, attempt, first)
	}
}

// attempt sends pending once and returns the records to send again (none: done).
func (s *sender) attempt(ctx context.Context, pending []Record, attempt int, first time.Time) []Record {
	t0 := time.Now()
	res, err := s.p.Put(ctx, pending)
	lat := time.Since(t0)
	if err != nil {
		return s.failedWhole(ctx, pending, attempt, lat, err)
	}
	retry := s.settle(pending, res, lat, first)
	if len(retry) == 0 {
		return nil
	}
	next := make([]Record, len(retry))
	for i, f := range retry {
		next[i] = pending[f.Index]
	}
	if attempt >= s.retry.MaxAttempts {
		s.st.lost(next, fmt.Sprintf("gave up after %d attempts: %s", attempt, retry[0].Code))
		return nil
	}
	for _, f := range retry {
		s.st.retried(1, f.Code, f.Throttled)
	}
	if sleep(ctx, s.retry.Backoff(attempt, res.RetryAfter)) != nil {
		s.st.lost(next, notSent(ctx, s.st))
		return nil
	}
	return next
}

// failedWhole handles a request that failed as a whole: it aborts the run, gives up on the
// records, or returns them to retry after the backoff.
func (s *sender) failedWhole(ctx context.Context, pending []Record, attempt int, lat time.Duration, err error) []Record {
	s.st.request(lat, true, len(pending))
	re := asRequestError(err)
	if ctx.Err() != nil {
		// The deadline cut this request off: an earlier failure, if any, says more.
		s.st.requestFailed(re.reason(), false)
		s.st.lost(pending, notSent(ctx, s.st))
		return nil
	}
	s.st.requestFailed(re.reason(), true)
	switch {
	case re.Action == Abort:
		s.st.lost(pending, "refused: "+re.Error())
		s.abort(&abortError{why: "every request would fail: " + re.Code, err: fmt.Errorf("stopping: every request would fail: %w", re)})
		return nil
	case re.Action == Reject:
		s.st.lost(pending, "rejected: "+re.Error())
		return nil
	case attempt >= s.retry.MaxAttempts:
		// A request that fails as a whole MaxAttempts times in a row is not a passing
		// hiccup (endpoint down, sustained throttling): stop rather than grind on.
		s.st.lost(pending, fmt.Sprintf("gave up after %d attempts: %s", attempt, re.reason()))
		s.abort(&abortError{why: fmt.Sprintf("a request failed %d times in a row", attempt), err: fmt.Errorf("stopping: a request failed %d times in a row: %w", attempt, re)})
		return nil
	}
	s.st.retried(len(pending), re.reason(), re.Throttled)
	if sleep(ctx, s.retry.Backoff(attempt, re.RetryAfter)) != nil {
		s.st.lost(pending, notSent(ctx, s.st))
		return nil
	}
	return pending
}

// settle sorts a per-record answer into stored, rejected and to-retry records, counts them,
// and returns the failures to retry.
func (s *sender) settle(pending []Record, res Result, lat time.Duration, first time.Time) []Failure {
	state := make([]int8, len(pending)) // 0 stored, 1 retry, 2 rejected
	var retry []Failure
	for _, f := range res.Retry {
		if f.Index >= 0 && f.Index < len(pending) && state[f.Index] == 0 {
			state[f.Index] = 1
			retry = append(retry, f)
		}
	}
	for _, f := range res.Rejected {
		if f.Index >= 0 && f.Index < len(pending) && state[f.Index] == 0 {
			state[f.Index] = 2
			s.st.lost([]Record{pending[f.Index]}, "rejected: "+f.Code+": "+f.Message)
		}
	}
	s.st.request(lat, false, len(retry)+len(res.Rejected))
	stored := make([]Record, 0, len(pending))
	for i, r := range pending {
		if state[i] == 0 {
			stored = append(stored, r)
		}
	}
	s.st.stored(stored, first, time.Now())
	return retry
}
