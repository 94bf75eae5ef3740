package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
)

func summaryWith(delivered, retries, failed int) producer.Summary {
	return producer.Summary{Delivered: delivered, Retries: retries, Failed: failed}
}

type sendOutput struct {
	Target  string           `json:"target"`
	OK      bool             `json:"ok"`
	Error   string           `json:"error"`
	Summary producer.Summary `json:"summary"`
}

// `streamlake send --stream` against kinesalite: every event is in the stream once.
func TestSendCommandToKinesalite(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Kinesalite(t)
	client := testenv.KinesisClient(endpoint)
	testenv.CreateStream(t, client, "cli-send", 3)

	r := cli{t: t}.run("send", "--stream", "cli-send", "--endpoint-url", endpoint, "--region", "us-east-1",
		"--count", "2500", "--concurrency", "3", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out sendOutput
	decodeJSON(t, r.stdout, &out)
	if !out.OK || out.Summary.Delivered != 2500 || !strings.Contains(out.Target, "cli-send") {
		t.Fatalf("summary: %+v", out)
	}
	ids := map[string]int{}
	for _, d := range testenv.ReadAll(t, client, "cli-send") {
		var ev map[string]any
		if err := json.Unmarshal(d, &ev); err != nil {
			t.Fatal(err)
		}
		ids[ev[producer.IDField].(string)]++
	}
	if len(ids) != 2500 {
		t.Fatalf("%d distinct events in the stream, want 2500", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}

	// The text summary names what a load test needs.
	r = cli{t: t}.run("send", "--stream", "cli-send", "--endpoint-url", endpoint, "--region", "us-east-1", "--count", "50")
	for _, want := range []string{"sending to Kinesis stream cli-send", "50 sent, 50 delivered, 0 failed", "retries", "events/s", "p50", "p90", "p99", "max"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	// A missing stream aborts at once with AWS's reason, exit 1.
	r = cli{t: t}.run("send", "--stream", "nope", "--endpoint-url", endpoint, "--region", "us-east-1", "--count", "10")
	if r.code != exitFail || !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Errorf("missing stream: exit %d, stderr %s", r.code, r.stderr)
	}
}

// `streamlake send --batch` against the API contract: 429s with failed_records are resent by
// index, whole 429/5xx answers are retried, and each event is stored once.
func TestSendCommandToAPI(t *testing.T) {
	api := testenv.NewAPI(t, "secret", testenv.APIFaults{ThrottleRecord: 0.2, ThrottleEvery: 4, FailEvery: 5}, 11)
	c := cli{t: t, env: map[string]string{"STREAMLAKE_API_KEY": "secret"}}
	r := c.run("send", "--api-url", api.URL, "--batch", "--count", "1200", "--backoff-base", "1ms", "--backoff-max", "5ms", "--max-attempts", "30", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out sendOutput
	decodeJSON(t, r.stdout, &out)
	_, refused := api.Counts()
	stored := api.Stored()
	if out.Summary.Delivered != 1200 || len(stored) != 1200 || out.Summary.Retries != refused || refused == 0 {
		t.Fatalf("delivered %d, stored %d, retries %d, refused %d", out.Summary.Delivered, len(stored), out.Summary.Retries, refused)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if !strings.Contains(out.Target, "/v1/events/batch") {
		t.Errorf("target %q is not the batch route", out.Target)
	}

	// A wrong key: exit 1, and the reason.
	r = cli{t: t}.run("send", "--api-url", api.URL, "--api-key", "wrong", "--count", "5")
	if r.code != exitFail || !strings.Contains(r.stderr, "missing or invalid API key") {
		t.Errorf("wrong key: exit %d, stderr %s", r.code, r.stderr)
	}
}
