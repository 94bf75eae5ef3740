package awsrules

import (
	"fmt"
	"regexp"
	"strings"
)

// AutonameSuffix is how many characters Pulumi's auto-naming appends to a logical name
// ("-" and seven random characters).
const AutonameSuffix = 8

// NameRule is AWS's limit on one kind of physical name.
type NameRule struct {
	Max     int
	Pattern *regexp.Regexp
	What    string
}

// NameRules holds the physical-name limits of the resources streamlake creates, by Pulumi
// type token.
var NameRules = map[string]NameRule{
	"aws:kinesis/stream:Stream":                                 {128, regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`), "Kinesis stream"},
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {64, regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`), "Firehose stream"},
	"aws:s3/bucketV2:BucketV2":                                  {63, regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`), "S3 bucket"},
	"aws:iam/role:Role":                                         {64, regexp.MustCompile(`^[\w+=,.@-]+$`), "IAM role"},
	"aws:lambda/function:Function":                              {64, regexp.MustCompile(`^[a-zA-Z0-9_-]+$`), "Lambda function"},
	"aws:glue/catalogDatabase:CatalogDatabase":                  {255, regexp.MustCompile(`^[a-z0-9_]+$`), "Glue database"},
	"aws:glue/catalogTable:CatalogTable":                        {255, regexp.MustCompile(`^[a-z0-9_]+$`), "Glue table"},
	"aws:glue/securityConfiguration:SecurityConfiguration":      {255, regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`), "Glue security configuration"},
	"aws:glue/crawler:Crawler":                                  {255, regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`), "Glue crawler"},
	"aws:athena/workgroup:Workgroup":                            {128, regexp.MustCompile(`^[a-zA-Z0-9._-]+$`), "Athena workgroup"},
	"aws:athena/namedQuery:NamedQuery":                          {128, nil, "Athena named query"},
	"aws:cloudwatch/logGroup:LogGroup":                          {512, regexp.MustCompile(`^[\w./#-]+$`), "log group"},
	"aws:sns/topic:Topic":                                       {256, regexp.MustCompile(`^[a-zA-Z0-9_-]+$`), "SNS topic"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":                    {255, nil, "CloudWatch alarm"},
	"aws:cloudwatch/dashboard:Dashboard":                        {255, regexp.MustCompile(`^[a-zA-Z0-9_-]+$`), "dashboard"},
	"aws:cloudwatch/eventRule:EventRule":                        {64, regexp.MustCompile(`^[\w.-]+$`), "EventBridge rule"},
	"aws:apigateway/restApi:RestApi":                            {1024, nil, "REST API"},
	"aws:apigateway/usagePlan:UsagePlan":                        {1024, nil, "usage plan"},
	"aws:apigateway/apiKey:ApiKey":                              {1024, nil, "API key"},
	"aws:kms/alias:Alias":                                       {256, regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`), "KMS alias"},
	"aws:wafv2/webAcl:WebAcl":                                   {128, regexp.MustCompile(`^[\w-]+$`), "WAF web ACL"},
	"aws:apigateway/authorizer:Authorizer":                      {1024, nil, "API Gateway authorizer"},
}

// CheckName checks a physical name against the rule for its type. autonamed says the name
// is a logical name that Pulumi will suffix.
func CheckName(typ, name string, autonamed bool) error {
	r, ok := NameRules[typ]
	if !ok {
		return nil
	}
	n := len(name)
	if autonamed {
		n += AutonameSuffix
	}
	if n > r.Max {
		return fmt.Errorf("%s name %q is %d characters (with auto-name suffix: %t), AWS allows %d", r.What, name, n, autonamed, r.Max)
	}
	if r.Pattern != nil && !r.Pattern.MatchString(name) {
		return fmt.Errorf("%s name %q does not match %s", r.What, name, r.Pattern)
	}
	return nil
}

var notWord = regexp.MustCompile(`[^a-z0-9]+`)

// PhysicalName joins parts into a lowercase name with sep between words, for resources whose
// names must be chosen rather than auto-named (Glue and Athena names appear in SQL). Project
// and stack go in, so that stacks never collide in one account.
func PhysicalName(sep string, parts ...string) string {
	words := make([]string, 0, len(parts))
	for _, p := range parts {
		w := strings.Trim(notWord.ReplaceAllString(strings.ToLower(p), sep), sep)
		if w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, sep)
}

// Partition returns the AWS partition of a region (aws, aws-cn or aws-us-gov), for ARNs.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)

// CheckRegion checks that a region looks like an AWS region name.
func CheckRegion(region string) error {
	if !regionRE.MatchString(region) {
		return fmt.Errorf("aws:region must be a region like eu-west-1, got %q", region)
	}
	return nil
}
