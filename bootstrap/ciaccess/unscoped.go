package ciaccess

// Unscoped are the actions the roles are allowed on Resource "*", each with the reason: AWS
// defines no resource type for them, so no ARN can narrow them. Tests keep every "*" grant
// in this list and check each against AWS's Service Authorization Reference.
var Unscoped = map[string]string{
	"kms:CreateKey": "a key has no ARN before it exists; the request must tag the key with the app's project and stack, " +
		"and every later call on the key requires those tags",
	"glue:CreateCrawler": "Glue defines no resource for CreateCrawler; the request must tag the crawler with the app's project " +
		"and stack, and every later call names the crawler's exact ARN",
	"glue:CreateSecurityConfiguration": "Glue security configurations have no ARN in IAM: any configuration of the account " +
		"(the app names its own <project>-<stack>-crawler)",
	"glue:GetSecurityConfiguration":    "as glue:CreateSecurityConfiguration (read only)",
	"glue:DeleteSecurityConfiguration": "as glue:CreateSecurityConfiguration",
	// The Service Authorization Reference defines no resource type for these four stream
	// calls, so a statement naming the stream would never match them.
	"kinesis:UpdateShardCount":          "no resource type in the Service Authorization Reference (resharding any stream of the account)",
	"kinesis:UpdateStreamMode":          "as kinesis:UpdateShardCount (switching a stream between provisioned and on-demand)",
	"kinesis:EnableEnhancedMonitoring":  "as kinesis:UpdateShardCount (shard-level metrics)",
	"kinesis:DisableEnhancedMonitoring": "as kinesis:UpdateShardCount (shard-level metrics)",
	"logs:DescribeLogGroups": "a list call without resource-level permission; it returns log group names and settings, " +
		"not log events",
	// AWS WAF's logging to CloudWatch Logs (wafv2:PutLoggingConfiguration) is set up with
	// these calls, made with the caller's permissions; CloudWatch Logs defines no resource type
	// for any of them.
	"logs:CreateLogDelivery": "AWS WAF creates the log delivery of the web ACL to its log group with the caller's permissions; " +
		"no resource type exists for log deliveries of this kind",
	"logs:DeleteLogDelivery": "as logs:CreateLogDelivery (removing the web ACL's logging)",
	"logs:PutResourcePolicy": "AWS WAF adds its log-delivery statement to the account's CloudWatch Logs resource policy when " +
		"logging starts; that policy is account-wide, so the deploy role can rewrite which services may write which log groups",
	"logs:DescribeResourcePolicies": "as logs:PutResourcePolicy (read only: AWS WAF checks for its statement first)",
}
