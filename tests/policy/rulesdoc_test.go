package policy_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/policy"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

var update = flag.Bool("update", false, "rewrite the generated rule table of docs/rules.md")

// The generated rule table's file (relative to the module root) and markers.
const (
	rulesDocFile = "docs/rules.md"
	rulesBegin   = "<!-- BEGIN rule-table -->"
	rulesEnd     = "<!-- END rule-table -->"
)

// TestRulesDocIsGenerated: docs/rules.md's table is policy.Rules with each stack file's
// result, as `make policy` prints them (`go test ./tests/policy -run TestRulesDoc -update`).
func TestRulesDocIsGenerated(t *testing.T) {
	ids, status := ruleStatuses(t)
	var b strings.Builder
	b.WriteString("<!-- generated from policy.Rules: go test ./tests/policy -run TestRulesDoc -update -->\n| Rule | Category |")
	sep := "|---|---|"
	for _, st := range ids {
		b.WriteString(" " + st + " |")
		sep += "---|"
	}
	b.WriteString(" Requires | Why |\n" + sep + "---|---|\n")
	for _, r := range policy.Rules {
		fmt.Fprintf(&b, "| `%s` | %s |", r.ID, r.Category)
		for _, st := range ids {
			b.WriteString(" " + status(st, r.ID) + " |")
		}
		fmt.Fprintf(&b, " %s | %s |\n", cell(r.Description), cell(r.Reason))
	}
	table := b.String()
	testenv.Generated(t, rulesDocFile, func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, rulesBegin, rulesEnd, table)
	}, *update, "go test ./tests/policy -run TestRulesDoc -update")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
