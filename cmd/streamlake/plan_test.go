package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/internal/testenv"
)

// stubStack makes loadStack return the datasets ss for stack name, and restores it after the
// test.
func stubStack(t *testing.T, name string, ss ...costplan.Stack) {
	t.Helper()
	old := loadStack
	t.Cleanup(func() { loadStack = old })
	loadStack = func(root, stack string) ([]costplan.Stack, error) {
		if stack != name {
			t.Errorf("loadStack(%q, %q), want stack %q", root, stack, name)
		}
		return ss, nil
	}
}

// testStack is Pulumi.prod.yaml's values (the costplan tests check the arithmetic).
func testStack() costplan.Stack {
	return costplan.Stack{Name: "prod", Region: "eu-west-1", Dataset: "events", StreamMode: "PROVISIONED", ShardCount: 4, RetentionHours: 168, ShardLevelMetrics: 4,
		APIRateLimit: 2000, WAF: true, WAFManagedRules: 2, Discovery: "projection+crawler", Projection: true, CrawlerSchedule: "cron(5 * * * ? *)",
		EventTimePartitioning: true, FirehoseBufferMiB: 128, FirehoseBufferSeconds: 300, ProcessorBufferMiB: 1, ProcessorBufferSeconds: 60,
		RawBackup: true, LambdaMemoryMiB: 1024, RawTransitionDays: 30, RawStorageClass: "GLACIER_IR", ErrorsExpirationDays: 90,
		Versioning: true, NoncurrentExpirationDays: 90, BytesScannedCutoffMiB: 10240, LogRetentionDays: 90, SilentAlarm: true}
}

var prodArgs = []string{"--avg-eps", "1500", "--peak-eps", "4000", "--event-bytes", "362"}

func TestPlanText(t *testing.T) {
	stubStack(t, "prod", testStack())
	r := cli{t: t}.run(append([]string{"plan", "--stack", "prod"}, prodArgs...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"streamlake plan: stack prod (eu-west-1), prices for eu-west-1, month 12",
		"POST /v1/events (one event per request)", "$1,356.28",
		"Freshness, arrival to queryable (partitionDiscovery projection+crawler",
		"Athena   worst 6 min, typical 2 min 5 s",
		"Biggest cost driver: API Gateway",
		"cut it most  --batch-share 0.99",
		"warning: shardCount 4 leaves less than 25% headroom",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestPlanJSON(t *testing.T) {
	s := testStack()
	s.CrawlerSchedule, s.Discovery, s.ShardCount = "", "projection", 2 // no warnings, no catalog figures
	stubStack(t, "prod", s)
	r := cli{t: t}.run("plan", "--stack", "prod", "--json", "--avg-eps", "100", "--peak-eps", "200", "--event-bytes", "6000")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkJSON(t, "plan", r.stdout)
	var doc map[string]any
	decodeJSON(t, r.stdout, &doc)
	for _, list := range []string{"warnings", "lines", "services"} {
		if _, ok := doc[list].([]any); !ok {
			t.Errorf("%s is %v, want a list", list, doc[list])
		}
	}
	if w := doc["warnings"].([]any); len(w) != 0 {
		t.Errorf("warnings %v, want [] (6,000 B records, 2 shards for 1.5 MB/s)", w)
	}
	fr := doc["freshness"].(map[string]any)
	if _, ok := fr["worst_catalog_seconds"]; ok || fr["worst_athena_seconds"] != 360.0 {
		t.Errorf("freshness %v: no crawler, so no catalog figures; Athena 360 s", fr)
	}
	d := doc["biggest_driver"].(map[string]any)
	if _, ok := d["alternatives"].([]any); !ok || d["best"] == nil {
		t.Errorf("biggest_driver %v", d)
	}
}

func TestPlanUsageErrors(t *testing.T) {
	stubStack(t, "prod", testStack())
	dir := t.TempDir()
	badPrices := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(badPrices, []byte(`{"region":"us-east-1","currency":"USD","prices":[{"id":"kinesis.shard_hour","unit":"hour","usd":0.015,"source":"https://aws.amazon.com/kinesis/data-streams/pricing/","read":"2026-11-25"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{prodArgs, "give one of --stack S and --config Pulumi.<stack>.yaml"},
		{append([]string{"--stack", "prod", "--config", "Pulumi.prod.yaml"}, prodArgs...), "give one of"},
		{[]string{"--stack", "prod", "--avg-eps", "10"}, "--peak-eps, --event-bytes required"},
		{append([]string{"--stack", "prod", "--batch-share", "1.5"}, prodArgs...), "--batch-share 1.5 is out of range: allowed 0..1"},
		{append([]string{"--stack", "prod", "--batch-size", "0"}, prodArgs...), "--batch-size 0 is out of range: allowed 1..500"},
		{append([]string{"--stack", "prod", "--batch-size", "2.5"}, prodArgs...), `invalid value "2.5" for flag -batch-size`},
		{[]string{"--stack", "prod", "--avg-eps", "-3", "--peak-eps", "2e6", "--event-bytes", "2000000"},
			"--avg-eps -3 is out of range: allowed above 0 and at most 1000000"},
		{[]string{"--stack", "prod", "--avg-eps", "3", "--peak-eps", "2e6", "--event-bytes", "100"}, "--peak-eps 2000000 is out of range: allowed above 0 and at most 1000000"},
		{[]string{"--stack", "prod", "--avg-eps", "3", "--peak-eps", "3", "--event-bytes", "2000000"}, "--event-bytes 2000000 is out of range: allowed 1..1048576"},
		{append([]string{"--stack", "prod", "--queries-per-day", "10"}, prodArgs...), "--queries-per-day 10 and --scan-mb 0 go together"},
		{[]string{"--stack", "prod", "--avg-eps", "0", "--peak-eps", "1", "--event-bytes", "100"}, "--avg-eps 0 is out of range: allowed above 0 and at most 1000000"},
		{append([]string{"--config", filepath.Join(dir, "prod.yaml")}, prodArgs...), "the file must be named Pulumi.<stack>.yaml"},
		{append([]string{"--config", filepath.Join(dir, "Pulumi.prod.yaml")}, prodArgs...), "no such file"},
		{append([]string{"--stack", "prod", "--prices", badPrices}, prodArgs...), `(kinesis.shard_hour): unit must be "shard-hour", got "hour"`},
		{append([]string{"--stack", "prod", "--prices", filepath.Join(dir, "none.json")}, prodArgs...), "--prices: open"},
	}
	for _, tt := range tests {
		r := cli{t: t}.run(append([]string{"plan"}, tt.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// --config names the stack by its file and reads the project from the file's directory.
func TestPlanConfigPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Pulumi.staging.yaml")
	if err := os.WriteFile(path, []byte("config: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, stack, err := stackSource(&env{}, "", path)
	if err != nil || root != dir || stack != "staging" {
		t.Errorf("stackSource(%s) = %q, %q, %v", path, root, stack, err)
	}
}

// Without a stub the command reads the project's stack files: --stack and --config name the
// same file, and a stack without a file is a usage error.
func TestPlanReadsTheStackFiles(t *testing.T) {
	root := testenv.ModuleRoot(t)
	byStack := cli{t: t}.run(append([]string{"plan", "--stack", "prod", "--json"}, prodArgs...)...)
	byFile := cli{t: t}.run(append([]string{"plan", "--config", filepath.Join(root, "Pulumi.prod.yaml"), "--json"}, prodArgs...)...)
	if byStack.code != exitOK || byFile.code != exitOK || byStack.stdout != byFile.stdout {
		t.Fatalf("--stack prod (exit %d, %s) and --config Pulumi.prod.yaml (exit %d, %s) differ", byStack.code, byStack.stderr, byFile.code, byFile.stderr)
	}
	var plan struct {
		Stack    string  `json:"stack"`
		TotalUSD float64 `json:"total_usd"`
	}
	decodeJSON(t, byStack.stdout, &plan)
	if plan.Stack != "prod" || plan.TotalUSD < 1000 {
		t.Errorf("plan of prod: %+v", plan)
	}
	r := cli{t: t}.run(append([]string{"plan", "--stack", "nosuch"}, prodArgs...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Pulumi.nosuch.yaml") {
		t.Errorf("missing stack file: exit %d, %s", r.code, r.stderr)
	}
}

type planLine struct {
	Item   string  `json:"item"`
	USD    float64 `json:"usd"`
	Shared bool    `json:"shared"`
}

type datasetPlanJSON struct {
	Dataset       string         `json:"dataset"`
	StackDatasets int            `json:"stack_datasets"`
	SharedCounted bool           `json:"shared_counted"`
	SharedUSD     float64        `json:"shared_usd"`
	Workload      map[string]any `json:"workload"`
	Total         float64        `json:"total_usd"`
	Lines         []planLine     `json:"lines"`
	SharedLines   []planLine     `json:"shared_lines"`
}

// items counts the lines by item, and sums them.
func items(lines []planLine) (map[string]int, float64) {
	n, sum := map[string]int{}, 0.0
	for _, l := range lines {
		n[l.Item]++
		sum += l.USD
	}
	return n, sum
}

// TestPlanOfADataset: with two datasets plan wants --dataset (the error lists them); a
// dataset's plan prices its own configuration (quiz_answers: on-demand, no raw backup) and
// leaves the shared resources out of its total, listed apart.
func TestPlanOfADataset(t *testing.T) {
	withExampleDataset(t)
	dir := exampleDatasetProject(t)
	args := []string{"plan", "--stack", "dev", "--avg-eps", "20", "--peak-eps", "20", "--event-bytes", "400"}
	r := cli{t: t, dir: dir}.run(args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--dataset is required: stack dev has the datasets events, quiz_answers; give one, or --dataset all") {
		t.Errorf("no --dataset: exit %d, %s", r.code, r.stderr)
	}
	r = cli{t: t, dir: dir}.run(append(args, "--dataset", "quiz")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--dataset quiz: stack dev has no dataset quiz; it has events, quiz_answers (or all") {
		t.Errorf("unknown dataset: exit %d, %s", r.code, r.stderr)
	}
	plans := map[string]datasetPlanJSON{}
	for _, ds := range []string{"events", "quiz_answers"} {
		r = cli{t: t, dir: dir}.run(append(args, "--dataset", ds, "--json")...)
		if r.code != exitOK {
			t.Fatalf("--dataset %s: exit %d, %s", ds, r.code, r.stderr)
		}
		checkJSON(t, "plan --dataset "+ds, r.stdout)
		var pl datasetPlanJSON
		decodeJSON(t, r.stdout, &pl)
		plans[ds] = pl
		own, sum := items(pl.Lines)
		shared, sharedSum := items(pl.SharedLines)
		if pl.Dataset != ds || pl.StackDatasets != 2 || pl.SharedCounted || !near(sum, pl.Total) || !near(sharedSum, pl.SharedUSD) ||
			own["customer managed key"] != 0 || own["dashboard"] != 0 || shared["customer managed key"] != 1 || shared["dashboard"] != 1 {
			t.Errorf("--dataset %s: %s", ds, r.stdout)
		}
	}
	ev, _ := items(plans["events"].Lines)
	q, _ := items(plans["quiz_answers"].Lines)
	if ev["provisioned shards: 1"] != 1 || q["on-demand stream"] != 1 || q["provisioned shards: 1"] != 0 || ev["storage raw/ (gzip), STANDARD"] != 1 || q["storage raw/ (gzip), STANDARD"] != 0 {
		t.Errorf("each dataset's own configuration:\nevents %v\nquiz_answers %v", ev, q)
	}
	r = cli{t: t, dir: dir}.run(append(args, "--dataset", "quiz_answers")...)
	for _, want := range []string{"stack dev (eu-west-1), dataset quiz_answers (one of 2: its own resources)", "Shared by the stack's 2 datasets, once, not in this total: $4.30",
		"datasets.quiz_answers: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestPlanOfEveryDataset: --dataset all plans each dataset with its own workload (the flags,
// with --workload over them) and counts the shared resources once.
func TestPlanOfEveryDataset(t *testing.T) {
	withExampleDataset(t)
	dir := exampleDatasetProject(t)
	args := []string{"plan", "--stack", "dev", "--dataset", "all", "--avg-eps", "20", "--peak-eps", "20", "--event-bytes", "400",
		"--workload", "quiz_answers:avg-eps=5,peak-eps=10,event-bytes=150"}
	r := cli{t: t, dir: dir}.run(append(args, "--json")...)
	if r.code != exitOK {
		t.Fatalf("exit %d, %s", r.code, r.stderr)
	}
	checkJSON(t, "plan --dataset all", r.stdout)
	var sp struct {
		Total       float64           `json:"total_usd"`
		SharedUSD   float64           `json:"shared_usd"`
		SharedLines []planLine        `json:"shared_lines"`
		Datasets    []datasetPlanJSON `json:"datasets"`
		Events      float64           `json:"events_per_month"`
	}
	decodeJSON(t, r.stdout, &sp)
	if len(sp.Datasets) != 2 {
		t.Fatalf("%d datasets", len(sp.Datasets))
	}
	ev, q := sp.Datasets[0], sp.Datasets[1]
	if ev.Dataset != "events" || ev.Workload["avg_eps"] != 20.0 || q.Dataset != "quiz_answers" || q.Workload["avg_eps"] != 5.0 ||
		q.Workload["peak_eps"] != 10.0 || q.Workload["event_bytes"] != 150.0 || q.Workload["batch_size"] != 200.0 {
		t.Errorf("workloads: %v, %v", ev.Workload, q.Workload)
	}
	keys := 0
	for _, lines := range [][]planLine{sp.SharedLines, ev.Lines, q.Lines} {
		n, _ := items(lines)
		keys += n["customer managed key"]
	}
	if keys != 1 || !near(sp.SharedUSD, 4.30) || !near(sp.Total, sp.SharedUSD+ev.Total+q.Total) || sp.Events != 25*2_628_000 {
		t.Errorf("%d keys; total $%.4f = shared $%.4f + $%.4f + $%.4f? %g events", keys, sp.Total, sp.SharedUSD, ev.Total, q.Total, sp.Events)
	}
	r = cli{t: t, dir: dir}.run(args...)
	for _, want := range []string{"streamlake plan: stack dev (eu-west-1), every dataset (2)", "  shared, once", "Shared by every dataset, once",
		"dataset quiz_answers (one of 2: its own resources)", "5/s average, 10/s peak, 150 B each"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
}

func near(a, b float64) bool { return a-b < 0.005 && b-a < 0.005 }

func TestPlanDatasetUsageErrors(t *testing.T) {
	q := testStack()
	q.Dataset = "quiz_answers"
	stubStack(t, "prod", testStack(), q)
	all := []string{"--stack", "prod", "--dataset", "all"}
	tests := []struct {
		args []string
		want string
	}{
		{append([]string{"--stack", "prod", "--workload", "quiz_answers:avg-eps=1"}, prodArgs...), "--workload is for --dataset all"},
		{append(all, "--workload", "quiz:avg-eps=1", "--avg-eps", "1", "--peak-eps", "1", "--event-bytes", "100"),
			"--workload quiz: stack prod has no dataset quiz; it has events, quiz_answers"},
		{append(all, "--event-bytes", "100", "--workload", "quiz_answers:avg-eps=1,peak-eps=2"),
			"dataset events has no avg-eps, peak-eps: give --avg-eps, --peak-eps (every dataset's) or --workload events:avg-eps=N,peak-eps=N"},
		{append(all, "--workload", "quiz_answers:avg-eps"), "want DATASET:flag=value,..."},
		{append(all, "--workload", "quiz_answers"), "want DATASET:flag=value,..."},
		{append(all, "--workload", "quiz_answers:eps=1"), "quiz_answers: eps is not a workload flag: one of avg-eps, peak-eps, event-bytes, batch-share"},
		{append(all, "--workload", "quiz_answers:avg-eps=x"), `quiz_answers: avg-eps="x" is not a number`},
		{append(all, "--workload", "quiz_answers:avg-eps=1", "--workload", "quiz_answers:peak-eps=2"), "quiz_answers given twice"},
		{append(all, "--workload", "quiz_answers:avg-eps=1,avg-eps=2"), "quiz_answers: avg-eps given twice"},
		{append(append(all, "--workload", "quiz_answers:avg-eps=0,peak-eps=30000"), prodArgs...), "dataset quiz_answers: --avg-eps 0 is out of range: allowed above 0"},
		{append(append(all, "--workload", "quiz_answers:avg-eps=10,peak-eps=5"), prodArgs...), "dataset quiz_answers: --peak-eps 5 is below --avg-eps 10"},
		{append(append(all, "--workload", "quiz_answers:batch-size=2.5"), prodArgs...), "--workload quiz_answers: batch-size 2.5 is not a whole number"},
	}
	for _, tt := range tests {
		r := cli{t: t}.run(append([]string{"plan"}, tt.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	r := cli{t: t}.run(append(append([]string{"plan"}, all...), append([]string{"--workload", "quiz_answers:avg-eps=10,peak-eps=20,event-bytes=100"}, prodArgs...)...)...)
	if r.code != exitOK {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}
