package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// seedAthena queues query results in moto: each StartQueryExecution takes the next one (an
// empty queue gives an empty result, as for a query that finds nothing).
func seedAthena(t *testing.T, endpoint string, results ...[][]string) {
	t.Helper()
	header := []string{"event_id", "occurred_at", "ingested_at"}
	var queued []map[string]any
	for _, rows := range results {
		var out []map[string]any
		if rows != nil { // nil: a DDL result without rows or header
			for _, r := range append([][]string{header}, rows...) {
				var data []map[string]string
				for _, v := range r {
					data = append(data, map[string]string{"VarCharValue": v})
				}
				out = append(out, map[string]any{"Data": data})
			}
		}
		var cols []map[string]string
		for _, h := range header {
			cols = append(cols, map[string]string{"Name": h, "Type": "varchar"})
		}
		if out == nil {
			out, cols = []map[string]any{}, []map[string]string{}
		}
		queued = append(queued, map[string]any{"rows": out, "column_info": cols})
	}
	body, _ := json.Marshal(map[string]any{"region": testenv.Region, "results": queued})
	resp, err := http.Post(endpoint+"/moto-api/static/athena/query-results", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("seed athena results: HTTP %d", resp.StatusCode)
	}
}

func rowsFor(runID string, ids []int, at time.Time, lag time.Duration) [][]string {
	var rows [][]string
	for _, i := range ids {
		rows = append(rows, []string{fmt.Sprintf("%s-%06d", runID, i), at.Format("2006-01-02 15:04:05.000"), at.Add(lag).Format("2006-01-02 15:04:05.000")})
	}
	return rows
}

// motoLake starts moto with the lake bucket "lake" and the Athena workgroup "wg" verify
// queries in, and returns its endpoint.
func motoLake(t *testing.T) string {
	t.Helper()
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig(endpoint)
	ctx := context.Background()
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	if _, err := athena.NewFromConfig(cfg).CreateWorkGroup(ctx, &athena.CreateWorkGroupInput{Name: aws.String("wg"), Configuration: &athenatypes.WorkGroupConfiguration{
		ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://lake/athena-results/")},
	}}); err != nil {
		t.Fatal(err)
	}
	return endpoint
}

type verifyOutput struct {
	verifyReport
}

// verify against moto's Athena (queries succeed; results are seeded) with events sent to the
// API contract stand-in or to moto's Kinesis.
func TestVerifyOnMoto(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig(endpoint)
	ctx := context.Background()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	ath := athena.NewFromConfig(cfg)
	if _, err := ath.CreateWorkGroup(ctx, &athena.CreateWorkGroupInput{Name: aws.String("wg"), Configuration: &athenatypes.WorkGroupConfiguration{
		ResultConfiguration:           &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://lake/athena-results/")},
		EnforceWorkGroupConfiguration: aws.Bool(true),
	}}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	clock := func() time.Time { return now }
	lake := []string{"--bucket", "lake", "--database", "streamlake_dev", "--table", "events", "--workgroup", "wg",
		"--region", testenv.Region, "--endpoint-url", endpoint, "--partition-discovery", "crawler"}

	t.Run("all events found", func(t *testing.T) {
		api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 1)
		// ALTER TABLE (no rows), a first poll that finds 2 events, a second that finds all 5.
		seedAthena(t, endpoint, nil, rowsFor("vfound1", []int{1, 3}, now, 1500*time.Millisecond), rowsFor("vfound1", []int{1, 2, 3, 4, 5}, now, 1500*time.Millisecond))
		args := append([]string{"verify", "--api-url", api.URL, "--api-key", "k", "--run-id", "vfound1", "--count", "5", "--poll", "50ms", "--timeout", "30s", "--json"}, lake...)
		r := cli{t: t, now: clock}.run(args...)
		if r.code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		var rep verifyOutput
		decodeJSON(t, r.stdout, &rep)
		if !rep.OK || rep.Found != 5 || rep.Queries != 3 || len(rep.Missing) != 0 || rep.ArrivalP50Ms != 1500 {
			t.Errorf("report %+v", rep.verifyReport)
		}
		if strings.Join(rep.Partitions, ",") != "year=2026/month=03/day=04/hour=05" {
			t.Errorf("partitions %v", rep.Partitions)
		}
		// The API stored the tagged batch.
		stored := api.Stored()
		for i := 1; i <= 5; i++ {
			if stored[fmt.Sprintf("vfound1-%06d", i)] != 1 {
				t.Errorf("event %d not stored once: %v", i, stored)
			}
		}
		// What verify asked Athena, read back from moto.
		sqls := queriesIn(t, ath, "wg")
		var alter, sel string
		for _, q := range sqls {
			switch {
			case strings.HasPrefix(q, "ALTER TABLE"):
				alter = q
			case strings.Contains(q, "vfound1"):
				sel = q
			}
		}
		for _, want := range []string{"ALTER TABLE `streamlake_dev`.`events` ADD IF NOT EXISTS",
			"PARTITION (year = '2026', month = '03', day = '04', hour = '05') LOCATION 's3://lake/data/year=2026/month=03/day=04/hour=05/'"} {
			if !strings.Contains(alter, want) {
				t.Errorf("ALTER statement lacks %q:\n%s", want, alter)
			}
		}
		for _, want := range []string{`FROM "streamlake_dev"."events"`, "event_type = 'streamlake-verify-vfound1'", "(year = '2026' AND month = '03' AND day = '04' AND hour = '05')"} {
			if !strings.Contains(sel, want) {
				t.Errorf("SELECT lacks %q:\n%s", want, sel)
			}
		}
	})

	t.Run("events missing after the timeout", func(t *testing.T) {
		client := testenv.KinesisClient(endpoint)
		testenv.CreateStream(t, client, "verify-stream", 1)
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("errors/processing-failed/2026/03/04/05/batch-1"), Body: strings.NewReader("{}")}); err != nil {
			t.Fatal(err)
		}
		// ALTER, then one poll finding 2 of 4; later polls find nothing new.
		seedAthena(t, endpoint, nil, rowsFor("vmiss1", []int{2, 4}, now, time.Second))
		args := append([]string{"verify", "--stream", "verify-stream", "--run-id", "vmiss1", "--count", "4", "--poll", "200ms", "--timeout", "1s"}, lake...)
		start := time.Now()
		r := cli{t: t, now: clock}.run(args...)
		t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		if r.code != exitFail {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("took %s with a 1 s timeout", el)
		}
		for _, want := range []string{"verify FAILED: run vmiss1, 2/4 events found", "missing      vmiss1-000001, vmiss1-000003",
			"Kinesis stream verify-stream", "1 object(s) written under s3://lake/errors/"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, `2 of 4 events of run vmiss1 not found in "streamlake_dev"."events" (workgroup wg) after 1s`) {
			t.Errorf("stderr does not name what is missing:\n%s", r.stderr)
		}
		// The events did reach the stream: the failure is downstream of it.
		if n := len(testenv.ReadAll(t, client, "verify-stream")); n != 4 {
			t.Errorf("stream holds %d records, want 4", n)
		}
	})

	t.Run("crawler registers the partitions", func(t *testing.T) {
		alters := func() int {
			n := 0
			for _, q := range queriesIn(t, ath, "wg") {
				if strings.HasPrefix(q, "ALTER TABLE") {
					n++
				}
			}
			return n
		}
		before := alters()
		api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 1)
		// A first poll before the crawler ran (no rows), then one that finds both events.
		seedAthena(t, endpoint, nil, rowsFor("vcrawl1", []int{1, 2}, now, time.Second))
		args := append([]string{"verify", "--api-url", api.URL, "--api-key", "k", "--run-id", "vcrawl1", "--count", "2", "--poll", "50ms", "--timeout", "30s", "--add-partitions=false", "--json"}, lake...)
		r := cli{t: t, now: clock}.run(args...)
		var rep verifyOutput
		decodeJSON(t, r.stdout, &rep)
		if r.code != exitOK || !rep.OK || rep.Found != 2 || rep.Queries != 2 || len(rep.Partitions) != 0 {
			t.Errorf("exit %d, report %+v\n%s", r.code, rep.verifyReport, r.stderr)
		}
		if after := alters(); after != before {
			t.Errorf("--add-partitions=false still ran %d ALTER TABLE", after-before)
		}
	})

	t.Run("projection: no partitions added", func(t *testing.T) {
		testVerifyWithProjection(t, ath, endpoint, clock)
	})

	t.Run("no events at all", func(t *testing.T) {
		args := append([]string{"verify", "--stream", "verify-stream", "--run-id", "vnone1", "--count", "2", "--poll", "100ms", "--timeout", "300ms", "--json"}, lake...)
		r := cli{t: t, now: clock}.run(args...)
		var rep verifyOutput
		decodeJSON(t, r.stdout, &rep)
		if r.code != exitFail || rep.OK || rep.Found != 0 || len(rep.Missing) != 2 || !strings.Contains(strings.Join(rep.Hints, " "), "no event reached the table") {
			t.Errorf("exit %d, report %+v", r.code, rep.verifyReport)
		}
	})
}

// queriesIn returns the SQL of every query run in workgroup wg.
func queriesIn(t *testing.T, c *athena.Client, wg string) []string {
	t.Helper()
	ctx := context.Background()
	ids, err := c.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{WorkGroup: aws.String(wg)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range ids.QueryExecutionIds {
		q, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, aws.ToString(q.QueryExecution.Query))
	}
	return out
}

func TestVerifySQLForTwoHours(t *testing.T) {
	v := &verifier{database: "db", table: "events", bucket: "b", schema: schema.Default()}
	h1 := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	sql := v.addPartitionsSQL([]time.Time{h1, h1.Add(time.Hour)})
	for _, want := range []string{
		"PARTITION (year = '2026', month = '12', day = '31', hour = '23') LOCATION 's3://b/data/year=2026/month=12/day=31/hour=23/'",
		"PARTITION (year = '2027', month = '01', day = '01', hour = '00') LOCATION 's3://b/data/year=2027/month=01/day=01/hour=00/'",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	if got := parseAthenaTime("2026-03-04 05:06:07.890"); !got.Equal(time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC)) {
		t.Errorf("parseAthenaTime = %v", got)
	}
}

// alterCount counts the ALTER TABLE statements run in workgroup wg.
func alterCount(t *testing.T, ath *athena.Client) int {
	t.Helper()
	n := 0
	for _, q := range queriesIn(t, ath, "wg") {
		if strings.HasPrefix(q, "ALTER TABLE") {
			n++
		}
	}
	return n
}

// testVerifyWithProjection: a stack whose partitionDiscovery projects (read from its outputs)
// is verified without a single ALTER TABLE: Athena finds the hours by projection, so verify
// only polls, with equality predicates on every partition column (what projection prunes by).
// --add-partitions=false (the deploy workflow's call) is accepted; --add-partitions is refused.
func testVerifyWithProjection(t *testing.T, ath *athena.Client, endpoint string, clock func() time.Time) {
	outputs := func(t *testing.T, discovery string) string {
		t.Helper()
		vals := map[string]string{"bucketName": "lake", "glueDatabase": "streamlake_dev", "glueTable": "events", "athenaWorkgroup": "wg", "region": testenv.Region}
		if discovery != "" {
			vals["partitionDiscovery"] = discovery
		}
		b, _ := json.Marshal(vals)
		file := filepath.Join(t.TempDir(), "outputs.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	verify := func(t *testing.T, runID, discovery string, extra ...string) (result, verifyOutput) {
		t.Helper()
		api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 1)
		args := append([]string{"verify", "--api-url", api.URL, "--api-key", "k", "--run-id", runID, "--count", "3", "--poll", "50ms", "--timeout", "30s",
			"--json", "--outputs", outputs(t, discovery), "--endpoint-url", endpoint}, extra...)
		r := cli{t: t, now: clock}.run(args...)
		var rep verifyOutput
		if r.code != exitUsage {
			decodeJSON(t, r.stdout, &rep)
		}
		return r, rep
	}
	now := clock()
	for _, tt := range []struct {
		discovery string
		extra     []string
	}{
		{"projection", nil},
		{"projection+crawler", []string{"--add-partitions=false"}},
	} {
		before := alterCount(t, ath)
		runID := "vproj" + strings.ReplaceAll(tt.discovery, "+", "")
		// A first poll that finds one event, a second that finds all three: no ALTER result queued.
		seedAthena(t, endpoint, rowsFor(runID, []int{2}, now, time.Second), rowsFor(runID, []int{1, 2, 3}, now, time.Second))
		r, rep := verify(t, runID, tt.discovery, tt.extra...)
		if r.code != exitOK || !rep.OK || rep.Found != 3 || rep.Queries != 2 || len(rep.Partitions) != 0 || rep.Discovery != tt.discovery {
			t.Errorf("%s: exit %d, report %+v\n%s", tt.discovery, r.code, rep.verifyReport, r.stderr)
		}
		if after := alterCount(t, ath); after != before {
			t.Errorf("%s: verify ran %d ALTER TABLE on a projected table", tt.discovery, after-before)
		}
		for _, q := range queriesIn(t, ath, "wg") {
			if strings.Contains(q, runID) && !strings.Contains(q, "(year = '2026' AND month = '03' AND day = '04' AND hour = '05')") {
				t.Errorf("%s: the query does not pin every partition column:\n%s", tt.discovery, q)
			}
		}
	}

	r, _ := verify(t, "vprojadd", "projection", "--add-partitions")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--add-partitions: the stack's partitionDiscovery is projection") {
		t.Errorf("--add-partitions on a projected stack: exit %d\n%s", r.code, r.stderr)
	}

	// Outputs without partitionDiscovery: a stack from before the key, crawler only, so verify
	// adds the partitions as it always did.
	before := alterCount(t, ath)
	seedAthena(t, endpoint, nil, rowsFor("vold1", []int{1, 2, 3}, now, time.Second))
	r, rep := verify(t, "vold1", "")
	if r.code != exitOK || rep.Discovery != "crawler" || len(rep.Partitions) != 1 || alterCount(t, ath) != before+1 {
		t.Errorf("stack without partitionDiscovery: exit %d, report %+v, %d ALTER TABLE\n%s", r.code, rep.verifyReport, alterCount(t, ath)-before, r.stderr)
	}
}

func TestVerifyDiscoveryFlags(t *testing.T) {
	tests := []struct {
		discovery          string
		flagVal, flagGiven bool
		want               bool
		err                string
	}{
		{"crawler", true, false, true, ""},
		{"crawler", false, true, false, ""},
		{"crawler", true, true, true, ""},
		{"projection", true, false, false, ""},
		{"projection+crawler", false, true, false, ""},
		{"projection", true, true, false, "--add-partitions: the stack's partitionDiscovery is projection"},
		{"projection+crawler", true, true, false, "partitionDiscovery is projection+crawler"},
	}
	for _, tt := range tests {
		got, err := addsPartitions(lakelayout.Discovery(tt.discovery), tt.flagVal, tt.flagGiven)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: error %v, want %q", tt, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v: %t, %v", tt, got, err)
		}
	}
	e := &env{getenv: func(string) string { return "" }, pulumi: func(context.Context, ...string) ([]byte, error) { return nil, errors.New("no pulumi") }}
	so := newStackOutputs(e, "dev", "")
	if _, err := stackDiscovery(context.Background(), e, so, "glue"); err == nil || !strings.Contains(err.Error(), `--partition-discovery "glue": want one of [projection+crawler projection crawler]`) {
		t.Errorf("bad flag: %v", err)
	}
	if _, err := stackDiscovery(context.Background(), e, so, ""); err == nil || !strings.Contains(err.Error(), "--partition-discovery not given") {
		t.Errorf("no flag, no outputs: %v", err)
	}
	if got, err := stackDiscovery(context.Background(), e, so, "projection"); got != "projection" || err != nil {
		t.Errorf("flag: %q, %v", got, err)
	}
}

// --timeout is honoured to the second: the last query is timed to end by the deadline. (It
// gave up one poll early before: with --timeout 20s and the default 15 s poll, after 15 s.)
func TestVerifyTimeoutIsHonoured(t *testing.T) {
	// The bucket verify lists for hints; creating it also loads moto's S3 (its first request
	// takes a second or more), which would otherwise count against the timing.
	endpoint := motoLake(t)
	api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 1)
	for _, tt := range []struct{ poll, timeout time.Duration }{{2 * time.Second, 3 * time.Second}, {1500 * time.Millisecond, 2 * time.Second}} {
		start := time.Now()
		r := cli{t: t}.run("verify", "--api-url", api.URL, "--api-key", "k", "--count", "2", "--poll", tt.poll.String(), "--timeout", tt.timeout.String(),
			"--bucket", "lake", "--database", "db", "--table", "events", "--workgroup", "wg", "--region", testenv.Region, "--endpoint-url", endpoint,
			"--partition-discovery", "crawler", "--add-partitions=false")
		el := time.Since(start)
		t.Logf("--poll %s --timeout %s: gave up after %s", tt.poll, tt.timeout, el.Round(10*time.Millisecond))
		if r.code != exitFail || !strings.Contains(r.stderr, "not found in \"db\".\"events\" (workgroup wg) after "+tt.timeout.String()) {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if el < tt.timeout-300*time.Millisecond || el > tt.timeout+time.Second {
			t.Errorf("--timeout %s with --poll %s: gave up after %s", tt.timeout, tt.poll, el)
		}
	}
}

// A dead API: the failure is said in words (no Go maps, no Go dial errors) and names the
// cause, whether the attempts or --timeout run out, and the report prints no empty fields.
func TestVerifyDeadAPIInWords(t *testing.T) {
	fakeAWS(t)
	const sent = "could not send the verify events to API POST http://127.0.0.1:1/api/v1/events/batch (API key): 3 of 3 not delivered"
	const cause = "network: connection refused by 127.0.0.1:1"
	for _, c := range []struct {
		timeout string
		want    []string
	}{
		{"10m", []string{sent + " (3 gave up after 10 attempts: " + cause + ")", "stopping: a request failed 10 times in a row: " + cause}},
		{"1s", []string{sent + " (3 not sent: the time limit ran out after the last request failed: " + cause + ")",
			"stopped: the time limit ran out after the last request failed: " + cause}},
	} {
		r := cli{t: t}.run("verify", "--api-url", "http://127.0.0.1:1/api", "--api-key", "k", "--count", "3", "--timeout", c.timeout,
			"--bucket", "lake", "--database", "db", "--table", "events", "--workgroup", "wg", "--region", testenv.Region, "--partition-discovery", "crawler")
		out := r.stdout + r.stderr
		t.Logf("--timeout %s:\n%s", c.timeout, out)
		if r.code != exitFail {
			t.Fatalf("--timeout %s: exit %d", c.timeout, r.code)
		}
		for _, want := range append(c.want, "queries      none ran") {
			if !strings.Contains(out, want) {
				t.Errorf("--timeout %s: output lacks %q", c.timeout, want)
			}
		}
		for _, bad := range []string{"map[", "%!", "(last )", "partitions   \n", "<nil>", "dial tcp", `Post "`} {
			if strings.Contains(out, bad) {
				t.Errorf("--timeout %s: output contains %q", c.timeout, bad)
			}
		}
	}
}

// TestCrawlerHintNamesTheDatasetsOutput: the hint to start the crawler names the output that
// holds the dataset's crawler (the default's top-level, another's under datasets).
func TestCrawlerHintNamesTheDatasetsOutput(t *testing.T) {
	for dataset, want := range map[string]string{"": "crawlerName", "events": "crawlerName", "quiz_answers": "datasets.quiz_answers.crawlerName"} {
		if got := crawlerOutputOf(dataset); got != want {
			t.Errorf("dataset %q: crawler output %q, want %q", dataset, got, want)
		}
	}
}
