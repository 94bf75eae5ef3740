package awsrules_test

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

var update = flag.Bool("update", false, "rewrite docs/datasets.md's generated limits table")

// The generated limits table of docs/datasets.md.
const (
	quotaDocFile   = "docs/datasets.md"
	quotaDocBegin  = "<!-- BEGIN quota-table -->"
	quotaDocEnd    = "<!-- END quota-table -->"
	quotaDocUpdate = "go test ./awsrules -run TestQuotaDocs -update"
)

// TestQuotaDocsAreGenerated: docs/datasets.md's limits table is awsrules.Quotas, the
// declarations preview checks against: names, defaults by region and sources.
func TestQuotaDocsAreGenerated(t *testing.T) {
	testenv.Generated(t, quotaDocFile, func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, quotaDocBegin, quotaDocEnd, quotaTable())
	}, *update, quotaDocUpdate)
}

// TestDefaultQuotasByRegion pins the defaults the table shows where they differ by region.
func TestDefaultQuotasByRegion(t *testing.T) {
	for _, c := range []struct {
		name, region string
		want         int
	}{
		{awsrules.QuotaFirehoseStreams, "eu-west-1", 5000}, {awsrules.QuotaFirehoseStreams, "ap-south-1", 2000},
		{awsrules.QuotaFirehoseStreams, "cn-north-1", 500}, {awsrules.QuotaFirehoseStreams, "ca-central-1", 100},
		{awsrules.QuotaKinesisShards, "us-west-2", 20000}, {awsrules.QuotaKinesisShards, "eu-central-1", 1000},
		{awsrules.QuotaAPIResources, "eu-west-1", 300}, {awsrules.QuotaOnDemandStreams, "eu-west-1", 50},
		{awsrules.QuotaGlueTables, "eu-west-1", 200000}, {awsrules.QuotaGlueCrawlers, "us-east-1", 1000},
		{"noSuchQuota", "eu-west-1", 0},
	} {
		if got := awsrules.DefaultQuota(c.name, c.region); got != c.want {
			t.Errorf("DefaultQuota(%s, %s) = %d, want %d", c.name, c.region, got, c.want)
		}
	}
}

// quotaTable renders one row per quota; a source the row above cites is "same page".
func quotaTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- generated from awsrules.Quotas (awsrules/quotas.go): %s -->\n", quotaDocUpdate)
	b.WriteString("| quota (`accountQuotas` name) | what a dataset adds | default | source |\n|---|---|---|---|\n")
	prev := ""
	for _, q := range awsrules.Quotas {
		source := fmt.Sprintf("[%s](%s)", q.SourceTitle, q.Source)
		if q.Source == prev {
			source = "same page"
		}
		prev = q.Source
		def := defaults(q)
		if q.Note != "" {
			def += " (" + q.Note + ")"
		}
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s | %s |\n", q.Title, q.Name, q.PerDataset, def, source)
	}
	return b.String()
}

// defaults lists a quota's defaults, largest first, each with its regions in order, then the
// default elsewhere.
func defaults(q awsrules.Quota) string {
	byValue := map[int][]string{}
	for region, n := range q.ByRegion {
		byValue[n] = append(byValue[n], region)
	}
	var parts []string
	for _, n := range slices.SortedFunc(maps.Keys(byValue), func(a, b int) int { return cmp.Compare(b, a) }) {
		parts = append(parts, fmt.Sprintf("%s in %s", thousands(n), strings.Join(slices.Sorted(slices.Values(byValue[n])), ", ")))
	}
	if len(parts) == 0 {
		return thousands(q.Default)
	}
	return strings.Join(parts, "; ") + "; " + thousands(q.Default) + " elsewhere"
}

// thousands writes n with comma separators, as AWS's pages do.
func thousands(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }
