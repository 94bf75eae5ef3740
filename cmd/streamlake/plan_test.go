package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/internal/testenv"
)

// stubStack makes loadStack return s for stack name, and restores it after the test.
func stubStack(t *testing.T, name string, s costplan.Stack) {
	t.Helper()
	old := loadStack
	t.Cleanup(func() { loadStack = old })
	loadStack = func(root, stack string) (costplan.Stack, error) {
		if stack != name {
			t.Errorf("loadStack(%q, %q), want stack %q", root, stack, name)
		}
		return s, nil
	}
}

// testStack is Pulumi.prod.yaml's values (the costplan tests check the arithmetic).
func testStack() costplan.Stack {
	return costplan.Stack{Name: "prod", Region: "eu-west-1", StreamMode: "PROVISIONED", ShardCount: 4, RetentionHours: 168, ShardLevelMetrics: 4,
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
