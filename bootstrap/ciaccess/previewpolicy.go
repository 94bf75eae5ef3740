package ciaccess

import (
	"github.com/streamlake/streamlake/iampolicy"
)

// PreviewPolicies are the preview role's permissions: its stack's state and secrets (the
// preview reads the state and creates a missing stack), and describe/get/list on the app's
// resources, scoped like the deploy role's. Nothing that reads data (no lake objects, no
// Athena results, no API key values) and nothing that writes outside the state.
func PreviewPolicies(t Target) []Policy {
	n := t.names()
	// The live shard count preview checks a reshard against.
	streams := iampolicy.Allow("ReadStream", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListTagsForStream"},
		t.ownNamed("kinesis", "stream/"))
	crawlers := iampolicy.Allow("ReadCrawler", []string{"glue:GetCrawler", "glue:GetTags"}, t.ownNamed("glue", "crawler/"))
	return []Policy{statePolicy(t), {Name: "read-pipeline", Document: iampolicy.New(
		streams, t.exceptOtherStacks("OtherStacksStreams", "kinesis", "stream/", streams),
		t.owned(iampolicy.Allow("ReadStackKey", []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
			t.arn("kms", "key/*"))),
		t.owned(iampolicy.Allow("ReadRoles", []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags"},
			t.roleARNs()...)),
		t.owned(iampolicy.Allow("ReadFunction", []string{"lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:ListVersionsByFunction", "lambda:ListTags"},
			t.arns("lambda", "function:", datasetAutoNames(functionName))...)),
		t.owned(iampolicy.Allow("ReadDeliveryStream", []string{"firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"},
			t.arns("firehose", "deliverystream/", datasetAutoNames(deliveryStreamName))...)),
		// Bucket settings only, never objects.
		iampolicy.Allow("ReadLakeSettings", lakeBucketReads, t.s3ARN(lakeBucketName+"-*")),
		iampolicy.Allow("ReadCatalog", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitionIndexes", "glue:GetTags"},
			t.arn("glue", "catalog"), t.arn("glue", "database/"+n.Database), t.arn("glue", "table/"+n.Database+"/*")),
		crawlers, t.exceptOtherStacks("OtherStacksCrawlers", "glue", "crawler/", crawlers),
		iampolicy.Allow("ReadWorkgroup", []string{"athena:GetWorkGroup", "athena:ListTagsForResource", "athena:GetNamedQuery", "athena:BatchGetNamedQuery", "athena:ListNamedQueries"},
			t.arn("athena", "workgroup/"+n.Workgroup)),
	)}, {Name: "read-api-monitoring", Document: iampolicy.New(
		t.owned(iampolicy.Allow("ReadLogGroups", []string{"logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:DescribeLogStreams"}, t.logGroupARNs()...)),
		t.owned(iampolicy.Allow("ReadAlarms", []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"}, t.arn("cloudwatch", "alarm:"+alarmName+"-*"))),
		iampolicy.Allow("ReadDashboard", []string{"cloudwatch:GetDashboard"}, t.globalARN("cloudwatch", "dashboard/"+n.Dashboard)),
		t.owned(iampolicy.Allow("ReadRule", []string{"events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"}, t.arns("events", "rule/", crawlerRuleNames)...)),
		t.owned(iampolicy.Allow("ReadTopic", []string{"sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic"},
			t.arn("sns", alarmTopicName+"-*"))),
		// Subscriptions are addressed as <topic ARN>:<id>; tag conditions are not evaluated on them.
		iampolicy.Allow("ReadSubscriptions", []string{"sns:GetSubscriptionAttributes"}, t.arn("sns", alarmTopicName+"-*")),
		iampolicy.Allow("ReadWebACL", []string{"wafv2:GetWebACL", "wafv2:ListTagsForResource", "wafv2:GetLoggingConfiguration", "wafv2:GetWebACLForResource"},
			t.webACLARN()),
		iampolicy.Allow("ReadWebACLStage", []string{"wafv2:GetWebACLForResource"}, t.apigw("/restapis/*/stages/*")),
		// REST APIs, usage plans and the account setting; not /apikeys/*, whose GET returns key values.
		iampolicy.Allow("ReadAPI", []string{"apigateway:GET"},
			t.apigw("/restapis"), t.apigw("/restapis/*"), t.apigw("/usageplans"), t.apigw("/usageplans/*"), t.apigw("/account"), t.apigw("/tags/*")),
		// No resource-level permissions exist for these reads (see Unscoped).
		iampolicy.Allow("ReadUnscoped", []string{"logs:DescribeLogGroups", "glue:GetSecurityConfiguration"}, "*"),
	)}}
}

// lakeBucketReads are the bucket settings Pulumi's aws.s3.BucketV2 and its setting resources
// read on refresh and update.
var lakeBucketReads = []string{
	"s3:GetBucketLocation", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning",
	"s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
	"s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration",
	"s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
}
