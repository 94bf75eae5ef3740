package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/producer"
)

// APIFaults are the failures an API stand-in injects (apisim.Faults).
type APIFaults = apisim.Faults

// API is the ingest API's contract (internal/apisim) on an httptest server, storing in memory:
// the default schema with unknown fields kept, the stage "api", and Retry-After "0" so that
// clients retry at once.
type API struct {
	// URL is the stage URL (routes are URL+"/v1/events" and URL+"/v1/events/batch").
	URL  string
	Key  string
	sink *apisim.MemorySink
	reqs atomic.Int64
}

// NewAPI starts an API stand-in that accepts key, closed at test cleanup.
func NewAPI(t testing.TB, key string, f APIFaults, seed uint64) *API {
	t.Helper()
	return NewAPIWith(t, apisim.Options{APIKey: key}, f, seed)
}

// NewAPIWith starts an API stand-in with the auth options of o (Auth, APIKey, Credentials,
// Region, UserPoolArns, Scopes, Now); the stage, sink and Retry-After are NewAPI's.
func NewAPIWith(t testing.TB, o apisim.Options, f APIFaults, seed uint64) *API {
	t.Helper()
	a := &API{Key: o.APIKey, sink: apisim.NewMemorySink(f, seed)}
	o.Stage, o.Sink, o.RetryAfter = "api", a.sink, "0"
	h, err := apisim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.reqs.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/api"
	return a
}

// Stored returns how many copies of each event_id the API stored.
func (a *API) Stored() map[string]int {
	out := map[string]int{}
	for _, r := range a.sink.Records() {
		var ev map[string]any
		_ = json.Unmarshal(r.Data, &ev) // the API stored only events its model accepted
		id, _ := ev[producer.IDField].(string)
		out[id]++
	}
	return out
}

// Counts returns the requests served and the records refused by injected faults.
func (a *API) Counts() (requests, refused int) {
	return int(a.reqs.Load()), a.sink.Refused()
}
