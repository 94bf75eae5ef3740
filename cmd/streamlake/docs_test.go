package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

var update = flag.Bool("update", false, "rewrite the generated examples of the docs and the README, and the stack files' capacity comments, from the tool")

// The docs' examples are generated: between "<!-- BEGIN generated: SPEC -->" and
// "<!-- END generated -->" is what the tool prints for SPEC. A `streamlake ...` SPEC runs the
// command as written, in a copy of the project (the real stack files, prod's shardCount set to
// readmeShards so that a resharding pull request does not change the examples), with the
// stack's outputs naming a live stream of as many open shards in moto (AWS_ENDPOINT_URL points
// the SDK there, so the command line is exactly the doc's). "preview refusal A -> B" is the
// preview's error for that shard change.
var generatedBlock = regexp.MustCompile(`(?s)<!-- BEGIN generated: (.*?) -->\n(.*?)<!-- END generated -->`)

// exampleFiles hold the generated examples (relative to the module root): resharding's
// sizing and step runs and the preview refusal, and the cost plans of the stack files.
var exampleFiles = []string{"docs/resharding.md", "docs/costs.md"}

// readmeStream is the prod stream the examples read (stacks.NamesFor's name), and
// readmeShards its open shards and prod's shardCount in them.
const (
	readmeStream = "streamlake-prod-events"
	readmeShards = 4
)

func TestDocExamplesAreTheToolsOutput(t *testing.T) {
	fakeAWS(t)
	endpoint := testenv.Moto(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	cfg := testenv.AWSConfig(endpoint)
	cfg.Region = "eu-west-1"
	testenv.CreateStream(t, kinesis.NewFromConfig(cfg), readmeStream, readmeShards)
	dir := testenv.CopyProject(t)
	pinShards(t, dir, "prod", readmeShards)
	c := cli{t: t, dir: dir, pulumi: stackPulumi(map[string]string{"streamName": readmeStream, "region": "eu-west-1"})}

	total := 0
	for _, file := range exampleFiles {
		n := regenerateExamples(t, c, filepath.Join(testenv.ModuleRoot(t), file))
		if n == 0 {
			t.Errorf("%s has no generated examples", file)
		}
		total += n
	}
	if total < 3 {
		t.Fatalf("the docs have %d generated examples, want the sizing and resharding runs and the preview refusal", total)
	}
}

// regenerateExamples checks (or with -update rewrites) one file's generated examples and
// returns how many it has.
func regenerateExamples(t *testing.T, c cli, path string) int {
	t.Helper()
	doc := readFile(t, path)
	blocks := generatedBlock.FindAllStringSubmatchIndex(doc, -1)
	var out strings.Builder
	last := 0
	for _, m := range blocks {
		spec, body := doc[m[2]:m[3]], doc[m[4]:m[5]]
		want := generate(t, c, spec)
		if body != want && !*update {
			t.Errorf("%s: example %q differs from the tool (go test ./cmd/streamlake -run TestDocExamples -update):\n--- doc\n%s--- tool\n%s", filepath.Base(path), spec, body, want)
		}
		out.WriteString(doc[last:m[4]] + want)
		last = m[5]
	}
	out.WriteString(doc[last:])
	if *update && out.String() != doc {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return len(blocks)
}

// withExampleSpec starts the spec of an example run with the example dataset built in and
// deployed in every stack file (exampleDatasetProject) beside the default.
const withExampleSpec = "with the example dataset: "

// generate is the fenced block for one example.
func generate(t *testing.T, c cli, spec string) string {
	t.Helper()
	command, example := strings.CutPrefix(spec, withExampleSpec)
	if example {
		defer buildExampleDataset()()
		c = cli{t: t, dir: exampleDatasetProject(t)}
	}
	if args, ok := strings.CutPrefix(command, "streamlake "); ok {
		r := c.run(strings.Fields(args)...)
		if r.code != exitOK {
			t.Fatalf("%s: exit %d\n%s", spec, r.code, r.stderr)
		}
		return "```\n$ " + command + "\n" + r.stdout + "```\n"
	}
	var from, to int
	if _, err := fmt.Sscanf(spec, "preview refusal %d -> %d", &from, &to); err != nil {
		t.Fatalf("unknown generated example %q", spec)
	}
	err := awsrules.CheckShardStep(from, to)
	if err == nil {
		t.Fatalf("%s: the step is allowed", spec)
	}
	// One line per clause, so the block reads without scrolling.
	return "```\nstream: " + strings.ReplaceAll(err.Error(), "; ", ";\n") + "\n```\n"
}

var (
	capacityLine = regexp.MustCompile(`^\s*# ` + regexp.QuoteMeta(capacityPrefix))
	numberedFact = regexp.MustCompile(`(?i)\d[\d,.]*\s*(events?/s|shards?|records?/s|MiB/s)`)
)

// Every number a stack file's comments give about throughput is the capacity comment above
// shardCount, which the tool writes (`shards --write`, or -update here), and the tool agrees:
// `shards --peak-eps C` recommends the file's count and one event/s more needs another shard.
func TestStackFileCapacityComments(t *testing.T) {
	root := testenv.ModuleRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if len(files) < 2 {
		t.Fatalf("stack files: %v", files)
	}
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		ops, err := stackfile.ReadOps(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		src := readFile(t, f)
		for i, line := range strings.Split(src, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") && numberedFact.MatchString(line) && !capacityLine.MatchString(line) {
				t.Errorf("%s:%d: a throughput number not written by the tool: %s", ops.File, i+1, strings.TrimSpace(line))
			}
		}
		if ops.OnDemand() || !ops.ShardCountSet {
			continue
		}
		comment := mustComment(t, ops.ShardCount)
		want, err := stackfile.Edit{Key: stackfile.Qualify(ops.Project, stackfile.KeyShardCount), Value: strconv.Itoa(ops.ShardCount), Comment: comment, CommentPrefix: capacityPrefix}.Apply([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case string(want) == src:
		case *update:
			if err := os.WriteFile(f, want, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("%s: the comment above shardCount is not the tool's (go test ./cmd/streamlake -run TestStackFileCapacityComments -update); want\n  # %s", ops.File, comment)
		}
		checkCapacity(t, ops, comment)
	}
}

// checkCapacity runs `shards` at the comment's peak and one event/s above it.
func checkCapacity(t *testing.T, ops stackfile.Ops, comment string) {
	t.Helper()
	var shards, peak int
	if _, err := fmt.Sscanf(strings.TrimPrefix(comment, capacityPrefix+" "), shardsCarryFormat(ops.ShardCount), &shards, &peak); err != nil {
		t.Fatalf("%s: cannot read %q: %v", ops.File, comment, err)
	}
	for _, tt := range []struct{ peak, want int }{{peak, ops.ShardCount}, {peak + 1, ops.ShardCount + 1}} {
		r := cli{t: t}.run("shards", "--peak-eps", strconv.Itoa(tt.peak), "--current", strconv.Itoa(ops.ShardCount), "--json")
		var plan struct {
			Shards int `json:"shards"`
		}
		decodeJSON(t, r.stdout, &plan)
		if plan.Shards != tt.want {
			t.Errorf("%s: `shards --peak-eps %d` recommends %d shards, want %d (comment: %s)", ops.File, tt.peak, plan.Shards, tt.want, comment)
		}
	}
}

// shardsCarryFormat is the Sscanf format of a capacity comment's start.
func shardsCarryFormat(n int) string {
	if n == 1 {
		return "%d shard carries a peak of %d events/s"
	}
	return "%d shards carry a peak of %d events/s"
}

// The README's idle cost is a summary of `streamlake plan --json` for the command between
// "<!-- BEGIN generated summary: SPEC -->" and "<!-- END generated summary -->": each line item
// of at least idleLineUSD, the rest summed, and the total.
var summaryBlock = regexp.MustCompile(`(?s)<!-- BEGIN generated summary: (streamlake plan [^>]*?) -->\n(.*?)<!-- END generated summary -->`)

const idleLineUSD = 0.50

func TestReadmeIdleCostIsThePlans(t *testing.T) {
	path := filepath.Join(testenv.ModuleRoot(t), "README.md")
	readme := readFile(t, path)
	m := summaryBlock.FindStringSubmatchIndex(readme)
	if m == nil {
		t.Fatal("README.md has no generated cost summary (<!-- BEGIN generated summary: streamlake plan ... -->)")
	}
	spec, body := readme[m[2]:m[3]], readme[m[4]:m[5]]
	want := planSummary(t, cli{t: t, dir: testenv.ModuleRoot(t)}, spec)
	switch {
	case body == want:
	case *update:
		if err := os.WriteFile(path, []byte(readme[:m[4]]+want+readme[m[5]:]), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("README's idle cost differs from %q (go test ./cmd/streamlake -run TestReadmeIdleCost -update):\n--- README\n%s--- tool\n%s", spec, body, want)
	}
}

// planSummary runs the plan command of spec with --json and renders its cost as a table.
func planSummary(t *testing.T, c cli, spec string) string {
	t.Helper()
	r := c.run(append(strings.Fields(strings.TrimPrefix(spec, "streamlake ")), "--json")...)
	if r.code != exitOK {
		t.Fatalf("%s: exit %d\n%s", spec, r.code, r.stderr)
	}
	type line struct {
		Service, Item string
		USD           float64
	}
	var plan struct {
		Total float64 `json:"total_usd"`
		Lines []line  `json:"lines"`
	}
	decodeJSON(t, r.stdout, &plan)
	slices.SortStableFunc(plan.Lines, func(a, b line) int { return cmp.Compare(b.USD, a.USD) })
	var b strings.Builder
	b.WriteString("| service | item | USD a month |\n|---|---|---:|\n")
	rest, restN := 0.0, 0
	for _, l := range plan.Lines {
		if l.USD < idleLineUSD {
			rest += l.USD
			restN++
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f |\n", l.Service, l.Item, l.USD)
	}
	if restN > 0 {
		fmt.Fprintf(&b, "| | %d more items under $%.2f each | %.2f |\n", restN, idleLineUSD, rest)
	}
	fmt.Fprintf(&b, "| **total** | | **%.2f** |\n", plan.Total)
	return b.String()
}

// The README's workload totals: for the first cost plan of each stack in docs/costs.md, its
// monthly total and cost per million events, between these markers.
const (
	totalsBegin = "<!-- BEGIN generated totals: the first plan of each stack in docs/costs.md -->"
	totalsEnd   = "<!-- END generated totals -->"
)

// TestReadmeWorkloadTotals: the README shows what docs/costs.md's dev and prod examples cost
// (issue 15), as the tool computes them.
func TestReadmeWorkloadTotals(t *testing.T) {
	root := testenv.ModuleRoot(t)
	costs := readFile(t, filepath.Join(root, "docs/costs.md"))
	c := cli{t: t, dir: root}
	var b strings.Builder
	b.WriteString("| stack | workload | USD a month | USD per million events |\n|---|---|---:|---:|\n")
	seen := map[string]bool{}
	for _, m := range generatedBlock.FindAllStringSubmatch(costs, -1) {
		args, ok := strings.CutPrefix(m[1], "streamlake plan ")
		if !ok {
			continue
		}
		fs := flag.NewFlagSet("plan", flag.ContinueOnError)
		stack, avg, peak, size := fs.String("stack", "", ""), fs.String("avg-eps", "", ""), fs.String("peak-eps", "", ""), fs.String("event-bytes", "", "")
		fs.String("queries-per-day", "", "")
		fs.String("scan-mb", "", "")
		if err := fs.Parse(strings.Fields(args)); err != nil || seen[*stack] {
			continue
		}
		seen[*stack] = true
		r := c.run(append([]string{"plan"}, append(strings.Fields(args), "--json")...)...)
		if r.code != exitOK {
			t.Fatalf("%s: exit %d\n%s", m[1], r.code, r.stderr)
		}
		var plan struct {
			Total      float64 `json:"total_usd"`
			PerMillion float64 `json:"per_million_events_usd"`
		}
		decodeJSON(t, r.stdout, &plan)
		p := message.NewPrinter(language.English)
		n := func(s string) string {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", m[1], err)
			}
			return p.Sprint(v)
		}
		fmt.Fprintf(&b, "| %s | %s events/s (peak %s) of %s B | %s | %.2f |\n", *stack, n(*avg), n(*peak), *size, p.Sprintf("%.2f", plan.Total), plan.PerMillion)
	}
	if !seen["dev"] || !seen["prod"] {
		t.Fatalf("docs/costs.md has no plan example for dev and prod: %v", seen)
	}
	testenv.Generated(t, "README.md", func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, totalsBegin, totalsEnd, b.String())
	}, *update, "go test ./cmd/streamlake -run TestReadmeWorkloadTotals -update")
}
