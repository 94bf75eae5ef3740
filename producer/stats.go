package producer

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxSamples bounds the latency samples kept (reservoir sampling beyond it), so a long run
// keeps constant memory; percentiles are exact below it.
const maxSamples = 1 << 18

// maxFailedIDs is how many undelivered event ids a summary names.
const maxFailedIDs = 20

// latencies records durations and reports percentiles.
type latencies struct {
	n       int
	max     time.Duration
	samples []time.Duration
	rnd     *mrand.Rand
}

func (l *latencies) add(d time.Duration) {
	l.n++
	l.max = max(l.max, d)
	if len(l.samples) < maxSamples {
		l.samples = append(l.samples, d)
		return
	}
	if l.rnd == nil {
		l.rnd = mrand.New(mrand.NewPCG(1, 2))
	}
	if i := l.rnd.IntN(l.n); i < maxSamples {
		l.samples[i] = d
	}
}

// Percentiles summarise a latency distribution (nearest-rank percentiles).
type Percentiles struct {
	N   int
	P50 time.Duration
	P90 time.Duration
	P99 time.Duration
	Max time.Duration
}

func (l *latencies) percentiles() Percentiles {
	if l.n == 0 {
		return Percentiles{}
	}
	s := slices.Clone(l.samples)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Percentiles{N: l.n, P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: l.max}
}

// String renders "p50 12ms  p90 30ms  p99 41ms  max 52ms".
func (p Percentiles) String() string {
	if p.N == 0 {
		return "no samples"
	}
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", r(p.P50), r(p.P90), r(p.P99), r(p.Max))
}

// MarshalJSON writes milliseconds.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return json.Marshal(map[string]any{"n": p.N, "p50_ms": ms(p.P50), "p90_ms": ms(p.P90), "p99_ms": ms(p.P99), "max_ms": ms(p.Max)})
}

// Stats counts what a run did. It is safe for concurrent use.
type Stats struct {
	mu              sync.Mutex
	start           time.Time
	end             time.Time
	events          int
	delivered       int
	failed          int
	retries         int
	requests        int
	requestErrors   int
	partialFailures int
	throttled       int
	bytes           int64
	reasons         map[string]int
	failedIDs       []string
	reqLat, delLat  latencies
	// lastFailure is why the latest request failed as a whole, "" once one was answered.
	lastFailure string
}

// NewStats starts the clock of a run.
func NewStats() *Stats { return &Stats{start: time.Now(), reasons: map[string]int{}} }

func (s *Stats) queued(n int) {
	s.mu.Lock()
	s.events += n
	s.mu.Unlock()
}

// request records one call: its latency, and whether it failed as a whole or in part.
func (s *Stats) request(d time.Duration, wholeFailure bool, failedRecords int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.reqLat.add(d)
	if wholeFailure {
		s.requestErrors++
		return
	}
	s.lastFailure = ""
	if failedRecords > 0 {
		s.partialFailures++
	}
}

// requestFailed records why a request failed as a whole; unless replace, only when no
// failure since the last answer is recorded.
func (s *Stats) requestFailed(why string, replace bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if replace || s.lastFailure == "" {
		s.lastFailure = why
	}
}

// timeLimitRanOut says the time limit ran out and, while the latest request had failed as a
// whole, why: a dead endpoint is often the reason time ran out.
func (s *Stats) timeLimitRanOut() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastFailure == "" {
		return "the time limit ran out"
	}
	return "the time limit ran out after the last request failed: " + s.lastFailure
}

// retried counts records about to be re-sent, and the reason they failed.
func (s *Stats) retried(n int, reason string, throttled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries += n
	if throttled {
		s.throttled += n
	}
	s.reasons["retried: "+reason] += n
}

// stored counts records the service acknowledged; first is when each was first sent.
func (s *Stats) stored(recs []Record, first time.Time, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		s.delivered++
		s.bytes += int64(len(r.Data))
		s.delLat.add(now.Sub(first))
	}
}

// lost counts records that could not be delivered.
func (s *Stats) lost(recs []Record, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed += len(recs)
	s.reasons["failed: "+reason] += len(recs)
	for _, r := range recs {
		if len(s.failedIDs) < maxFailedIDs {
			s.failedIDs = append(s.failedIDs, r.ID)
		}
	}
}

// Summary is what a run did, for people (String) and scripts (JSON).
type Summary struct {
	Events          int         `json:"events"`
	Delivered       int         `json:"delivered"`
	Failed          int         `json:"failed"`
	Retries         int         `json:"retries"`
	Requests        int         `json:"requests"`
	RequestErrors   int         `json:"request_errors"`
	PartialFailures int         `json:"partial_failures"`
	Throttled       int         `json:"throttled"`
	Bytes           int64       `json:"bytes"`
	Elapsed         float64     `json:"elapsed_sec"`
	EventsPerSec    float64     `json:"events_per_sec"`
	RequestLatency  Percentiles `json:"request_latency"`
	DeliveryLatency Percentiles `json:"delivery_latency"`
	// Reasons counts records by outcome and reason ("failed: rejected: ...", "retried:
	// throttled"); JSON lists them (see Reason).
	Reasons   map[string]int `json:"-"`
	FailedIDs []string       `json:"failed_event_ids"`
}

// Reason is one line of a summary's reasons, as JSON lists them.
type Reason struct {
	Outcome string `json:"outcome"` // "failed" or "retried"
	Reason  string `json:"reason"`
	Records int    `json:"records"`
}

// ReasonList returns the reasons sorted by outcome and reason (never nil).
func (s Summary) ReasonList() []Reason {
	out := []Reason{}
	for _, k := range slices.Sorted(maps.Keys(s.Reasons)) {
		outcome, reason, _ := strings.Cut(k, ": ")
		out = append(out, Reason{Outcome: outcome, Reason: reason, Records: s.Reasons[k]})
	}
	return out
}

// MarshalJSON writes the reasons as a list (their text is no JSON key) and empty lists as [].
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	ids := s.FailedIDs
	if ids == nil {
		ids = []string{}
	}
	return json.Marshal(struct {
		plain
		Reasons   []Reason `json:"reasons"`
		FailedIDs []string `json:"failed_event_ids"`
	}{plain(s), s.ReasonList(), ids})
}

// ReasonsText says in words why records failed or were retried: "3 failed (gave up after 10
// attempts: network: connection refused by 10.0.0.5:443); 2 retried (Throttled)". Empty when
// there are none.
func (s Summary) ReasonsText() string {
	var parts []string
	for _, r := range s.ReasonList() {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", r.Records, r.Outcome, r.Reason))
	}
	return strings.Join(parts, "; ")
}

// Summary snapshots the counters and latency percentiles; the elapsed time runs until the run
// finished (or now).
func (s *Stats) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary(true)
}

// counts is Summary without the percentiles, cheap enough for a progress bar.
func (s *Stats) counts() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary(false)
}

func (s *Stats) summary(latency bool) Summary {
	end := s.end
	if end.IsZero() {
		end = time.Now()
	}
	el := end.Sub(s.start).Seconds()
	sum := Summary{
		Events: s.events, Delivered: s.delivered, Failed: s.failed, Retries: s.retries,
		Requests: s.requests, RequestErrors: s.requestErrors, PartialFailures: s.partialFailures,
		Throttled: s.throttled, Bytes: s.bytes, Elapsed: el,
		Reasons: maps.Clone(s.reasons), FailedIDs: slices.Clone(s.failedIDs),
	}
	if latency {
		sum.RequestLatency, sum.DeliveryLatency = s.reqLat.percentiles(), s.delLat.percentiles()
	}
	if el > 0 {
		sum.EventsPerSec = float64(s.delivered) / el
	}
	return sum
}

func (s *Stats) finish() {
	s.mu.Lock()
	s.end = time.Now()
	s.mu.Unlock()
}

// String renders the summary for a terminal.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "events      %d sent, %d delivered, %d failed\n", s.Events, s.Delivered, s.Failed)
	fmt.Fprintf(&b, "requests    %d (%d failed whole, %d partly)\n", s.Requests, s.RequestErrors, s.PartialFailures)
	fmt.Fprintf(&b, "retries     %d records re-sent (%d throttled)\n", s.Retries, s.Throttled)
	fmt.Fprintf(&b, "throughput  %.1f events/s, %.2f MiB/s over %.2fs\n", s.EventsPerSec, float64(s.Bytes)/(1<<20)/max(s.Elapsed, 1e-9), s.Elapsed)
	fmt.Fprintf(&b, "latency     request   %s\n", s.RequestLatency)
	fmt.Fprintf(&b, "            delivery  %s  (first send to stored, retries included)\n", s.DeliveryLatency)
	for _, k := range slices.Sorted(maps.Keys(s.Reasons)) {
		fmt.Fprintf(&b, "            %6d  %s\n", s.Reasons[k], k)
	}
	if len(s.FailedIDs) > 0 {
		fmt.Fprintf(&b, "undelivered event_ids (first %d): %s\n", len(s.FailedIDs), strings.Join(s.FailedIDs, ", "))
	}
	return b.String()
}
