package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackfile"
)

// pinShards sets a stack's shardCount (and its capacity comment) in a copied project, so a
// test does not depend on the count the real stack file has today.
func pinShards(t *testing.T, dir, stack string, n int) {
	t.Helper()
	path := stackfile.Path(dir, stack)
	src, err := stackfile.Edit{Key: "streamlake:shardCount", Value: strconv.Itoa(n), Comment: mustComment(t, n), CommentPrefix: capacityPrefix}.Apply([]byte(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pinnedProject is a copy of the project with prod at 4 shards.
func pinnedProject(t *testing.T) string {
	t.Helper()
	dir := testenv.CopyProject(t)
	pinShards(t, dir, "prod", 4)
	return dir
}

// stackPulumi answers `pulumi stack output` with outputs for any stack.
func stackPulumi(outputs map[string]string) pulumiRunner {
	return func(_ context.Context, args ...string) ([]byte, error) {
		if len(args) < 2 || args[0] != "stack" || args[1] != "output" {
			return nil, errors.New("unexpected pulumi call")
		}
		return json.Marshal(outputs)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Resharding prod from 4 to 9 through pull requests, against moto's Kinesis: each run names
// the next edit; --write makes it in a copy of the real Pulumi.prod.yaml (that value and its
// capacity comment, nothing else); while the edit is not deployed the tool refuses the next
// one; after the "deploy" (UpdateShardCount on moto) it continues.
func TestReshardThroughPullRequests(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	client := testenv.KinesisClient(endpoint)
	testenv.CreateStream(t, client, "stream-prod", 4)
	dir := pinnedProject(t)
	file := stackfile.Path(dir, "prod")
	original := readFile(t, file)
	c := cli{t: t, dir: dir, pulumi: stackPulumi(map[string]string{"streamName": "stream-prod", "region": testenv.Region})}
	to9 := []string{"shards", "--to", "9", "--stack", "prod", "--endpoint-url", endpoint}

	r := c.run(to9...)
	for _, want := range []string{"current        4 open shards of live stream stream-prod; Pulumi.prod.yaml says 4",
		"path           4 -> 8 -> 9: 2 steps", "at most 10 UpdateShardCount calls per rolling 24 h per stream",
		"file           Pulumi.prod.yaml", "key            streamlake:shardCount", "change         4 -> 8",
		"apply          streamlake shards --to 9 --stack prod --write", "run this command again for the next step (8 -> 9)"} {
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("plan: exit %d, lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	if readFile(t, file) != original {
		t.Fatal("a run without --write changed the stack file")
	}

	// --write: exactly the value and its comment change.
	r = c.run(append(to9, "--write")...)
	after := readFile(t, file)
	want := replaceLineAfter(t, original, capacityPrefix, mustComment(t, 8), "streamlake:shardCount: 4", "streamlake:shardCount: 8")
	if r.code != exitOK || after != want || !strings.Contains(r.stdout, "written        Pulumi.prod.yaml now sets streamlake:shardCount: 8") {
		t.Fatalf("--write: exit %d\n%s%s\nfile:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, after, want)
	}

	// Merged but not deployed: the file says 8, the stream has 4. No second edit.
	r = c.run(append(to9, "--write")...)
	if r.code != exitFail || readFile(t, file) != after || !strings.Contains(r.stdout, "Pulumi.prod.yaml says shardCount 8 but stream stream-prod has 4 open shards") ||
		!strings.Contains(r.stderr, "not written: the stack file's shardCount is not the current count") {
		t.Fatalf("second --write before the deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// CI deploys the step (UpdateShardCount), then the next step is 8 -> 9.
	deployStep(t, client, "stream-prod", 8)
	r = c.run(append(to9, "--write")...)
	if r.code != exitOK || !strings.Contains(readFile(t, file), "  streamlake:shardCount: 9\n") || !strings.Contains(r.stdout, "change         8 -> 9") ||
		strings.Count(readFile(t, file), capacityPrefix) != 1 {
		t.Fatalf("step 2: exit %d\n%s%s\n%s", r.code, r.stdout, r.stderr, readFile(t, file))
	}
	deployStep(t, client, "stream-prod", 9)
	r = c.run(append(to9, "--write")...)
	if r.code != exitFail || !strings.Contains(r.stdout, "already has 9 shards: nothing to change") || !strings.Contains(r.stderr, "not written: the stream already has 9 shards") {
		t.Errorf("at the target: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The stack file alone when the live stream cannot be read (no outputs): it says so.
	r = cli{t: t, dir: dir}.run("shards", "--to", "18", "--stack", "prod", "--json")
	var plan struct {
		Current       int      `json:"current"`
		CurrentSource string   `json:"current_source"`
		Warnings      []string `json:"warnings"`
		Next          nextJSON `json:"next"`
	}
	decodeJSON(t, r.stdout, &plan)
	if r.code != exitOK || plan.Current != 9 || plan.CurrentSource != fromStackFile || plan.Next.From != 9 || plan.Next.To != 18 || plan.Next.Key != "streamlake:shardCount" ||
		!strings.Contains(strings.Join(plan.Warnings, " "), "the live stream was not read") {
		t.Errorf("without the live stream: exit %d %+v\n%s", r.code, plan, r.stderr)
	}
}

func mustComment(t *testing.T, n int) string {
	t.Helper()
	c, err := capacityComment(n, schema.Default())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replaceLineAfter replaces the managed comment line and the value line in s.
func replaceLineAfter(t *testing.T, s, prefix, comment, oldValue, newValue string) string {
	t.Helper()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, prefix) {
			lines[i] = l[:strings.Index(l, "#")] + "# " + comment
		}
		if strings.TrimSpace(l) == oldValue {
			lines[i] = strings.Replace(l, oldValue, newValue, 1)
		}
	}
	return strings.Join(lines, "\n")
}

func deployStep(t *testing.T, c *kinesis.Client, stream string, to int) {
	t.Helper()
	if _, err := c.UpdateShardCount(context.Background(), &kinesis.UpdateShardCountInput{
		StreamName: aws.String(stream), TargetShardCount: aws.Int32(int32(to)), ScalingType: types.ScalingTypeUniformScaling,
	}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitActive(t, c, stream)
}

// An ON_DEMAND stack has no shard count to change.
func TestReshardOnDemandRefused(t *testing.T) {
	dir := testenv.CopyProject(t)
	path := stackfile.Path(dir, "dev")
	src := strings.Replace(readFile(t, path), "  streamlake:shardCount: 1\n", "  streamlake:streamMode: ON_DEMAND\n", 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli{t: t, dir: dir}.run("shards", "--to", "2", "--stack", "dev", "--write")
	if r.code != exitFail || !strings.Contains(r.stdout, "the stream is ON_DEMAND: shardCount does not apply") || readFile(t, path) != src {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// --from-metrics reads the busiest minute from moto's CloudWatch (put there with
// PutMetricData) through the CLI's client, and sizes from it.
func TestShardsFromMetricsOnMoto(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	cw := cloudWatchClient(testenv.AWSConfig(endpoint))
	now := time.Now().UTC()
	put := func(ago time.Duration, records, bytes float64) {
		t.Helper()
		ts := now.Add(-ago).Truncate(time.Minute)
		dims := []cwtypes.Dimension{{Name: aws.String(dimStream), Value: aws.String("stream-prod")}}
		if _, err := cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(nsKinesis), MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String(metricRecords), Dimensions: dims, Timestamp: aws.Time(ts), Value: aws.Float64(records), Unit: cwtypes.StandardUnitCount},
			{MetricName: aws.String(metricBytes), Dimensions: dims, Timestamp: aws.Time(ts), Value: aws.Float64(bytes), Unit: cwtypes.StandardUnitBytes},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	put(50*time.Minute, 60_000, 60_000*280)
	put(30*time.Minute, 240_000, 240_000*300) // the busiest minute: 4000 records/s of 300 B
	put(10*time.Minute, 120_000, 120_000*310)
	put(3*time.Hour, 6_000_000, 6_000_000*300) // outside --window 2h
	c := cli{t: t, pulumi: stackPulumi(map[string]string{"streamName": "stream-prod", "region": testenv.Region})}
	r := c.run("shards", "--from-metrics", "--stack", "prod", "--window", "2h", "--current", "4", "--endpoint-url", endpoint, "--json")
	var plan struct {
		Workload workloadJSON `json:"workload"`
		Metrics  metricsJSON  `json:"metrics"`
		AvgEPS   float64      `json:"avg_eps"`
		Shards   int          `json:"shards"`
	}
	decodeJSON(t, r.stdout, &plan)
	m := plan.Metrics
	if r.code != exitOK || plan.Workload.PeakEPS != 4000 || plan.Workload.EventBytes != 300 || plan.Shards != 5 || m.Statistic != "Sum" || m.PeriodSec != 60 ||
		m.MinutesWithData != 3 || m.PeakRecordsAt != now.Add(-30*time.Minute).Truncate(time.Minute).Format(time.RFC3339) || plan.AvgEPS != round2(420_000/7200.0) {
		t.Errorf("exit %d, plan %+v\n%s", r.code, plan, r.stderr)
	}
	r = c.run("shards", "--from-metrics", "--stack", "prod", "--window", "2h", "--current", "4", "--endpoint-url", endpoint)
	if !strings.Contains(r.stdout, "IncomingRecords peak 4000.0/s at "+m.PeakRecordsAt) || !strings.Contains(r.stdout, "CloudWatch Sum per 60 s / 60, busiest minute") {
		t.Errorf("text:\n%s", r.stdout)
	}
	// No data: said, and what to do instead.
	c.pulumi = stackPulumi(map[string]string{"streamName": "quiet", "region": testenv.Region})
	r = c.run("shards", "--from-metrics", "--stack", "prod", "--endpoint-url", endpoint)
	if r.code != exitFail || !strings.Contains(r.stderr, "stream quiet has no IncomingRecords/IncomingBytes data") {
		t.Errorf("no data: exit %d\n%s", r.code, r.stderr)
	}
}

// The API's rate limit (apiRateLimit of the stack file) is compared with the planned peak:
// x 1 on the single route, x the batch size on the batch route.
func TestShardsAPIRateCheck(t *testing.T) {
	c := cli{t: t}
	// dev: apiRateLimit 20; peak 100 with 25 % headroom plans 125 events/s.
	r := c.run("shards", "--peak-eps", "100", "--stack", "dev", "--current", "1")
	if !strings.Contains(r.stdout, "carries at most 20 events/s on the single-event route, below the planned 125 events/s") || strings.Contains(r.stdout, "on the batch route, below") {
		t.Errorf("dev, batch 500:\n%s", r.stdout)
	}
	r = c.run("shards", "--peak-eps", "100", "--stack", "dev", "--current", "1", "--batch-size", "5", "--json")
	var plan struct {
		API      apiJSON  `json:"api"`
		Warnings []string `json:"warnings"`
	}
	decodeJSON(t, r.stdout, &plan)
	if plan.API.RateLimit != 20 || plan.API.BatchRouteEPS != 100 || plan.API.BatchRouteCarries || plan.API.SingleRouteCarries ||
		!strings.Contains(strings.Join(plan.Warnings, "\n"), "carries at most 20 x 5 = 100 events/s on the batch route, below the planned 125 events/s") {
		t.Errorf("dev, batch 5: %+v", plan)
	}
	// prod: 2000 requests/s carry 4000 events/s of batches of 500 with room to spare.
	r = c.run("shards", "--peak-eps", "1000", "--stack", "prod", "--current", "4", "--json")
	decodeJSON(t, r.stdout, &plan)
	if !plan.API.SingleRouteCarries || !plan.API.BatchRouteCarries || strings.Contains(strings.Join(plan.Warnings, " "), "apiRateLimit") {
		t.Errorf("prod at 1000 events/s: %+v", plan)
	}
}

// Without the live stream (no readable outputs) --write refuses the stack file's count, naming
// --current: otherwise two runs write 4 -> 8 and 8 -> 9 before CI deployed the first. With
// --current it writes one step, and a second run with the same --current is refused because
// the file is then ahead of it.
func TestWriteNeedsTheLiveCount(t *testing.T) {
	dir := pinnedProject(t)
	file := stackfile.Path(dir, "prod")
	original := readFile(t, file)
	c := cli{t: t, dir: dir, pulumi: func(context.Context, ...string) ([]byte, error) {
		return nil, errors.New("no stack outputs here")
	}}
	to9 := []string{"shards", "--to", "9", "--stack", "prod", "--write"}
	for run := 1; run <= 2; run++ {
		r := c.run(to9...)
		if r.code != exitFail || readFile(t, file) != original ||
			!strings.Contains(r.stderr, "not written: the live stream's open shard count was not read") ||
			!strings.Contains(r.stderr, "pass --current N") || !strings.Contains(r.stderr, "--stream-name streamlake-prod-events") ||
			!strings.Contains(r.stdout, "apply          streamlake shards --to 9 --stack prod --write --current N") {
			t.Fatalf("run %d without the live count: exit %d\n%s%s", run, r.code, r.stdout, r.stderr)
		}
	}
	r := c.run(append(to9, "--current", "4")...)
	after := readFile(t, file)
	if r.code != exitOK || !strings.Contains(after, "  streamlake:shardCount: 8\n") || !strings.Contains(r.stdout, "written        Pulumi.prod.yaml now sets streamlake:shardCount: 8") {
		t.Fatalf("--current 4: exit %d\n%s%s\n%s", r.code, r.stdout, r.stderr, after)
	}
	r = c.run(append(to9, "--current", "4")...)
	if r.code != exitFail || readFile(t, file) != after || !strings.Contains(r.stderr, "not written: the stack file's shardCount is not the current count") {
		t.Errorf("second --current 4: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = c.run("shards", "--to", "9", "--stack", "prod", "--current", "8")
	if r.code != exitOK || !strings.Contains(r.stdout, "apply          streamlake shards --to 9 --stack prod --write --current 8") {
		t.Errorf("plan with --current 8: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
