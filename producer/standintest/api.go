package standintest

import (
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/streamlake/streamlake/schema"
)

// APIFaults are the probabilities with which an API stand-in fails, as the real ingest API
// does when Kinesis throttles or fails.
type APIFaults struct {
	// ThrottleRecord and FailRecord refuse single records of a batch: the answer is 429 (if
	// any was throttled) or 503 with failed_records naming them; the others are stored.
	ThrottleRecord float64
	FailRecord     float64
	// ThrottleEvery answers 429 and FailEvery 500 or 503 to every n-th valid request as a
	// whole, storing nothing ({"accepted": 0, "failed": n} and no failed_records); 0 is off.
	ThrottleEvery int
	FailEvery     int
	// RetryAfter is the Retry-After header of failure answers; the real API sends "1".
	RetryAfter string
}

// API is an httptest server that implements the ingest API's contract (vtl/vtl.go):
// POST /v1/events and POST /v1/events/batch with an x-api-key, bodies validated against the
// request models derived from the schema, and the same status codes and bodies.
type API struct {
	URL string
	Key string

	faults  APIFaults
	single  *jsonschema.Schema
	batch   *jsonschema.Schema
	mu      sync.Mutex
	rnd     *mrand.Rand
	stored  map[string]int
	reqs    int
	valid   int
	refused int
	reqID   int
}

// NewAPI starts an API stand-in that accepts key.
func NewAPI(t testing.TB, key string, f APIFaults, seed uint64) *API {
	t.Helper()
	s := schema.Default()
	em, err := s.EventModel(schema.KeepUnknown)
	if err != nil {
		t.Fatal(err)
	}
	bm, err := s.BatchModel(schema.KeepUnknown)
	if err != nil {
		t.Fatal(err)
	}
	a := &API{Key: key, faults: f, rnd: mrand.New(mrand.NewPCG(seed, seed+7)), stored: map[string]int{}}
	if a.single, err = jsonschema.CompileString("event.json", em); err != nil {
		t.Fatal(err)
	}
	if a.batch, err = jsonschema.CompileString("batch.json", bm); err != nil {
		t.Fatal(err)
	}
	if a.faults.RetryAfter == "" {
		a.faults.RetryAfter = "0"
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/api"
	return a
}

// Stored returns how many copies of each event_id the API stored.
func (a *API) Stored() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.stored))
	for k, v := range a.stored {
		out[k] = v
	}
	return out
}

// Counts returns the requests served and the records refused by injected faults.
func (a *API) Counts() (requests, refused int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs, a.refused
}

type failedRecord struct {
	Index        int    `json:"index"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

func (a *API) reply(w http.ResponseWriter, status int, body map[string]any) {
	a.reqID++
	body["request_id"] = fmt.Sprintf("req-%d", a.reqID)
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests || status >= 500 {
		w.Header().Set("Retry-After", a.faults.RetryAfter)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs++
	route := strings.TrimPrefix(r.URL.Path, "/api")
	if r.Method != http.MethodPost || (route != "/v1/events" && route != "/v1/events/batch") {
		a.reply(w, http.StatusNotFound, map[string]any{"message": "no such route: POST /v1/events or POST /v1/events/batch"})
		return
	}
	if r.Header.Get("x-api-key") != a.Key {
		a.reply(w, http.StatusForbidden, map[string]any{"message": "missing or invalid x-api-key header"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		a.reply(w, http.StatusUnsupportedMediaType, map[string]any{"message": "send Content-Type: application/json"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		a.reply(w, http.StatusBadRequest, map[string]any{"message": "invalid request body: " + err.Error()})
		return
	}
	model := a.single
	if route == "/v1/events/batch" {
		model = a.batch
	}
	if err := model.Validate(doc); err != nil {
		a.reply(w, http.StatusBadRequest, map[string]any{"message": "invalid request body: " + err.Error()})
		return
	}
	events := []any{doc}
	if route == "/v1/events/batch" {
		events = doc.(map[string]any)["records"].([]any)
	}
	n := len(events)
	a.valid++
	nth := func(every int) bool { return every > 0 && a.valid%every == 0 }
	switch {
	case nth(a.faults.ThrottleEvery):
		a.refused += n
		a.reply(w, http.StatusTooManyRequests, map[string]any{"message": "throttled: retry with exponential backoff", "accepted": 0, "failed": n})
		return
	case nth(a.faults.FailEvery):
		a.refused += n
		status := http.StatusServiceUnavailable
		if a.rnd.IntN(2) == 0 {
			status = http.StatusInternalServerError
		}
		a.reply(w, status, map[string]any{"message": "the stream is unavailable; retry with exponential backoff", "accepted": 0, "failed": n})
		return
	}
	var failed []failedRecord
	throttled := false
	for i, ev := range events {
		if route == "/v1/events/batch" {
			y := a.rnd.Float64()
			switch {
			case y < a.faults.ThrottleRecord:
				failed = append(failed, failedRecord{i, "ProvisionedThroughputExceededException", "Rate exceeded for shard shardId-000000000000"})
				throttled = true
				continue
			case y < a.faults.ThrottleRecord+a.faults.FailRecord:
				failed = append(failed, failedRecord{i, "InternalFailure", "Internal service failure."})
				continue
			}
		}
		id, _ := ev.(map[string]any)["event_id"].(string)
		a.stored[id]++
	}
	a.refused += len(failed)
	if route == "/v1/events" {
		a.reply(w, http.StatusOK, map[string]any{"accepted": 1, "failed": 0})
		return
	}
	status := http.StatusOK
	if len(failed) > 0 {
		status = http.StatusServiceUnavailable
		if throttled {
			status = http.StatusTooManyRequests
		}
	}
	if failed == nil {
		failed = []failedRecord{}
	}
	a.reply(w, status, map[string]any{"accepted": n - len(failed), "failed": len(failed), "failed_records": failed})
}
