package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
)

// twoDatasetLake are the outputs of a stack with the default and the example dataset whose
// API takes user pool tokens only (prod's apiAuth), over motoLake's bucket and workgroup: the
// default's table is projected, the example's crawled.
func twoDatasetLake(t *testing.T, datasets map[string]any) string {
	t.Helper()
	out := map[string]any{"region": testenv.Region, "bucketName": "lake", "glueDatabase": "streamlake_dev", "athenaWorkgroup": "wg", "apiAuth": "jwt",
		"streamName": "s-events", "glueTable": "events", "partitionDiscovery": "projection+crawler"}
	if datasets != nil {
		out["datasets"] = datasets
	}
	return outputsFile(t, out)
}

var twoVerifiedDatasets = map[string]any{
	"events":       map[string]any{"streamName": "s-events", "glueTable": "events", "partitionDiscovery": "projection+crawler"},
	"quiz_answers": map[string]any{"streamName": "s-quiz", "glueTable": "quiz_answers", "partitionDiscovery": "crawler"},
}

type verifyAllOutput struct {
	OK       bool   `json:"ok"`
	RunID    string `json:"run_id"`
	Datasets []struct {
		Dataset string `json:"dataset"`
		verifyReport
	} `json:"datasets"`
}

// verify --dataset all (the deploy workflow's call) against moto: every dataset of the stack
// output datasets gets its batch in its own stream (--via stream, as prod's smoke test sends
// past its jwt API) and its own query on its own table; one dataset's missing events fail the
// run, naming it; a name that only one dataset has is refused, and so is a dataset the build
// lacks, before anything is sent.
func TestVerifyEveryDatasetOnMoto(t *testing.T) {
	withExampleDataset(t)
	endpoint := motoLake(t)
	ath := athena.NewFromConfig(testenv.AWSConfig(endpoint))
	kin := testenv.KinesisClient(endpoint)
	testenv.CreateStream(t, kin, "s-events", 1)
	testenv.CreateStream(t, kin, "s-quiz", 1)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	clock := func() time.Time { return now }
	outputs := twoDatasetLake(t, twoVerifiedDatasets)
	verify := func(runID, timeout string, extra ...string) result {
		args := append([]string{"verify", "--outputs", outputs, "--dataset", "all", "--via", "stream", "--endpoint-url", endpoint,
			"--run-id", runID, "--count", "3", "--poll", "50ms", "--timeout", timeout, "--add-partitions=false"}, extra...)
		return cli{t: t, now: clock}.run(args...)
	}

	// The default's first poll finds its 3 events; the example's first poll none, its second all.
	seedAthena(t, endpoint, rowsFor("vall1", []int{1, 2, 3}, now, time.Second), [][]string{}, rowsFor("vall1", []int{1, 2, 3}, now, time.Second))
	r := verify("vall1", "30s", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkJSON(t, "verify --dataset all", r.stdout)
	var rep verifyAllOutput
	decodeJSON(t, r.stdout, &rep)
	if !rep.OK || len(rep.Datasets) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for i, want := range []struct {
		name, table string
		queries     int
	}{{"events", `"streamlake_dev"."events"`, 1}, {"quiz_answers", `"streamlake_dev"."quiz_answers"`, 2}} {
		d := rep.Datasets[i]
		if d.Dataset != want.name || !d.OK || d.Found != 3 || d.Queries != want.queries || !strings.HasPrefix(d.Table, want.table) || d.RunID != "vall1" {
			t.Errorf("dataset %d: %+v, want %s found in %s after %d queries", i, d, want.name, want.table, want.queries)
		}
	}
	for stream, n := range map[string]int{"s-events": 3, "s-quiz": 3} {
		if got := len(testenv.ReadAll(t, kin, stream)); got != n {
			t.Errorf("stream %s holds %d records, want %d", stream, got, n)
		}
	}
	var sqls []string
	for _, q := range queriesIn(t, ath, "wg") {
		if strings.Contains(q, "vall1") {
			sqls = append(sqls, q)
		}
	}
	for _, want := range []string{`FROM "streamlake_dev"."events"` + "\nWHERE event_type = 'streamlake-verify-vall1'",
		`FROM "streamlake_dev"."quiz_answers"` + "\nWHERE event_id LIKE 'vall1-%'"} {
		if !strings.Contains(strings.Join(sqls, "\n"), want) {
			t.Errorf("no query has %q:\n%s", want, strings.Join(sqls, "\n---\n"))
		}
	}
	for _, want := range []string{"verify events: sent 3 events of run vall1", "verify quiz_answers: sent 3 events of run vall1"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stderr)
		}
	}

	// The example's events never show: the run fails at the deadline and says which dataset.
	seedAthena(t, endpoint, rowsFor("vall2", []int{1, 2, 3}, now, time.Second))
	r = verify("vall2", "1s")
	for _, want := range []string{"dataset events:\nverify OK: run vall2, 3/3 events found", "dataset quiz_answers:\nverify FAILED: run vall2, 0/3 events found",
		"verify FAILED: run vall2, 2 dataset(s), failed: quiz_answers\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != exitFail || !strings.Contains(r.stderr, "streamlake verify: dataset quiz_answers: 3 of 3 events of run vall2 not found") || strings.Contains(r.stderr, "dataset events: ") {
		t.Errorf("exit %d, want 1 naming only quiz_answers\n%s", r.code, r.stderr)
	}

	testFirstDatasetTimesOut(t, endpoint, verify, now)

	// A stack from before datasets: its one dataset, the default, at the top level.
	seedAthena(t, endpoint, rowsFor("vall3", []int{1, 2, 3}, now, time.Second))
	outputs = twoDatasetLake(t, nil)
	r = verify("vall3", "30s", "--json")
	rep = verifyAllOutput{}
	decodeJSON(t, r.stdout, &rep)
	if r.code != exitOK || len(rep.Datasets) != 1 || rep.Datasets[0].Dataset != "events" || rep.Datasets[0].Found != 3 {
		t.Errorf("stack without datasets: exit %d, report %+v\n%s", r.code, rep, r.stderr)
	}
}

// verify --dataset all refuses what names one dataset, and a dataset the build lacks before
// sending anything; the other commands refuse all.
func TestVerifyEveryDatasetUsage(t *testing.T) {
	withExampleDataset(t)
	fakeAWS(t)
	// quizzes sorts after events: resolving every dataset comes before sending any.
	unknown := map[string]any{"events": twoVerifiedDatasets["events"], "quizzes": map[string]any{"streamName": "s-quizzes", "glueTable": "quizzes"}}
	for _, tc := range []struct {
		datasets map[string]any
		args     []string
		code     int
		want     string
	}{
		{twoVerifiedDatasets, []string{"verify", "--stream", "s-quiz"}, exitUsage, "--stream and --table name one dataset's; with --dataset all"},
		{twoVerifiedDatasets, []string{"verify", "--table", "quiz_answers"}, exitUsage, "--stream and --table name one dataset's"},
		{unknown, []string{"verify"}, exitUsage, "dataset quizzes: --dataset quizzes: this build of streamlake knows the datasets events, quiz_answers"},
		{twoVerifiedDatasets, []string{"send"}, exitUsage, "--dataset all: this command targets one dataset; give one of events, quiz_answers (all is for plan and verify)"},
	} {
		// An endpoint nothing listens on: a call that reached AWS would fail with exit 1.
		args := append(tc.args, "--outputs", twoDatasetLake(t, tc.datasets), "--dataset", "all", "--via", "stream", "--endpoint-url", "http://127.0.0.1:1")
		r := cli{t: t}.run(args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s%s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}

// testFirstDatasetTimesOut: the first dataset in order (the default) never finds its events,
// the second finds them on its second query. Every poll queries both, so the second still gets
// its queries and its end-to-end time is its own: awaited one after the other, the first used
// up the whole --timeout and the second was cut off at its first query and blamed. The first
// one's errors/ hint counts its own error objects, not the second's under errors/quiz_answers/.
func testFirstDatasetTimesOut(t *testing.T, endpoint string, verify func(runID, timeout string, extra ...string) result, now time.Time) {
	t.Helper()
	putErrorObjects(t, endpoint, "errors/processing-failed/2026/11/25/10/a", "errors/quiz_answers/processing-failed/2026/11/25/10/b",
		"errors/quiz_answers/format-conversion-failed/2026/11/25/10/c")
	// Queries in order: events, quiz_answers (nothing yet), events, quiz_answers (all 3).
	seedAthena(t, endpoint, [][]string{}, [][]string{}, [][]string{}, rowsFor("vall4", []int{1, 2, 3}, now, time.Second))
	const timeout = 3 * time.Second
	r := verify("vall4", timeout.String(), "--json")
	var rep verifyAllOutput
	decodeJSON(t, r.stdout, &rep)
	if r.code != exitFail || rep.OK || len(rep.Datasets) != 2 {
		t.Fatalf("exit %d, report %+v\n%s", r.code, rep, r.stderr)
	}
	first, second := rep.Datasets[0], rep.Datasets[1]
	if first.Dataset != "events" || first.OK || first.Found != 0 || !strings.Contains(first.Reason, "3 of 3 events of run vall4 not found") {
		t.Errorf("first dataset: %+v, want events failed, none found", first)
	}
	if hint := "1 object(s) written under s3://lake/errors/ since the run started"; !slices.ContainsFunc(first.Hints, func(h string) bool { return strings.HasPrefix(h, hint) }) {
		t.Errorf("first dataset's hints %q lack %q", first.Hints, hint)
	}
	if second.Dataset != "quiz_answers" || !second.OK || second.Found != 3 || second.Queries != 2 || second.Reason != "" {
		t.Errorf("second dataset: %+v, want quiz_answers found on its 2nd query", second)
	}
	if second.EndToEndSec <= 0 || second.EndToEndSec > (timeout/2).Seconds() {
		t.Errorf("second dataset: end to end %.2fs, want its own (well under the %s the first waited)", second.EndToEndSec, timeout)
	}
	if !strings.Contains(r.stderr, "streamlake verify: dataset events: 3 of 3 events of run vall4 not found") || strings.Contains(r.stderr, "dataset quiz_answers: ") {
		t.Errorf("exit %d, want 1 naming only events\n%s", r.code, r.stderr)
	}
}

// putErrorObjects writes objects with the given keys to the lake bucket.
func putErrorObjects(t *testing.T, endpoint string, keys ...string) {
	t.Helper()
	c := s3Client(testenv.AWSConfig(endpoint))
	for _, k := range keys {
		if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(k), Body: strings.NewReader("{}")}); err != nil {
			t.Fatal(err)
		}
	}
}

// verify's errors/ hint, like status, counts a dataset's own error objects: the default's
// errors/ without the other datasets' errors/<name>/, another's errors/<name>/.
func TestVerifyCountsItsDatasetsErrorObjects(t *testing.T) {
	endpoint := motoLake(t)
	putErrorObjects(t, endpoint, "errors/processing-failed/2026/11/25/10/a", "errors/format-conversion-failed/2026/11/25/10/b",
		"errors/raw-backup/processing-failed/2026/11/25/10/c", "errors/quiz_answers/processing-failed/2026/11/25/10/d",
		"errors/quiz_answers/raw-backup/processing-failed/2026/11/25/10/e", "errors/quizzes/processing-failed/2026/11/25/10/f",
		"data/quiz_answers/year=2026/g.parquet")
	since := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		dataset string
		want    int
	}{{schema.DefaultDataset, 3}, {"quiz_answers", 2}, {"quizzes", 1}, {"quiz", 0}} {
		v := &verifier{s3: s3Client(testenv.AWSConfig(endpoint)), bucket: "lake", errors: errorFolderOf(schema.Dataset{Name: tc.dataset})}
		if n, err := v.countErrorObjects(context.Background(), since); n != tc.want || err != nil {
			t.Errorf("dataset %s: %d error objects (%v), want %d", tc.dataset, n, err, tc.want)
		}
	}
	// Objects from before the run (a minute of clock skew allowed) are not counted.
	v := &verifier{s3: s3Client(testenv.AWSConfig(endpoint)), bucket: "lake", errors: errorFolderOf(schema.Dataset{Name: "quiz_answers"})}
	if n, err := v.countErrorObjects(context.Background(), time.Now().Add(2*time.Minute)); n != 0 || err != nil {
		t.Errorf("objects older than the run: %d counted (%v)", n, err)
	}
}
