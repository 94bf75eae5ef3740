package policy

import "github.com/streamlake/streamlake/internal/stacktest"

// Variant is a configuration the program accepts, applied over a stack file.
type Variant struct {
	Name string
	// Config overrides keys of the stack file (unqualified keys, values as the CLI passes them).
	Config map[string]string
	// ExampleDataset deploys the example dataset (schema/examples/quiz_answers.yaml, with
	// stacktest.ExampleDatasetConfig in Config) next to the default: the rules must hold for
	// every dataset's resources.
	ExampleDataset bool
}

// Variants are configurations the program accepts (edges of validated ranges, the other value
// of each switch): the rules must hold for every valid configuration, not only the stack
// files (tests/policy), and CI's deploy role must cover every resource any of them declares
// (tests/ciaccess_test.go).
var Variants = []Variant{
	{Name: "arrival-time", Config: map[string]string{"partitioning": "arrival-time"}},
	{Name: "arrival-time-zero-buffering", Config: map[string]string{"partitioning": "arrival-time", "rawBackup": "false", "firehoseBufferSeconds": "0"}},
	{Name: "no-raw-backup", Config: map[string]string{"rawBackup": "false"}},
	{Name: "on-demand", Config: map[string]string{"streamMode": "ON_DEMAND", "shardCount": "0"}},
	{Name: "shared-apigateway-account", Config: map[string]string{"manageApiGatewayAccount": "false"}},
	{Name: "no-cors", Config: map[string]string{"corsAllowOrigins": "[]"}},
	{Name: "cors-any", Config: map[string]string{"corsAllowOrigins": `["*"]`}},
	{Name: "reject-unknown", Config: map[string]string{"unknownFields": "reject"}},
	{Name: "raw-kept-in-standard-forever", Config: map[string]string{"rawTransitionDays": "0", "rawExpirationDays": "0"}},
	{Name: "raw-deep-archive", Config: map[string]string{"rawStorageClass": "DEEP_ARCHIVE", "rawTransitionDays": "1", "rawExpirationDays": "2"}},
	{Name: "smallest-buffers", Config: map[string]string{"firehoseBufferMb": "64", "processorBufferMb": "0.2", "processorBufferSeconds": "60", "processorRetries": "0"}},
	{Name: "largest-intervals", Config: map[string]string{"firehoseBufferSeconds": "900", "processorBufferSeconds": "900", "lambdaTimeoutSeconds": "300"}},
	{Name: "longest-retention", Config: map[string]string{"retentionHours": "8760", "logRetentionDays": "3653"}},
	{Name: "smallest-scan-cap", Config: map[string]string{"bytesScannedCutoffMb": "10"}},
	{Name: "no-silence-alarm", Config: map[string]string{"alarmSilentMinutes": "0"}},
	{Name: "protected", Config: map[string]string{"protectData": "true", "versioning": "true", "waf": "true"}},
	{Name: "unprotected", Config: map[string]string{"protectData": "false", "versioning": "false"}},
	// Partition discovery. Without a crawler, prod's crawlerSchedule must go: "" leaves it unset.
	{Name: "projection-only", Config: map[string]string{"partitionDiscovery": "projection", "crawlerSchedule": ""}},
	{Name: "projection-only-arrival-time", Config: map[string]string{"partitionDiscovery": "projection", "crawlerSchedule": "", "partitioning": "arrival-time"}},
	{Name: "crawler-only", Config: map[string]string{"partitionDiscovery": "crawler"}},
	{Name: "crawler-only-arrival-time", Config: map[string]string{"partitionDiscovery": "crawler", "partitioning": "arrival-time"}},
	{Name: "crawler-every-5-minutes", Config: map[string]string{"partitionDiscovery": "crawler", "crawlerSchedule": "cron(0/5 * * * ? *)"}},
	// Every auth mode on both stacks (prod names user pools, dev has a quota: each mode's own).
	{Name: "auth-api-key", Config: map[string]string{"apiAuth": "apiKey", "apiJwtUserPoolArns": "[]"}},
	{Name: "auth-iam", Config: map[string]string{"apiAuth": "iam", "apiJwtUserPoolArns": "[]", "apiQuotaPerDay": "0"}},
	{Name: "auth-jwt-scoped", Config: map[string]string{"apiAuth": "jwt", "apiQuotaPerDay": "0", "apiJwtScopes": `["events/write"]`,
		"apiJwtUserPoolArns": `["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI","arn:aws:cognito-idp:us-east-1:210987654321:userpool/us-east-1_ZyXwVuTsR"]`}},
	{Name: "waf-on", Config: map[string]string{"waf": "true"}},
	{Name: "waf-off", Config: map[string]string{"waf": "false", "protectData": "false", "versioning": "false"}},
	{Name: "waf-every-managed-group", Config: map[string]string{"waf": "true", "wafRateLimitPer5Min": "10",
		"wafManagedRules": `["AWSManagedRulesKnownBadInputsRuleSet","AWSManagedRulesAmazonIpReputationList","AWSManagedRulesAnonymousIpList","AWSManagedRulesCommonRuleSet"]`}},
	{Name: "waf-no-managed-group", Config: map[string]string{"waf": "true", "wafRateLimitPer5Min": "2000000000", "wafManagedRules": "[]"}},
	// Two datasets: the default and the example, with its own stream size, retention, buffers
	// and discovery, so that each dataset's resources differ from the other's.
	{Name: "two-datasets", ExampleDataset: true, Config: map[string]string{"datasets": `{"quiz_answers": {"unknownFields": "reject", ` +
		`"shardCount": 2, "retentionHours": 48, "firehoseBufferSeconds": 120, "partitioning": "arrival-time", "partitionDiscovery": "crawler", "alarmSilentMinutes": 15}}`}},
	{Name: "two-datasets-on-demand-projection", ExampleDataset: true, Config: map[string]string{"datasets": `{"quiz_answers": {"unknownFields": "reject", ` +
		`"streamMode": "ON_DEMAND", "partitionDiscovery": "projection"}}`}},
}

// Options are the options of a run of the program on a stack with the variant applied.
func (v Variant) Options(stack string) (stacktest.Options, error) {
	o := stacktest.Options{Stack: stack, Config: v.Config}
	if v.ExampleDataset {
		ds, err := stacktest.ExampleDatasets()
		if err != nil {
			return o, err
		}
		o.Datasets = ds
	}
	return o, nil
}
