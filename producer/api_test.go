package producer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// apiURLs are the default dataset's route URLs under the stage URL base, as send derives them.
func apiURLs(base string) (events, batch string) {
	return apispec.RoutesOf(schema.DefaultDataset).URLs(base)
}

func apiPutter(api *testenv.API, key string, batch bool) *producer.APIPutter {
	events, batchURL := apiURLs(api.URL)
	return &producer.APIPutter{EventsURL: events, BatchURL: batchURL, Key: key, Batch: batch}
}

// The batch route answers 429/503 with failed_records for some records and fails some requests
// whole; every event must be stored exactly once (this API never loses a response), and the
// producer must have re-sent exactly the records the API refused.
func TestAPIBatchRouteResendsOnlyFailedRecords(t *testing.T) {
	api := testenv.NewAPI(t, "k", testenv.APIFaults{ThrottleRecord: 0.15, FailRecord: 0.05, ThrottleEvery: 5, FailEvery: 7}, 3)
	const n = 3000
	src := &recordingSource{g: newGenerator(t, producer.GeneratorOptions{})}
	sum, err := producer.Run(context.Background(), src, apiPutter(api, "k", true), producer.RunOptions{Count: n, Concurrency: 4, Retry: fastRetry})
	if err != nil {
		t.Fatalf("%v\n%s", err, sum)
	}
	t.Logf("summary:\n%s", sum)
	reqs, refused := api.Counts()
	stored := api.Stored()
	if sum.Delivered != n || sum.Failed != 0 || len(stored) != n {
		t.Fatalf("delivered %d, failed %d, API stored %d distinct events; want %d", sum.Delivered, sum.Failed, len(stored), n)
	}
	for _, r := range src.sent {
		if stored[r.ID] != 1 {
			t.Errorf("event %s stored %d times", r.ID, stored[r.ID])
		}
	}
	if refused == 0 || sum.Retries != refused {
		t.Errorf("API refused %d records, producer re-sent %d", refused, sum.Retries)
	}
	if sum.PartialFailures == 0 || sum.RequestErrors == 0 || sum.Requests != reqs {
		t.Errorf("summary %+v does not match the API's %d requests with partial and whole failures", sum, reqs)
	}
}

func TestAPISingleRouteRetriesWholeFailures(t *testing.T) {
	api := testenv.NewAPI(t, "k", testenv.APIFaults{ThrottleEvery: 5, FailEvery: 7}, 4)
	const n = 300
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), apiPutter(api, "k", false), producer.RunOptions{Count: n, Concurrency: 8, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	_, refused := api.Counts()
	stored := api.Stored()
	if sum.Delivered != n || len(stored) != n || sum.Retries != refused || refused == 0 {
		t.Fatalf("delivered %d, stored %d, retries %d, refused %d", sum.Delivered, len(stored), sum.Retries, refused)
	}
	for id, c := range stored {
		if c != 1 {
			t.Errorf("event %s stored %d times", id, c)
		}
	}
	if sum.Requests != n+refused {
		t.Errorf("%d requests, want one per event plus one per refusal (%d)", sum.Requests, n+refused)
	}
}

func TestAPIClientErrorsAreNotRetried(t *testing.T) {
	api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 5)
	g := newGenerator(t, producer.GeneratorOptions{})
	good, _ := g.Next()
	bad := producer.Record{ID: "bad-1", PartitionKey: "u", Data: []byte(`{"event_id":"bad-1","user_id":"u"}`)} // no event_type, occurred_at
	sum, err := producer.Run(context.Background(), producer.SliceSource([]producer.Record{good, bad}), apiPutter(api, "k", false), producer.RunOptions{Concurrency: 1, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != 1 || sum.Failed != 1 || sum.Retries != 0 || sum.Requests != 2 {
		t.Errorf("delivered %d failed %d retries %d requests %d, want 1/1/0/2", sum.Delivered, sum.Failed, sum.Retries, sum.Requests)
	}
	if !strings.Contains(fmt.Sprint(sum.Reasons), "invalid request body") || sum.FailedIDs[0] != "bad-1" {
		t.Errorf("failure not explained: %v %v", sum.Reasons, sum.FailedIDs)
	}
}

// A record that is not JSON is sent as it is, on either route, and the API refuses it (400):
// on the batch route with the records sent with it.
func TestAPISendsInvalidJSONAsItIs(t *testing.T) {
	api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 7)
	g := newGenerator(t, producer.GeneratorOptions{})
	good, _ := g.Next()
	bad := producer.Record{ID: "bad-1", PartitionKey: "u", Data: []byte(`{"event_id": "bad-1",`)}
	for _, batch := range []bool{false, true} {
		sum, err := producer.Run(context.Background(), producer.SliceSource([]producer.Record{good, bad}), apiPutter(api, "k", batch), producer.RunOptions{Concurrency: 1, Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		wantDelivered := map[bool]int{false: 1, true: 0}[batch]
		if sum.Delivered != wantDelivered || sum.Failed != 2-wantDelivered || sum.Retries != 0 || !strings.Contains(fmt.Sprint(sum.Reasons), "HTTP 400") {
			t.Errorf("batch %v: delivered %d failed %d retries %d reasons %v", batch, sum.Delivered, sum.Failed, sum.Retries, sum.Reasons)
		}
	}
}

func TestAPIBadKeyOrURLAbort(t *testing.T) {
	api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 6)
	_, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), apiPutter(api, "wrong", true), producer.RunOptions{Count: 2000, Retry: fastRetry})
	if err == nil || !strings.Contains(err.Error(), "missing or invalid API key") {
		t.Errorf("wrong key: err = %v", err)
	}
	p := apiPutter(api, "k", true)
	p.BatchURL = strings.Replace(p.BatchURL, "/api/", "/other/", 1)
	_, err = producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), p, producer.RunOptions{Count: 10, Retry: fastRetry})
	if err == nil || !strings.Contains(err.Error(), "no such route") {
		t.Errorf("wrong URL: err = %v", err)
	}
	if reqs, _ := api.Counts(); reqs > 20 {
		t.Errorf("%d requests after errors that no retry can fix", reqs)
	}
}

func TestAPIRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message": "throttled: retry with exponential backoff", "accepted": 0, "failed": 1, "request_id": "r1"}`)
			return
		}
		_, _ = io.WriteString(w, `{"accepted": 1, "failed": 0, "request_id": "r2"}`)
	}))
	defer srv.Close()
	events, batch := apiURLs(srv.URL)
	start := time.Now()
	sum, err := producer.Run(context.Background(), newGenerator(t, producer.GeneratorOptions{}), &producer.APIPutter{EventsURL: events, BatchURL: batch, Key: "k"},
		producer.RunOptions{Count: 1, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second || sum.Retries != 1 || sum.Delivered != 1 || sum.Throttled != 1 {
		t.Errorf("after Retry-After: 1 the retry came %s later (retries %d, delivered %d, throttled %d)", el, sum.Retries, sum.Delivered, sum.Throttled)
	}
}
