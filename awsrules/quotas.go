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
// accountQuotas, by the names below.
const (
	// QuotaAPIResources: "Resources per API", 300, adjustable
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
	QuotaAPIResources = "apiResourcesPerApi"
	// QuotaFirehoseStreams: Firehose streams per account and region, by region
	// (https://docs.aws.amazon.com/firehose/latest/dev/limits.html).
	QuotaFirehoseStreams = "firehoseStreamsPerRegion"
	// QuotaKinesisShards: provisioned shards per account and region, 20,000 in us-east-1,
	// us-west-2 and eu-west-1, "1,000 or 6,000" elsewhere (1,000 assumed)
	// (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html).
	QuotaKinesisShards = "kinesisShardsPerRegion"
	// QuotaOnDemandStreams: on-demand data streams per account, 50 by default (same page).
	QuotaOnDemandStreams = "kinesisOnDemandStreams"
	// QuotaGlueTables: tables per Glue database, 200,000
	// (https://docs.aws.amazon.com/general/latest/gr/glue.html, "Max tables per database").
	QuotaGlueTables = "glueTablesPerDatabase"
	// QuotaGlueCrawlers: crawlers per account, 1,000 (same page, "Number of crawlers per
	// account").
	QuotaGlueCrawlers = "glueCrawlersPerAccount"
)

// QuotaNames are the quotas a stack's accountQuotas may raise.
var QuotaNames = []string{QuotaAPIResources, QuotaFirehoseStreams, QuotaKinesisShards, QuotaOnDemandStreams, QuotaGlueTables, QuotaGlueCrawlers}

// firehoseStreamsByRegion is the default Firehose streams quota by region (limits.html, which
// lists Canada (Central) under both 2,000 and 100: the smaller is taken). Regions the page does
// not name get the smallest, 100.
var firehoseStreamsByRegion = map[string]int{
	"us-east-1": 5000, "us-east-2": 5000, "us-west-2": 5000, "eu-west-1": 5000, "ap-northeast-1": 5000,
	"eu-central-1": 2000, "eu-west-2": 2000, "ap-southeast-1": 2000, "ap-southeast-2": 2000, "ap-northeast-2": 2000,
	"ap-south-1": 2000, "us-gov-west-1": 2000,
	"eu-west-3": 500, "eu-south-1": 500, "eu-north-1": 500, "ap-east-1": 500, "ap-northeast-3": 500, "sa-east-1": 500,
	"cn-northwest-1": 500, "cn-north-1": 500, "me-south-1": 500, "us-gov-east-1": 500, "af-south-1": 500,
}

// DefaultQuota is a quota's default in a region.
func DefaultQuota(name, region string) int {
	switch name {
	case QuotaAPIResources:
		return 300
	case QuotaFirehoseStreams:
		if n, ok := firehoseStreamsByRegion[region]; ok {
			return n
		}
		return 100
	case QuotaKinesisShards:
		if slices.Contains([]string{"us-east-1", "us-west-2", "eu-west-1"}, region) {
			return 20000
		}
		return 1000
	case QuotaOnDemandStreams:
		return 50
	case QuotaGlueTables:
		return 200000
	case QuotaGlueCrawlers:
		return 1000
	}
	return 0
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
