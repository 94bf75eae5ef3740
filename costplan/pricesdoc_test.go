package costplan

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

var update = flag.Bool("update", false, "rewrite docs/costs.md's generated price checks")

// The generated block of docs/costs.md that says which prices are verified.
const (
	priceDocFile   = "docs/costs.md"
	priceDocBegin  = "<!-- BEGIN price-checks -->"
	priceDocEnd    = "<!-- END price-checks -->"
	priceDocUpdate = "go test ./costplan -run TestPriceChecksDoc -update"
)

// TestPriceChecksDocIsGenerated: docs/costs.md says how many of the embedded table's prices are
// unverified and which stored copies show the others, from the table's confirmed_by; the
// README's summary of the table gives the same count.
func TestPriceChecksDocIsGenerated(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	testenv.Generated(t, priceDocFile, func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, priceDocBegin, priceDocEnd, priceChecks(p))
	}, *update, priceDocUpdate)
	readme, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if claim := unverifiedClaim(p); !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), claim) {
		t.Errorf("README.md's cost section must say %q (costplan/prices.json's rows without confirmed_by)", claim)
	}
}

// unverifiedClaim is how the README counts the table's unverified prices.
func unverifiedClaim(p *Prices) string {
	n := 0
	for _, r := range p.Rows {
		if r.ConfirmedBy == "" {
			n++
		}
	}
	return fmt.Sprintf("%d of its %d prices unverified", n, len(p.Rows))
}

// priceChecks renders the count of unverified prices and the rows a stored copy confirms.
func priceChecks(p *Prices) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- generated from costplan/prices.json (confirmed_by): %s -->\n", priceDocUpdate)
	var confirmed []Price
	for _, r := range p.Rows {
		if r.ConfirmedBy != "" {
			confirmed = append(confirmed, r)
		}
	}
	n := len(p.Rows) - len(confirmed)
	fmt.Fprintf(&b, "**%d of the table's %d prices are unverified**: no stored copy of a pricing page shows their\n", n, len(p.Rows))
	fmt.Fprintf(&b, "%s value (AWS's pages render their tables by script). Check each against the AWS pricing page\n", p.Region)
	b.WriteString("its row cites before relying on a plan; the row's note says what a stored copy did confirm (often\n")
	fmt.Fprintf(&b, "the billing rule, or us-east-1's price). Stored copies show the values of the other %d:\n\n", len(confirmed))
	b.WriteString("| price | USD | unit | shown by |\n|---|---:|---|---|\n")
	for _, r := range confirmed {
		fmt.Fprintf(&b, "| `%s` | %g | %s | %s |\n", r.ID, r.USD, r.Unit, r.ConfirmedBy)
	}
	return b.String()
}
