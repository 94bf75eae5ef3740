package apisim_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/internal/testenv"
)

// Whole-request faults follow their schedule; per-record faults refuse single records, which
// are not stored; everything else is stored once.
func TestMemorySinkFaults(t *testing.T) {
	sink := apisim.NewMemorySink(apisim.Faults{ThrottleRecord: 0.2, FailRecord: 0.1, ThrottleEvery: 3, FailEvery: 4}, 9)
	h := newHandler(t, sink, "")
	var statuses []int
	sent, refused := 0, 0
	for i := range 24 {
		a := serve(h, post("/v1/events/batch", batch(event(2*i, "a"), event(2*i+1, "b"))))
		statuses = append(statuses, a.status)
		sent += 2
		var body struct {
			Accepted      int
			Failed        *int
			FailedRecords []struct{ Index int } `json:"failed_records"`
		}
		if err := json.Unmarshal([]byte(a.body), &body); err != nil {
			t.Fatal(err)
		}
		n := 2 - body.Accepted
		switch call := i + 1; {
		case call%3 == 0:
			if a.status != http.StatusTooManyRequests || body.Failed != nil || body.Accepted != 0 {
				t.Errorf("call %d: %d %s, want a whole 429", call, a.status, a.body)
			}
		case call%4 == 0:
			if (a.status != http.StatusServiceUnavailable && a.status != http.StatusInternalServerError) || body.Accepted != 0 {
				t.Errorf("call %d: %d %s, want a whole 500 or 503", call, a.status, a.body)
			}
		case len(body.FailedRecords) != n:
			t.Errorf("call %d: %s names %d failed records, %d were refused", call, a.body, len(body.FailedRecords), n)
		}
		refused += n
	}
	stored := len(sink.Records())
	if sink.Refused() != refused || stored != sent-refused || !slices.Contains(statuses, 200) || !slices.Contains(statuses, 429) {
		t.Errorf("sent %d, refused %d (sink says %d), stored %d; statuses %v", sent, refused, sink.Refused(), stored, statuses)
	}
	// The same seed gives the same answers.
	again := apisim.NewMemorySink(apisim.Faults{ThrottleRecord: 0.2, FailRecord: 0.1, ThrottleEvery: 3, FailEvery: 4}, 9)
	h = newHandler(t, again, "")
	var repeat []int
	for i := range 24 {
		repeat = append(repeat, serve(h, post("/v1/events/batch", batch(event(2*i, "a"), event(2*i+1, "b")))).status)
	}
	if !slices.Equal(statuses, repeat) {
		t.Errorf("seed 9 gave %v, then %v", statuses, repeat)
	}
}

// A partition key the model accepts (256 characters) but Kinesis refuses (over 256 UTF-16
// code units) is answered 400 by the memory sink as by kinesalite behind a KinesisSink,
// with the same message; a missing stream is the pipeline's fault (500).
func TestKinesisSinkAgainstKinesalite(t *testing.T) {
	endpoint := testenv.Kinesalite(t)
	client := testenv.KinesisClient(endpoint)
	testenv.CreateStream(t, client, "events", 2)
	kin := newHandler(t, &apisim.KinesisSink{Client: client, Stream: "events"}, "")
	mem := newHandler(t, apisim.NewMemorySink(apisim.Faults{}, 1), "")

	long := strings.Repeat("🙂", 200) // 200 characters, 400 UTF-16 code units
	reqs := []request{
		post("/v1/events", event(1, "u-1")),
		post("/v1/events/batch", batch(event(2, "u-2"), event(3, "u-3"), event(4, `zoë "q"`))),
		post("/v1/events", event(5, long)),
		post("/v1/events/batch", batch(event(6, "u-6"), event(7, long))),
	}
	for i, r := range reqs {
		k, m := serve(kin, r), serve(mem, r)
		if k != m {
			t.Errorf("request %d: kinesalite answered %d %s\nthe memory sink %d %s", i, k.status, k.body, m.status, m.body)
		}
	}
	if a := serve(kin, reqs[2]); a.status != http.StatusBadRequest || !strings.Contains(a.body, "rejected by the stream: 1 validation error detected") {
		t.Errorf("long partition key: %d %s", a.status, a.body)
	}
	got := testenv.ReadAll(t, client, "events")
	if len(got) != 4 {
		t.Fatalf("stream holds %d records, want 4", len(got))
	}
	ids := map[string]bool{}
	for _, d := range got {
		var ev map[string]any
		if err := json.Unmarshal(d, &ev); err != nil {
			t.Fatalf("record is not JSON: %s", d)
		}
		ids[ev["event_id"].(string)] = true
	}
	if !ids["e-1"] || !ids["e-2"] || !ids["e-3"] || !ids["e-4"] {
		t.Errorf("stored event ids %v", ids)
	}

	missing := newHandler(t, &apisim.KinesisSink{Client: client, Stream: "nope"}, "")
	if a := serve(missing, reqs[1]); a.status != http.StatusInternalServerError || !strings.Contains(a.body, "cannot write to its stream") {
		t.Errorf("missing stream: %d %s", a.status, a.body)
	}
	down := newHandler(t, &apisim.KinesisSink{Client: testenv.KinesisClient("http://127.0.0.1:1"), Stream: "events"}, "")
	if a := serve(down, reqs[0]); a.status != http.StatusInternalServerError || !strings.Contains(a.body, "Internal server error") {
		t.Errorf("no Kinesis: %d %s", a.status, a.body)
	}
}
