package producer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// Every generated event is valid against the API's own request model, derived from the same
// schema (unknown fields rejected, so the generator cannot invent fields either).
func TestGeneratedEventsMatchTheAPIModel(t *testing.T) {
	s := schema.Default()
	models, err := apisim.CompileModels(s, schema.RejectUnknown)
	if err != nil {
		t.Fatal(err)
	}
	// The validator is live: an unknown field and a missing required one are refused.
	for _, bad := range []string{`{"event_id":"a","event_type":"t","user_id":"u","occurred_at":"2026-01-01T00:00:00Z","extra":1}`, `{"event_id":"a","event_type":"t","occurred_at":"2026-01-01T00:00:00Z"}`} {
		if models.ValidateEvent([]byte(bad)) == nil {
			t.Fatalf("the API model accepts %s", bad)
		}
	}
	g := newGenerator(t, producer.GeneratorOptions{Attributes: map[string]string{"run": "r1"}})
	ids := map[string]bool{}
	for range 2000 {
		r, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(r.Data, &v); err != nil {
			t.Fatal(err)
		}
		if err := models.ValidateEvent(r.Data); err != nil {
			t.Fatalf("generated event %s is rejected by the API model: %v", r.Data, err)
		}
		ev := v.(map[string]any)
		for _, f := range s.Fields {
			_, has := ev[f.Name]
			if f.Source == schema.Pipeline && has {
				t.Fatalf("generator set pipeline field %s", f.Name)
			}
			if f.Source == schema.Client && !has {
				t.Fatalf("generator left out client field %s", f.Name)
			}
		}
		if !schema.FirehoseTimestamp.MatchString(ev[s.EventTime].(string)) {
			t.Fatalf("%s = %v is not in the pipeline's timestamp form", s.EventTime, ev[s.EventTime])
		}
		if r.PartitionKey != ev[s.PartitionKey] || r.ID != ev[producer.IDField] {
			t.Fatalf("record key/id %q/%q do not match the event %s", r.PartitionKey, r.ID, r.Data)
		}
		if ev["attributes"].(map[string]any)["run"] != "r1" {
			t.Fatalf("attributes lost: %s", r.Data)
		}
		if ids[r.ID] {
			t.Fatalf("event_id %s generated twice", r.ID)
		}
		ids[r.ID] = true
	}
}

func TestGeneratorOptions(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("x", 3600))
	g := newGenerator(t, producer.GeneratorOptions{EventType: "verify-abc", IDPrefix: "run1", Users: 3, Seed: 7, Now: func() time.Time { return now }})
	users := map[string]bool{}
	for i := 1; i <= 50; i++ {
		ev := g.Event()
		if ev[producer.TypeField] != "verify-abc" {
			t.Fatalf("event_type = %v", ev[producer.TypeField])
		}
		if want := fmt.Sprintf("run1-%06d", i); ev[producer.IDField] != want {
			t.Fatalf("event_id = %v, want %s", ev[producer.IDField], want)
		}
		if ev["occurred_at"] != "2026-03-04T04:06:07.890Z" {
			t.Fatalf("occurred_at = %v, want UTC milliseconds", ev["occurred_at"])
		}
		users[ev["user_id"].(string)] = true
	}
	if len(users) != 3 {
		t.Errorf("%d distinct users, want 3", len(users))
	}
	// The same seed gives the same values.
	a := newGenerator(t, producer.GeneratorOptions{Seed: 9, IDPrefix: "x", Now: func() time.Time { return now }})
	b := newGenerator(t, producer.GeneratorOptions{Seed: 9, IDPrefix: "x", Now: func() time.Time { return now }})
	ra, _ := a.Next()
	rb, _ := b.Next()
	if string(ra.Data) != string(rb.Data) {
		t.Errorf("same seed, different events:\n%s\n%s", ra.Data, rb.Data)
	}
	if _, err := producer.NewGenerator(schema.Default(), producer.GeneratorOptions{EventType: strings.Repeat("x", 65)}); err == nil {
		t.Error("an event type longer than the schema allows was accepted")
	}
	noID := schema.Default()
	noID.Fields = slices.DeleteFunc(noID.Fields, func(f schema.Field) bool { return f.Name == producer.IDField })
	if _, err := producer.NewGenerator(noID, producer.GeneratorOptions{}); err == nil {
		t.Error("a schema without event_id was accepted")
	}
}

func rec(id string, size int) producer.Record {
	return producer.Record{ID: id, PartitionKey: "k", Data: make([]byte, size-1)}
}

// split packs recs into batches under l with a Batcher, as Run does (records that fail
// l.Check are an error).
func split(recs []producer.Record, l producer.Limits) ([][]producer.Record, error) {
	b := producer.NewBatcher(l)
	var out [][]producer.Record
	for _, r := range recs {
		if err := l.Check(r); err != nil {
			return nil, err
		}
		if full := b.Add(r); full != nil {
			out = append(out, full)
		}
	}
	if last := b.Flush(); last != nil {
		out = append(out, last)
	}
	return out, nil
}

func TestSplit(t *testing.T) {
	lim := producer.Limits{MaxRecords: 3, MaxBytes: 100, MaxRecordBytes: 60}
	tests := []struct {
		name  string
		sizes []int
		want  [][]int // sizes per batch
	}{
		{"empty", nil, nil},
		{"count bound", []int{10, 10, 10, 10, 10, 10, 10}, [][]int{{10, 10, 10}, {10, 10, 10}, {10}}},
		{"byte bound", []int{60, 40, 1, 50, 50}, [][]int{{60, 40}, {1, 50}, {50}}},
		{"exactly full", []int{50, 50, 20}, [][]int{{50, 50}, {20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []producer.Record
			for i, s := range tt.sizes {
				recs = append(recs, rec(fmt.Sprint(i), s))
			}
			batches, err := split(recs, lim)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]int
			var order []string
			for _, b := range batches {
				var sizes []int
				for _, r := range b {
					sizes = append(sizes, r.Size())
					order = append(order, r.ID)
				}
				got = append(got, sizes)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("batches %v, want %v", got, tt.want)
			}
			for i, id := range order {
				if id != fmt.Sprint(i) {
					t.Fatalf("order changed: %v", order)
				}
			}
		})
	}
	if _, err := split([]producer.Record{rec("big", 61)}, lim); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a record over the per-record limit: err = %v", err)
	}
}

func TestKinesisLimitsAreAWSs(t *testing.T) {
	l := producer.KinesisLimits
	if l.MaxRecords != 500 || l.MaxBytes != 5<<20 || l.MaxRecordBytes != 1<<20 {
		t.Errorf("KinesisLimits = %+v", l)
	}
	// 500 records of 1 MiB cannot go in one request: the byte bound splits them.
	recs := make([]producer.Record, 12)
	for i := range recs {
		recs[i] = rec(fmt.Sprint(i), 1<<20)
	}
	batches, err := split(recs, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 3 || len(batches[0]) != 5 {
		t.Errorf("12 records of 1 MiB split into %d batches (first %d), want 3 of at most 5", len(batches), len(batches[0]))
	}
}

// fakePutter answers from a function and records every request.
type fakePutter struct {
	lim    producer.Limits
	answer func(call int, recs []producer.Record) (producer.Result, error)
	mu     sync.Mutex
	calls  int
	sent   map[string]int
}

func (f *fakePutter) Limits() producer.Limits { return f.lim }

func (f *fakePutter) Put(_ context.Context, recs []producer.Record) (producer.Result, error) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	if f.sent == nil {
		f.sent = map[string]int{}
	}
	for _, r := range recs {
		f.sent[r.ID]++
	}
	f.mu.Unlock()
	return f.answer(call, recs)
}

var quick = producer.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}

func TestRunGivesUpAfterMaxAttempts(t *testing.T) {
	// The first record of every request is throttled, forever.
	p := &fakePutter{lim: producer.Limits{MaxRecords: 10, MaxBytes: 1 << 20, MaxRecordBytes: 1 << 20}, answer: func(_ int, recs []producer.Record) (producer.Result, error) {
		return producer.Result{Retry: []producer.Failure{{Index: 0, Code: "ProvisionedThroughputExceededException", Throttled: true}}}, nil
	}}
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 10, Concurrency: 1, Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	// One batch of 10: 9 are stored at once; the first is refused on all 3 attempts.
	if sum.Delivered != 9 || sum.Failed != 1 || sum.Retries != 2 || sum.Requests != 3 {
		t.Errorf("delivered %d failed %d retries %d requests %d, want 9/1/2/3", sum.Delivered, sum.Failed, sum.Retries, sum.Requests)
	}
	if !strings.Contains(fmt.Sprint(sum.Reasons), "gave up after 3 attempts: ProvisionedThroughputExceededException") {
		t.Errorf("reasons %v do not say why", sum.Reasons)
	}
	if len(sum.FailedIDs) != 1 {
		t.Errorf("failed ids %v", sum.FailedIDs)
	}
}

func TestRunResendsOnlyFailedRecords(t *testing.T) {
	// Odd indexes fail on each first attempt of a record.
	seen := map[string]bool{}
	var mu sync.Mutex
	p := &fakePutter{lim: producer.Limits{MaxRecords: 7, MaxBytes: 1 << 20, MaxRecordBytes: 1 << 20}}
	p.answer = func(_ int, recs []producer.Record) (producer.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		var res producer.Result
		for i, r := range recs {
			if !seen[r.ID] && i%2 == 1 {
				res.Retry = append(res.Retry, producer.Failure{Index: i, Code: "InternalFailure"})
			}
			seen[r.ID] = true
		}
		return res, nil
	}
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 100, Concurrency: 3, Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	twice := 0
	for _, n := range p.sent {
		if n > 2 {
			t.Fatalf("a record was sent %d times", n)
		}
		if n == 2 {
			twice++
		}
	}
	if sum.Delivered != 100 || sum.Retries != twice || twice == 0 || len(p.sent) != 100 {
		t.Errorf("delivered %d, retries %d, records sent twice %d, distinct %d", sum.Delivered, sum.Retries, twice, len(p.sent))
	}
}

func TestRunAbortsOnFatalError(t *testing.T) {
	p := &fakePutter{lim: producer.SingleLimits, answer: func(int, []producer.Record) (producer.Result, error) {
		return producer.Result{}, &producer.RequestError{Action: producer.Abort, Code: "ResourceNotFoundException", Message: "Stream nope not found"}
	}}
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 1000, Concurrency: 2, Retry: quick})
	if err == nil || !strings.Contains(err.Error(), "Stream nope not found") {
		t.Fatalf("err = %v, want the abort reason", err)
	}
	if p.calls > 4 || sum.Delivered != 0 || sum.Failed != sum.Events {
		t.Errorf("after an abort: %d calls, delivered %d, failed %d of %d events", p.calls, sum.Delivered, sum.Failed, sum.Events)
	}
}

func TestRunRejectsWithoutRetry(t *testing.T) {
	p := &fakePutter{lim: producer.SingleLimits, answer: func(call int, _ []producer.Record) (producer.Result, error) {
		if call == 1 {
			return producer.Result{}, &producer.RequestError{Action: producer.Reject, Code: "BadRequest", Status: 400, Message: "invalid request body"}
		}
		return producer.Result{}, nil
	}}
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 5, Concurrency: 1, Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != 4 || sum.Failed != 1 || sum.Retries != 0 || p.calls != 5 {
		t.Errorf("delivered %d failed %d retries %d calls %d, want 4/1/0/5", sum.Delivered, sum.Failed, sum.Retries, p.calls)
	}
}

func TestRunWholeRequestRetriesThenAborts(t *testing.T) {
	p := &fakePutter{lim: producer.SingleLimits, answer: func(int, []producer.Record) (producer.Result, error) {
		return producer.Result{}, errors.New("connection refused")
	}}
	_, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 3, Concurrency: 1, Retry: quick})
	if err == nil || !strings.Contains(err.Error(), "failed 3 times in a row") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunRateAndDuration(t *testing.T) {
	p := &fakePutter{lim: producer.KinesisLimits, answer: func(int, []producer.Record) (producer.Result, error) { return producer.Result{}, nil }}
	start := time.Now()
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Rate: 200, Duration: 500 * time.Millisecond, Linger: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	// Pacing never runs ahead of the rate (at most 101 events in 0.5 s); on a loaded machine
	// it may fall behind, so the lower bound is loose.
	if sum.Delivered > 101 || sum.Delivered < 20 || el > 5*time.Second {
		t.Errorf("200/s for 0.5 s sent %d events in %s, want at most 101 and about 100", sum.Delivered, el)
	}
	// Linger 10 ms at 200 events/s: small batches, not one per event and not one in all.
	if sum.Requests < 5 || sum.Requests > sum.Delivered/2 {
		t.Errorf("%d requests for %d events at 200/s with 10 ms linger", sum.Requests, sum.Delivered)
	}
	if _, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{}); err == nil {
		t.Error("a run without count or duration was accepted")
	}
}

func TestSummaryJSON(t *testing.T) {
	s := producer.NewStats()
	b, err := json.Marshal(s.Summary())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"events"`, `"delivered"`, `"failed"`, `"retries"`, `"events_per_sec"`, `"p99_ms"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("summary JSON %s lacks %s", b, k)
		}
	}
}

// Each record a run does not deliver is labelled with what happened to it: refused for good,
// given up after its attempts, not sent because the run stopped itself, because the caller's
// deadline passed, or because the caller interrupted it (a signal names itself).
func TestRunLabelsWhatHappened(t *testing.T) {
	single := producer.Limits{MaxRecords: 1, MaxBytes: 1 << 20, MaxRecordBytes: 1 << 20}
	slow := func(d time.Duration) func(int, []producer.Record) (producer.Result, error) {
		return func(int, []producer.Record) (producer.Result, error) { time.Sleep(d); return producer.Result{}, nil }
	}
	tests := []struct {
		name   string
		ctx    func() (context.Context, func())
		answer func(int, []producer.Record) (producer.Result, error)
		want   []string
		not    []string
		err    string
	}{
		{name: "signal", answer: slow(20 * time.Millisecond),
			ctx: func() (context.Context, func()) {
				ctx, cancel := context.WithCancelCause(context.Background())
				time.AfterFunc(50*time.Millisecond, func() { cancel(errors.New("interrupt signal received")) })
				return ctx, func() { cancel(nil) }
			},
			want: []string{"failed: not sent: interrupted (interrupt signal received)"}, err: "interrupted: interrupt signal received"},
		{name: "deadline", answer: slow(20 * time.Millisecond),
			ctx: func() (context.Context, func()) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			want: []string{"failed: not sent: the time limit ran out"}, err: "stopped: the time limit ran out"},
		{name: "abort",
			answer: func(call int, _ []producer.Record) (producer.Result, error) {
				if call == 3 {
					return producer.Result{}, &producer.RequestError{Action: producer.Abort, Code: "ResourceNotFoundException", Message: "Stream nope not found"}
				}
				time.Sleep(5 * time.Millisecond)
				return producer.Result{}, nil
			},
			want: []string{"failed: refused: ResourceNotFoundException: Stream nope not found", "failed: not sent: the run stopped early (every request would fail: ResourceNotFoundException)"},
			not:  []string{"interrupted"}, err: "stopping: every request would fail: ResourceNotFoundException"},
		{name: "dead endpoint",
			answer: func(int, []producer.Record) (producer.Result, error) {
				return producer.Result{}, errors.New("connection refused")
			},
			want: []string{"failed: gave up after 3 attempts: error", "failed: not sent: the run stopped early (a request failed 3 times in a row)"},
			not:  []string{"interrupted"}},
	}
	for _, tt := range tests {
		ctx, cancel := context.Background(), func() {}
		if tt.ctx != nil {
			ctx, cancel = tt.ctx()
		}
		p := &fakePutter{lim: single, answer: tt.answer}
		sum, err := producer.Run(ctx, newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 200, Concurrency: 1, Retry: quick})
		cancel()
		if tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)) {
			t.Errorf("%s: Run's error %v, want %q", tt.name, err, tt.err)
		}
		got := fmt.Sprint(sum.Reasons)
		for _, w := range tt.want {
			if sum.Reasons[w] == 0 {
				t.Errorf("%s: reasons %s lack %q", tt.name, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: reasons %s say %q", tt.name, got, n)
			}
		}
		if sum.Failed+sum.Delivered != sum.Events {
			t.Errorf("%s: %d delivered + %d failed != %d events", tt.name, sum.Delivered, sum.Failed, sum.Events)
		}
	}
}

func TestSummaryJSONListsReasons(t *testing.T) {
	s := producer.Summary{Reasons: map[string]int{"failed: gave up after 3 attempts: x": 2, "retried: throttled": 5}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `"reasons":[{"outcome":"failed","reason":"gave up after 3 attempts: x","records":2},{"outcome":"retried","reason":"throttled","records":5}],"failed_event_ids":[]`
	if !strings.Contains(string(b), want) {
		t.Errorf("summary JSON %s lacks %s", b, want)
	}
	if got := s.ReasonsText(); got != "2 failed (gave up after 3 attempts: x); 5 retried (throttled)" {
		t.Errorf("ReasonsText = %q", got)
	}
}
