package costplan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/testenv"
)

// TestPriceClaims: what Pulumi.dev.yaml (why dev has no firewall) and docs/api.md say a
// default firewall costs is what the plan charges for it, from the price table (the web ACL,
// its own rules and the default managed rule groups, and the requests it inspects); what
// docs/datasets.md says a shard costs a month is the table's, in its region.
func TestPriceClaims(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	acl, rule, perMillion := p.Unit(WAFWebACLMonth), p.Unit(WAFRuleMonth), p.Unit(WAFRequests)
	rules := WAFCustomRules + len(awsrules.DefaultManagedRuleGroups)
	month := acl + float64(rules)*rule
	root := testenv.ModuleRoot(t)
	for file, claims := range map[string][]string{
		"Pulumi.dev.yaml":  {fmt.Sprintf("WAF costs $%g a month with the\n  # default rules ($%g the web ACL, $%g each of %d rules) plus $%.2f per million requests", month, acl, rule, rules, perMillion)},
		"docs/api.md":      {fmt.Sprintf("Default prod: $%g + %d rules × $%g = $%g a month, plus $%.2f per million", acl, rules, rule, month, perMillion)},
		"docs/datasets.md": {fmt.Sprintf("($%.2f a\nmonth of shard-hours in %s, the price table's region", HoursPerMonth*p.Unit(ShardHour), p.Region)},
	} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			if !strings.Contains(string(b), c) {
				t.Errorf("%s must say %q (costplan/prices.json's prices; a firewall has %d own and %d default managed rules)", file, c, WAFCustomRules, len(awsrules.DefaultManagedRuleGroups))
			}
		}
	}
}
