package ciaccess

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/stackconfig"
)

// DeployPolicies are the deploy role's permissions: what `pulumi up` (and destroy, refresh
// and the post-deploy smoke test, `streamlake verify`) of one app stack calls, scoped to the stack's own names
// where the app chooses them, to the auto-name prefixes plus the stack's tags where Pulumi
// chooses them, and to "*" only where AWS offers no resource-level permission (Unscoped
// lists each with its reason). No grant names a dataset: patterns every dataset of the stack
// shares cover one added later (namePrefix, datasetAutoNames).
func DeployPolicies(t Target) []Policy {
	return []Policy{
		statePolicy(t),
		{Name: "identity", Document: iampolicy.New(append(t.keyStatements(), t.roleStatements()...)...)},
		{Name: "pipeline", Document: iampolicy.New(t.pipelineStatements()...)},
		{Name: "catalog", Document: iampolicy.New(t.catalogStatements()...)},
		{Name: "api", Document: iampolicy.New(t.apiStatements()...)},
		{Name: "logs", Document: iampolicy.New(t.logStatements()...)},
		{Name: "monitoring", Document: iampolicy.New(t.monitoringStatements()...)},
	}
}

// keyStatements: the stack's data key (no name: tags are its only handle). Its usage rights
// serve Kinesis stream encryption and the smoke test's Athena queries over the encrypted lake.
func (t Target) keyStatements() []iampolicy.Statement {
	return []iampolicy.Statement{
		// CreateKey has no resource-level permission: the tags it must carry are its scope.
		t.creating(iampolicy.Allow("CreateStackKey", []string{"kms:CreateKey"}, "*")),
		t.creating(iampolicy.Allow("TagNewStackKey", []string{"kms:TagResource"}, t.arn("kms", "key/*"))),
		t.owned(iampolicy.Allow("ManageStackKey", []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
			"kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource",
			"kms:ScheduleKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
		}, t.arn("kms", "key/*"))),
	}
}

// roleStatements: the app's service roles, and passing each only to its own service.
func (t Target) roleStatements() []iampolicy.Statement {
	roles := t.roleARNs()
	out := []iampolicy.Statement{
		t.creating(iampolicy.Allow("CreateStackRoles", []string{"iam:CreateRole", "iam:TagRole"}, roles...)),
		t.owned(iampolicy.Allow("ManageStackRoles", []string{
			"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
			"iam:ListRoleTags", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
			"iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole", "iam:DeleteRole",
		}, roles...)),
		// The API Gateway logging role uses AWS's managed policy, and only that one.
		t.owned(iampolicy.Allow("AttachApiGatewayLogsPolicy", []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"}, t.roleARNsOf(apiGatewayLogsRole, false)...)).
			When("ArnEquals", "iam:PolicyARN", arn.ARN{Partition: t.Partition, Service: "iam", AccountID: "aws", Resource: "policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}.String()),
	}
	for _, r := range appRoles {
		out = append(out, t.owned(iampolicy.Allow("Pass"+sidWord(r.Logical), []string{"iam:PassRole"}, t.roleARNsOf(r.Logical, r.PerDataset)...)).
			When("StringEquals", "iam:PassedToService", r.PassedTo))
	}
	return append(out,
		// Roles the deploy role creates must never become a way to act as someone else.
		iampolicy.Statement{Sid: "NoRoleChaining", Effect: "Deny", Action: iampolicy.StringList{"sts:AssumeRole"}, Resource: iampolicy.StringList{"*"}},
	)
}

// sidWord turns a logical name into a statement id word (ingest-role -> IngestRole).
func sidWord(logical string) string {
	var b strings.Builder
	for _, w := range strings.Split(logical, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// pipelineStatements: every dataset's stream (the stack's name prefix), transform function and
// delivery stream (auto-named, tag-scoped) and the lake bucket (auto-named; S3 evaluates no
// tags, see Unscoped).
func (t Target) pipelineStatements() []iampolicy.Statement {
	fn := t.arns("lambda", "function:", datasetAutoNames(functionName))
	ds := t.arns("firehose", "deliverystream/", datasetAutoNames(deliveryStreamName))
	bucket := t.s3ARN(lakeBucketName + "-*")
	stream := t.ownNamed("kinesis", "stream/")
	streams := iampolicy.Allow("Stream", []string{
		"kinesis:CreateStream", "kinesis:DeleteStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
		"kinesis:AddTagsToStream", "kinesis:RemoveTagsFromStream", "kinesis:ListTagsForStream", "kinesis:TagResource", "kinesis:UntagResource",
		"kinesis:ListTagsForResource", "kinesis:IncreaseStreamRetentionPeriod", "kinesis:DecreaseStreamRetentionPeriod",
	}, stream)
	// Encryption names the key as well as the stream; which key the stack may use is decided
	// by the key's own grants (ManageStackKey).
	encryption := iampolicy.Allow("StreamEncryption", []string{"kinesis:StartStreamEncryption", "kinesis:StopStreamEncryption"}, stream, t.arn("kms", "key/*"))
	// The smoke test's events (`verify --dataset all --via stream`, prod's, whose API takes user
	// pool tokens only); encrypting them takes kms:GenerateDataKey (ManageStackKey). No more
	// than the role has: it may delete the stream.
	smoke := iampolicy.Allow("SmokeTestRecords", []string{"kinesis:PutRecords"}, stream)
	return []iampolicy.Statement{
		streams, encryption, smoke, t.exceptOtherStacks("OtherStacksStreams", "kinesis", "stream/", streams, encryption, smoke),
		iampolicy.Allow("StreamCapacity", []string{
			"kinesis:UpdateShardCount", "kinesis:UpdateStreamMode", "kinesis:EnableEnhancedMonitoring", "kinesis:DisableEnhancedMonitoring",
		}, "*"),
		t.creating(iampolicy.Allow("CreateFunction", []string{"lambda:CreateFunction", "lambda:TagResource"}, fn...)),
		t.owned(iampolicy.Allow("ManageFunction", []string{
			"lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency",
			"lambda:GetRuntimeManagementConfig", "lambda:ListVersionsByFunction", "lambda:ListTags", "lambda:UpdateFunctionCode",
			"lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
			"lambda:TagResource", "lambda:UntagResource", "lambda:DeleteFunction",
		}, slices.Concat(fn, t.arns("lambda", "function:", suffixed(datasetAutoNames(functionName), ":*")))...)),
		t.creating(iampolicy.Allow("CreateDeliveryStream", []string{"firehose:CreateDeliveryStream", "firehose:TagDeliveryStream"}, ds...)),
		t.owned(iampolicy.Allow("ManageDeliveryStream", []string{
			"firehose:DescribeDeliveryStream", "firehose:UpdateDestination", "firehose:DeleteDeliveryStream",
			"firehose:TagDeliveryStream", "firehose:UntagDeliveryStream", "firehose:ListTagsForDeliveryStream",
		}, ds...)),
		iampolicy.Allow("LakeBucket", append([]string{
			"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:PutBucketTagging",
			"s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration", "s3:PutBucketPolicy",
			"s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
		}, lakeBucketReads...), bucket),
		// Force-destroying the dev lake empties it; the smoke test reads data/ and errors/ and
		// Athena writes query results with the caller's credentials.
		iampolicy.Allow("LakeObjects", []string{
			"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
		}, bucket+"/*"),
	}
}

// catalogStatements: Glue database and tables (exact name), every dataset's crawler (the
// stack's name prefix) and the Athena workgroup (exact name) with its named queries and the
// smoke test's queries.
func (t Target) catalogStatements() []iampolicy.Statement {
	n := t.names()
	catalog := []string{
		t.arn("glue", "catalog"), t.arn("glue", "database/"+n.Database),
		t.arn("glue", "table/"+n.Database+"/*"), t.arn("glue", "userDefinedFunction/"+n.Database+"/*"),
	}
	crawlers := iampolicy.Allow("Crawler", []string{
		"glue:GetCrawler", "glue:UpdateCrawler", "glue:DeleteCrawler", "glue:StartCrawler", "glue:StopCrawler",
		"glue:GetTags", "glue:TagResource", "glue:UntagResource",
	}, t.ownNamed("glue", "crawler/"))
	return []iampolicy.Statement{
		iampolicy.Allow("Catalog", []string{
			"glue:CreateDatabase", "glue:GetDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase",
			"glue:CreateTable", "glue:GetTable", "glue:GetTables", "glue:UpdateTable", "glue:DeleteTable", "glue:GetPartitionIndexes",
			"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition",
			"glue:GetTags", "glue:TagResource", "glue:UntagResource",
		}, catalog...),
		crawlers, t.exceptOtherStacks("OtherStacksCrawlers", "glue", "crawler/", crawlers),
		// CreateCrawler has no resource-level permission: tags are its only scope.
		t.creating(iampolicy.Allow("CreateCrawler", []string{"glue:CreateCrawler"}, "*")),
		iampolicy.Allow("SecurityConfiguration", []string{
			"glue:CreateSecurityConfiguration", "glue:GetSecurityConfiguration", "glue:DeleteSecurityConfiguration",
		}, "*"),
		iampolicy.Allow("Workgroup", []string{
			"athena:CreateWorkGroup", "athena:GetWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup",
			"athena:TagResource", "athena:UntagResource", "athena:ListTagsForResource",
			"athena:CreateNamedQuery", "athena:GetNamedQuery", "athena:UpdateNamedQuery", "athena:DeleteNamedQuery",
			"athena:BatchGetNamedQuery", "athena:ListNamedQueries",
			"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution",
		}, t.arn("athena", "workgroup/"+n.Workgroup)),
	}
}

// apiStatements: REST APIs, API keys and usage plans are addressed by random ids, so the scope
// is the resource kind in the app's region (see Unscoped); the account setting is one ARN.
// The firewall follows (wafStatements).
func (t Target) apiStatements() []iampolicy.Statement {
	return append([]iampolicy.Statement{
		iampolicy.Allow("RestApis", []string{"apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"},
			t.apigw("/restapis"), t.apigw("/restapis/*"), t.apigw("/apikeys"), t.apigw("/apikeys/*"),
			t.apigw("/usageplans"), t.apigw("/usageplans/*"), t.apigw("/tags/*")),
		iampolicy.Allow("AccountLoggingSetting", []string{"apigateway:GET", "apigateway:PATCH"}, t.apigw("/account")),
	}, t.wafStatements()...)
}

// wafStatements: the web ACL (exact name, so no tag condition: DeleteWebACL and the
// association calls evaluate none), its association with the API's stage (AWS WAF requires
// apigateway:SetWebACL on the stage besides wafv2:AssociateWebACL) and its logging, which
// AWS WAF sets up through CloudWatch Logs' log delivery with the caller's permissions.
func (t Target) wafStatements() []iampolicy.Statement {
	return []iampolicy.Statement{
		iampolicy.Allow("WebACL", []string{
			"wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource",
			"wafv2:ListTagsForResource", "wafv2:AssociateWebACL", "wafv2:GetWebACLForResource",
			"wafv2:PutLoggingConfiguration", "wafv2:GetLoggingConfiguration", "wafv2:DeleteLoggingConfiguration",
		}, t.webACLARN()),
		iampolicy.Allow("WebACLStage", []string{"wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource", "apigateway:SetWebACL"},
			t.apigw("/restapis/*/stages/*")),
		iampolicy.Allow("WAFLogDelivery", []string{"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"}, "*"),
	}
}

// logStatements: the app's log groups (auto-named and tag-scoped, or of the exact names AWS
// requires) and Firehose's log streams.
func (t Target) logStatements() []iampolicy.Statement {
	logs := t.logGroupARNs()
	return []iampolicy.Statement{
		t.creating(iampolicy.Allow("CreateLogGroups", []string{"logs:CreateLogGroup", "logs:TagResource", "logs:TagLogGroup"}, logs...)),
		t.owned(iampolicy.Allow("ManageLogGroups", []string{
			"logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup",
			"logs:UntagLogGroup", "logs:DescribeLogStreams", "logs:DeleteLogGroup",
		}, logs...)),
		// Firehose's two log streams, created before the delivery stream: by name, as log
		// streams are authorized without their group's tags.
		iampolicy.Allow("DeliveryLogStreams", []string{"logs:CreateLogStream", "logs:DeleteLogStream"},
			t.arns("logs", "log-group:", append(
				suffixed(datasetAutoNames(deliveryLogsName), ":log-stream:"+stackconfig.DestinationLogStream),
				suffixed(datasetAutoNames(deliveryLogsName), ":log-stream:"+stackconfig.BackupLogStream)...))...),
		iampolicy.Allow("DescribeLogGroups", []string{"logs:DescribeLogGroups"}, "*"),
	}
}

// monitoringStatements: alarms (every dataset's too), the crawler-failed rules and the alarm
// topic (auto-named, tag-scoped) and the dashboard (exact name).
func (t Target) monitoringStatements() []iampolicy.Statement {
	alarms := t.arn("cloudwatch", "alarm:"+alarmName+"-*")
	rule := t.arns("events", "rule/", crawlerRuleNames)
	topic := t.arn("sns", alarmTopicName+"-*")
	return []iampolicy.Statement{
		t.creating(iampolicy.Allow("CreateAlarms", []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"}, alarms)),
		t.owned(iampolicy.Allow("ManageAlarms", []string{
			"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
		}, alarms)),
		iampolicy.Allow("Dashboard", []string{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
			t.globalARN("cloudwatch", "dashboard/"+t.names().Dashboard)),
		t.creating(iampolicy.Allow("CreateRule", []string{"events:PutRule", "events:TagResource"}, rule...)),
		t.owned(iampolicy.Allow("ManageRule", []string{
			"events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets",
			"events:ListTargetsByRule", "events:TagResource", "events:UntagResource", "events:ListTagsForResource",
		}, rule...)),
		t.creating(iampolicy.Allow("CreateTopic", []string{"sns:CreateTopic", "sns:TagResource"}, topic)),
		t.owned(iampolicy.Allow("ManageTopic", []string{
			"sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:TagResource", "sns:UntagResource",
			"sns:ListTagsForResource", "sns:ListSubscriptionsByTopic", "sns:Subscribe",
		}, topic)),
		// Subscriptions are <topic ARN>:<id>; tag conditions are not evaluated on them.
		iampolicy.Allow("Subscriptions", []string{"sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"}, topic),
	}
}
