package producer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// fastRetry keeps retries quick in tests; MaxAttempts is high so that injected faults never
// exhaust a record's attempts by chance.
var fastRetry = producer.RetryPolicy{MaxAttempts: 25, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}

func newGenerator(t testing.TB, o producer.GeneratorOptions) *producer.Generator {
	t.Helper()
	g, err := producer.NewGenerator(schema.Default(), o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// readBack reads the stream and returns how many copies of each event_id it holds, checking
// that copies of one id are byte-identical (a retry resends the same record, never a new one).
func readBack(t *testing.T, endpoint, stream string) (copies map[string]int, total int) {
	t.Helper()
	copies = map[string]int{}
	data := map[string]string{}
	for _, d := range testenv.ReadAll(t, testenv.KinesisClient(endpoint), stream) {
		var ev map[string]any
		if err := json.Unmarshal(d, &ev); err != nil {
			t.Fatalf("record is not JSON: %q", d)
		}
		id, _ := ev[producer.IDField].(string)
		if id == "" {
			t.Fatalf("record without %s: %s", producer.IDField, d)
		}
		if prev, ok := data[id]; ok && prev != string(d) {
			t.Errorf("event_id %s appears with different data:\n%s\n%s", id, prev, d)
		}
		data[id] = string(d)
		copies[id]++
		total++
	}
	return copies, total
}

// recordingSource remembers every record it hands out.
type recordingSource struct {
	g    *producer.Generator
	sent []producer.Record
}

func (s *recordingSource) Next() (producer.Record, error) {
	r, err := s.g.Next()
	if err == nil {
		s.sent = append(s.sent, r)
	}
	return r, err
}

func TestSendToKinesaliteDeliversEveryEvent(t *testing.T) {
	endpoint := testenv.Kinesalite(t)
	client := testenv.KinesisClient(endpoint)
	const stream, n = "send-all", 3000
	testenv.CreateStream(t, client, stream, 4)

	src := &recordingSource{g: newGenerator(t, producer.GeneratorOptions{Users: 500})}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := producer.Run(ctx, src, &producer.KinesisPutter{Client: client, Stream: stream},
		producer.RunOptions{Count: n, Concurrency: 4, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", sum)
	if sum.Events != n || sum.Delivered != n || sum.Failed != 0 {
		t.Fatalf("events %d delivered %d failed %d, want %d/%d/0", sum.Events, sum.Delivered, sum.Failed, n, n)
	}
	// 3000 events in batches of at most 500 (their size is far below 5 MiB).
	if sum.Requests < n/500 || sum.Requests > n/500+4*2 {
		t.Errorf("%d requests for %d events: batching is off", sum.Requests, n)
	}

	copies, total := readBack(t, endpoint, stream)
	if total != n || len(copies) != n {
		t.Fatalf("stream holds %d records with %d distinct event_ids, want %d of each", total, len(copies), n)
	}
	for _, r := range src.sent {
		if copies[r.ID] != 1 {
			t.Errorf("event %s found %d times", r.ID, copies[r.ID])
		}
	}
}

// TestSendThroughFaultsLosesNothing puts a fault-injecting proxy between the producer and
// kinesalite: part of every PutRecords batch is refused at its index (HTTP 200 with
// FailedRecordCount), some requests are throttled or fail whole (400/500), and some responses
// are lost after the records were stored. Every event must still be in the stream; the only
// duplicates allowed are records stored under a lost response, with the same event_id and
// bytes; and the producer must have re-sent exactly the records the proxy refused or left
// unacknowledged.
func TestSendThroughFaultsLosesNothing(t *testing.T) {
	endpoint := testenv.Kinesalite(t)
	direct := testenv.KinesisClient(endpoint)
	const stream, n = "send-faults", 4000
	testenv.CreateStream(t, direct, stream, 2)
	proxy := testenv.NewFaultProxy(t, endpoint, testenv.Faults{
		ThrottleEvery: 7, FailEvery: 11, LoseEvery: 13, DropEntry: 0.20,
	}, 42)

	src := &recordingSource{g: newGenerator(t, producer.GeneratorOptions{})}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := producer.Run(ctx, src, &producer.KinesisPutter{Client: testenv.KinesisClient(proxy.URL), Stream: stream},
		producer.RunOptions{Count: n, Concurrency: 4, Retry: fastRetry})
	if err != nil {
		t.Fatalf("%v\n%s", err, sum)
	}
	c := proxy.Counts()
	t.Logf("summary:\n%s", sum)
	t.Logf("proxy: %+v", c)
	if sum.Delivered != n || sum.Failed != 0 {
		t.Fatalf("delivered %d, failed %d of %d", sum.Delivered, sum.Failed, n)
	}
	// The faults happened, at every level.
	if c.PartialRequests == 0 || c.ThrottledRequests == 0 || c.FailedRequests == 0 || c.LostResponses == 0 {
		t.Fatalf("not every kind of fault was injected: %+v", c)
	}
	// Exact accounting: every record the proxy refused or did not acknowledge was re-sent
	// once per refusal, and nothing else was.
	if want := c.RecordsRefused + c.RecordsStoredUnacknowledged; sum.Retries != want {
		t.Errorf("producer re-sent %d records, proxy refused %d and left %d unacknowledged (want %d)",
			sum.Retries, c.RecordsRefused, c.RecordsStoredUnacknowledged, want)
	}
	if sum.PartialFailures == 0 || sum.RequestErrors == 0 || sum.Throttled == 0 {
		t.Errorf("summary does not show the partial failures, request errors and throttles: %+v", sum)
	}

	copies, total := readBack(t, endpoint, stream)
	dups := 0
	for _, r := range src.sent {
		switch k := copies[r.ID]; {
		case k == 0:
			t.Errorf("event %s lost", r.ID)
		case k > 1:
			dups += k - 1
			if !proxy.StoredUnacknowledged(r.Data) {
				t.Errorf("event %s stored %d times but never under a lost response", r.ID, k)
			}
		}
	}
	if len(copies) != n {
		t.Errorf("%d distinct event_ids in the stream, want %d", len(copies), n)
	}
	if total != n+dups {
		t.Errorf("stream holds %d records: %d events + %d duplicates expected", total, n, dups)
	}
	if dups > c.RecordsStoredUnacknowledged {
		t.Errorf("%d duplicates, but only %d records were stored unacknowledged", dups, c.RecordsStoredUnacknowledged)
	}
	t.Logf("stream: %d records, %d distinct event_ids, %d identifiable duplicates", total, len(copies), dups)
}
