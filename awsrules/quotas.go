package awsrules

import (
	"fmt"
	"slices"
	"strings"
)

// Quotas that grow with the number of datasets (docs/datasets.md): each dataset adds API
// resources to the one REST API, a delivery stream, a stream (shards, or an on-demand stream)
// and a Glue table (and crawler) to the pipeline. Preview refuses a stack whose own resources
// exceed a default quota; an account whose quota AWS raised says so in the stack's
// accountQuotas, by the names below. Quotas declares each one's default and source once.
const (
	QuotaAPIResources    = "apiResourcesPerApi"
	QuotaFirehoseStreams = "firehoseStreamsPerRegion"
	QuotaKinesisShards   = "kinesisShardsPerRegion"
	QuotaOnDemandStreams = "kinesisOnDemandStreams"
	QuotaGlueTables      = "glueTablesPerDatabase"
	QuotaGlueCrawlers    = "glueCrawlersPerAccount"
)

// Quota is one quota that grows with the datasets: its default, where AWS documents it, and
// what a dataset takes of it. docs/datasets.md's limits table is generated from Quotas
// (`go test ./awsrules -run TestQuotaDocs -update`).
type Quota struct {
	// Name is the quota's key in accountQuotas.
	Name string
	// Title says what AWS counts, and per what.
	Title string
	// PerDataset is what each dataset adds to it.
	PerDataset string
	// Default is the quota where ByRegion does not name the region.
	Default  int
	ByRegion map[string]int
	// Note qualifies the default: adjustable, or what is assumed where AWS's page is unclear.
	Note string
	// Source is AWS's page that gives the default; SourceTitle its title.
	Source, SourceTitle string
}

// Quotas are the quotas a stack's accountQuotas may raise, in the docs' order.
var Quotas = []Quota{
	{Name: QuotaAPIResources, Title: "API Gateway resources per REST API",
		PerDataset: "3 (`/v1/<name>`, `…/events`, `…/events/batch`); the root, `/v1` and the default's 2 are there already",
		Default:    300, Note: "adjustable", SourceTitle: "REST API quotas",
		Source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html"},
	{Name: QuotaFirehoseStreams, Title: "Firehose streams per account and region", PerDataset: "1",
		// The page lists Canada (Central) under both 2,000 and 100: the smaller is taken.
		// Regions it does not name get the smallest, 100.
		Default: 100, ByRegion: map[string]int{
			"us-east-1": 5000, "us-east-2": 5000, "us-west-2": 5000, "eu-west-1": 5000, "ap-northeast-1": 5000,
			"eu-central-1": 2000, "eu-west-2": 2000, "ap-southeast-1": 2000, "ap-southeast-2": 2000, "ap-northeast-2": 2000,
			"ap-south-1": 2000, "us-gov-west-1": 2000,
			"eu-west-3": 500, "eu-south-1": 500, "eu-north-1": 500, "ap-east-1": 500, "ap-northeast-3": 500, "sa-east-1": 500,
			"cn-northwest-1": 500, "cn-north-1": 500, "me-south-1": 500, "us-gov-east-1": 500, "af-south-1": 500,
		},
		Note:        "the page lists ca-central-1 under both 2,000 and 100: 100 is assumed",
		SourceTitle: "Amazon Data Firehose quota", Source: "https://docs.aws.amazon.com/firehose/latest/dev/limits.html"},
	{Name: QuotaKinesisShards, Title: "Kinesis shards per account and region", PerDataset: "its `shardCount` (provisioned)",
		Default: 1000, ByRegion: map[string]int{"us-east-1": 20000, "us-west-2": 20000, "eu-west-1": 20000},
		Note:        `the page says "1,000 or 6,000" elsewhere: 1,000 is assumed; older pages said 500 and 200: AWS raised them`,
		SourceTitle: "Kinesis quotas and limits", Source: "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html"},
	{Name: QuotaOnDemandStreams, Title: "on-demand streams per account", PerDataset: "1 with `streamMode: ON_DEMAND`", Default: 50,
		SourceTitle: "Kinesis quotas and limits", Source: "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html"},
	{Name: QuotaGlueTables, Title: "Glue tables per database", PerDataset: "1", Default: 200000, Note: `the page's "Max tables per database"`,
		SourceTitle: "AWS Glue endpoints and quotas", Source: "https://docs.aws.amazon.com/general/latest/gr/glue.html"},
	{Name: QuotaGlueCrawlers, Title: "Glue crawlers per account", PerDataset: "1 with a crawler", Default: 1000,
		Note:        `the page's "Number of crawlers per account"`,
		SourceTitle: "AWS Glue endpoints and quotas", Source: "https://docs.aws.amazon.com/general/latest/gr/glue.html"},
}

// QuotaNames are the quotas a stack's accountQuotas may raise.
var QuotaNames = func() []string {
	out := make([]string, len(Quotas))
	for i, q := range Quotas {
		out[i] = q.Name
	}
	return out
}()

// DefaultQuota is a quota's default in a region (0 for a name that is no quota).
func DefaultQuota(name, region string) int {
	i := slices.IndexFunc(Quotas, func(q Quota) bool { return q.Name == name })
	if i < 0 {
		return 0
	}
	if n, ok := Quotas[i].ByRegion[region]; ok {
		return n
	}
	return Quotas[i].Default
}

// QuotaUse is what a stack's own resources take of each quota.
type QuotaUse map[string]int

// CheckQuotas refuses a use above the region's default quotas, or the raised values of
// raised. The quotas are per account (the API's, per API): other stacks and teams in the
// account take from them too, which preview cannot see; the message says so.
func CheckQuotas(region string, use QuotaUse, raised map[string]int) error {
	var errs []string
	for _, name := range QuotaNames {
		limit, source := DefaultQuota(name, region), "the default in "+region
		if n, ok := raised[name]; ok {
			limit, source = n, "accountQuotas"
		}
		if n := use[name]; n > limit {
			errs = append(errs, fmt.Sprintf("%s: the stack needs %d, the quota is %d (%s)", name, n, limit, source))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("the datasets need more than the account's quotas allow (%s): remove a dataset or lower its shardCount, "+
		"or have AWS raise the quota (Service Quotas) and set the new value in streamlake:accountQuotas; other stacks in the "+
		"account use these quotas too (docs/datasets.md, Limits)", strings.Join(errs, "; "))
}
