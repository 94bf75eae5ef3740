package tests

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

// The README's generated stack outputs table.
const (
	outputsFile  = "README.md"
	outputsBegin = "<!-- BEGIN outputs-table -->"
	outputsEnd   = "<!-- END outputs-table -->"
)

// outputDocs says what each stack output is. The table lists them in the order stacks/run.go
// exports them, with whether dev and prod export each under mocks.
var outputDocs = map[string]string{
	"region":             "AWS region of every resource",
	"apiUrl":             "the stage's base URL",
	"eventsUrl":          "`POST` one event",
	"batchUrl":           "`POST` up to 500 events",
	"apiAuth":            "how producers authenticate: `apiKey`, `iam` or `jwt`",
	"apiKey":             "the producers' API key (secret: `--show-secrets`); `apiAuth` `apiKey` only",
	"producerPolicy":     "IAM policy that may call both routes; `apiAuth` `iam` only",
	"streamName":         "Kinesis stream",
	"streamArn":          "Kinesis stream ARN (operator policies)",
	"bucketName":         "the lake bucket: `data/`, `raw/`, `errors/`, `athena-results/`",
	"glueDatabase":       "Glue database Athena queries",
	"glueTable":          "Glue table of the events",
	"partitionDiscovery": "how new hours become queryable (`verify` reads it)",
	"crawlerName":        "Glue crawler; with a crawler",
	"crawlerLogGroup":    "the crawler's log group; with a crawler",
	"athenaWorkgroup":    "Athena workgroup with the saved queries",
	"keyArn":             "the stack's KMS key",
	"transformFunction":  "transform Lambda",
	"deliveryStreamName": "Firehose delivery stream",
	"alarmTopicArn":      "SNS topic every alarm notifies: subscribe on-call here",
	"dashboardName":      "CloudWatch dashboard",
	"wafWebAcl":          "WAF web ACL; with `waf`",
	"wafLogGroup":        "log group of blocked requests; with `waf`",
	"datasets":           "each dataset's outputs, by name ([docs/datasets.md](docs/datasets.md))",
}

var exportCall = regexp.MustCompile(`ctx\.Export\("([^"]+)"`)

// TestStackOutputsTableIsGenerated: the README's outputs table lists every ctx.Export of
// stacks/run.go, and its dev and prod columns are what the mocks export for the stack files
// (`go test ./tests -run TestStackOutputsTable -update` rewrites it).
func TestStackOutputsTableIsGenerated(t *testing.T) {
	src, err := os.ReadFile("../stacks/run.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range exportCall.FindAllStringSubmatch(string(src), -1) {
		names = append(names, m[1])
	}
	if len(names) < 20 {
		t.Fatalf("stacks/run.go exports %d outputs, want at least 20: has the export moved?", len(names))
	}
	exported := map[string]map[string]bool{}
	for _, stack := range stacks {
		exported[stack] = map[string]bool{}
		for k := range run(t, stack, nil).Exports {
			exported[stack][k] = true
		}
	}
	// The modes neither stack file uses must export what they promise too.
	variant := map[string]bool{}
	for k := range run(t, "dev", map[string]string{"apiAuth": "iam", "apiQuotaPerDay": "0"}).Exports {
		variant[k] = true
	}
	for _, n := range names {
		if outputDocs[n] == "" {
			t.Errorf("output %s has no line in outputDocs", n)
		}
		if !exported["dev"][n] && !exported["prod"][n] && !variant[n] {
			t.Errorf("output %s is exported by no run: add a variant that exports it", n)
		}
	}
	for n := range outputDocs {
		if !slices.Contains(names, n) {
			t.Errorf("outputDocs lists %s, which stacks/run.go does not export", n)
		}
	}
	table := outputsTable(names, exported)
	testenv.Generated(t, outputsFile, func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, outputsBegin, outputsEnd, table)
	}, *update, "go test ./tests -run TestStackOutputsTable -update")
}

// outputsTable renders one row per output: whether dev and prod export it, and what it is.
func outputsTable(names []string, exported map[string]map[string]bool) string {
	var b strings.Builder
	b.WriteString("<!-- generated from stacks/run.go's exports under mocks: go test ./tests -run TestStackOutputsTable -update -->\n")
	b.WriteString("| output | dev | prod | what it is |\n|---|---|---|---|\n")
	yes := map[bool]string{true: "✓", false: ""}
	for _, n := range names {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n, yes[exported["dev"][n]], yes[exported["prod"][n]], outputDocs[n])
	}
	return b.String()
}
