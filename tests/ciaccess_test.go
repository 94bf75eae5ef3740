package tests

// The drift guard between the app and CI's AWS access (bootstrap/ciaccess): every resource
// the program declares, for every stack file and every configuration variant the policy suite
// checks, must be creatable, updatable and deletable by the stack's deploy role and readable
// by both roles, at the ARN its physical name (explicit, or Pulumi's <logical name>-<random>
// auto-name) gives it and with the tags it carries; and every live lookup the program makes
// at preview must be allowed to the preview role. A new resource type or lookup fails here
// until the table below and the roles' policies know it.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/bootstrap/ciaccess"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/policy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// need is what CI's roles must allow on one resource ARN: Deploy the calls `pulumi up` and
// `pulumi destroy` make and those of the deploy workflow's smoke test (`streamlake verify
// --dataset all`, which puts into every dataset's stream with --via stream and queries in the
// workgroup, and the crawlers it starts), Read those of a refresh (both roles). Context holds the request's
// condition keys (the resource's tags, iam:PassedToService, ...).
type need struct {
	Deploy, Read []string
	ARN          string
	Context      map[string]string
}

// noResource is the ARN of calls AWS authorizes without a resource: only a "*" grant allows them.
const noResource = "*"

// guard is one run of the program, with what the table needs to name its resources.
type guard struct {
	res          *stacktest.Result
	region, acct string
	apiID        string
	// byName finds a resource by "<type> <physical name>" or "<type> <ARN>".
	byName map[string]*stacktest.Resource
}

func newGuard(res *stacktest.Result, region string) *guard {
	g := &guard{res: res, region: region, acct: stacktest.Account, byName: map[string]*stacktest.Resource{}}
	for _, r := range res.Resources {
		if n, ok := r.State["name"].(string); ok {
			g.byName[r.Type+" "+n] = r
		}
		if a, ok := r.State["arn"].(string); ok {
			g.byName[r.Type+" "+a] = r
		}
		if r.Type == "aws:apigateway/restApi:RestApi" {
			g.apiID, _ = r.State["id"].(string)
		}
	}
	return g
}

func (g *guard) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, g.region, g.acct, resource)
}

func (g *guard) apigw(path string) string {
	return fmt.Sprintf("arn:aws:apigateway:%s::%s", g.region, path)
}

// tags is the request context of a call on a resource with these tags: creating it (request
// tags) or acting on it (resource tags).
func tags(r *stacktest.Resource) map[string]string {
	out := map[string]string{}
	if r == nil {
		return out
	}
	for k, v := range r.StrMap("tags") {
		out["aws:RequestTag/"+k], out["aws:ResourceTag/"+k] = v, v
	}
	return out
}

// with adds condition keys to a context.
func with(ctx map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range ctx {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// physical is a resource's physical name: its explicit name or the mocks' auto-name.
func physical(r *stacktest.Resource) string {
	n, _ := r.State["name"].(string)
	return n
}

// passRole is the iam:PassRole a resource's reference to an app role takes.
func (g *guard) passRole(roleARN, service string) need {
	role := g.byName["aws:iam/role:Role "+roleARN]
	return need{Deploy: []string{"iam:PassRole"}, ARN: roleARN, Context: with(tags(role), "iam:PassedToService", service)}
}

// role is the app role a child resource names, with its ARN and tags.
func (g *guard) role(name string) (string, map[string]string) {
	r := g.byName["aws:iam/role:Role "+name]
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", g.acct, name), tags(r)
}

// accessTable maps each resource type the program may declare to what CI's roles must allow
// for one resource of it.
var accessTable = map[string]func(g *guard, r *stacktest.Resource) []need{
	"aws:kms/key:Key": func(_ *guard, r *stacktest.Resource) []need {
		return []need{{
			Deploy: []string{"kms:CreateKey", "kms:TagResource", "kms:UntagResource", "kms:EnableKeyRotation", "kms:PutKeyPolicy",
				"kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion"},
			Read: []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
			ARN:  r.State["arn"].(string), Context: tags(r),
		}}
	},
	"aws:kinesis/stream:Stream": func(g *guard, r *stacktest.Resource) []need {
		arn := r.State["arn"].(string)
		deploy := []string{"kinesis:CreateStream", "kinesis:DeleteStream", "kinesis:AddTagsToStream", "kinesis:RemoveTagsFromStream",
			"kinesis:IncreaseStreamRetentionPeriod", "kinesis:DecreaseStreamRetentionPeriod", "kinesis:StartStreamEncryption",
			"kinesis:StopStreamEncryption"}
		capacity := []string{"kinesis:UpdateShardCount", "kinesis:UpdateStreamMode"}
		if len(r.List("shardLevelMetrics")) > 0 {
			capacity = append(capacity, "kinesis:EnableEnhancedMonitoring", "kinesis:DisableEnhancedMonitoring")
		}
		// kinesis:PutRecords: the smoke test's events, encrypted with the stream's key.
		deploy = append(deploy, "kinesis:PutRecords")
		return []need{
			{Deploy: deploy, Read: []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"}, ARN: arn},
			{Deploy: []string{"kinesis:StartStreamEncryption", "kms:GenerateDataKey"}, ARN: r.Str("kmsKeyId"), Context: tags(g.byName["aws:kms/key:Key "+r.Str("kmsKeyId")])},
			{Deploy: capacity, ARN: noResource},
		}
	},
	"aws:s3/bucketV2:BucketV2": func(_ *guard, r *stacktest.Resource) []need {
		arn := r.State["arn"].(string)
		out := []need{{
			Deploy: []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", "s3:ListBucket"},
			Read: []string{"s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration",
				"s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
				"s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:GetBucketPolicy"},
			ARN: arn,
		}}
		if r.Bool("forceDestroy") { // destroy empties the bucket, old versions included
			out = append(out, need{Deploy: []string{"s3:ListBucketVersions"}, ARN: arn},
				need{Deploy: []string{"s3:DeleteObject", "s3:DeleteObjectVersion"}, ARN: arn + "/data/year=2026/x.parquet"})
		}
		return out
	},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       bucketSetting("s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     bucketSetting("s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
	"aws:s3/bucketPolicy:BucketPolicy":                                                           bucketSetting("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     bucketSetting("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": bucketSetting("s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"),
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               bucketSetting("s3:GetBucketVersioning", "s3:PutBucketVersioning"),
	"aws:iam/role:Role": func(g *guard, r *stacktest.Resource) []need {
		arn, _ := g.role(physical(r))
		return []need{{
			Deploy: []string{"iam:CreateRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
				"iam:UpdateRoleDescription", "iam:ListInstanceProfilesForRole", "iam:DeleteRole"},
			Read: []string{"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
			ARN:  arn, Context: tags(r),
		}}
	},
	"aws:iam/rolePolicy:RolePolicy": func(g *guard, r *stacktest.Resource) []need {
		arn, ctx := g.role(r.Str("role"))
		return []need{{Deploy: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy"}, Read: []string{"iam:GetRolePolicy"}, ARN: arn, Context: ctx}}
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": func(g *guard, r *stacktest.Resource) []need {
		arn, ctx := g.role(r.Str("role"))
		return []need{{Deploy: []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"}, Read: []string{"iam:ListAttachedRolePolicies"},
			ARN: arn, Context: with(ctx, "iam:PolicyARN", r.Str("policyArn"))}}
	},
	"aws:lambda/function:Function": func(g *guard, r *stacktest.Resource) []need {
		arn := r.State["arn"].(string)
		deploy := []string{"lambda:CreateFunction", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateFunctionCode",
			"lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction"}
		if r.In("reservedConcurrentExecutions") != nil {
			deploy = append(deploy, "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency")
		}
		return []need{
			{Deploy: deploy, Read: []string{"lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction"},
				ARN: arn, Context: tags(r)},
			g.passRole(r.Str("role"), "lambda.amazonaws.com"),
		}
	},
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": func(g *guard, r *stacktest.Resource) []need {
		return []need{
			{Deploy: []string{"firehose:CreateDeliveryStream", "firehose:TagDeliveryStream", "firehose:UntagDeliveryStream",
				"firehose:UpdateDestination", "firehose:DeleteDeliveryStream"},
				Read: []string{"firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"},
				ARN:  r.State["arn"].(string), Context: tags(r)},
			g.passRole(r.Str("extendedS3Configuration.roleArn"), "firehose.amazonaws.com"),
			g.passRole(r.Str("kinesisSourceConfiguration.roleArn"), "firehose.amazonaws.com"),
		}
	},
	"aws:cloudwatch/logGroup:LogGroup": func(g *guard, r *stacktest.Resource) []need {
		deploy := []string{"logs:CreateLogGroup", "logs:TagResource", "logs:UntagResource", "logs:PutRetentionPolicy",
			"logs:DeleteRetentionPolicy", "logs:DeleteLogGroup"}
		if r.Str("kmsKeyId") != "" {
			deploy = append(deploy, "logs:AssociateKmsKey", "logs:DisassociateKmsKey")
		}
		return []need{
			{Deploy: deploy, Read: []string{"logs:ListTagsForResource"}, ARN: g.arn("logs", "log-group:"+physical(r)), Context: tags(r)},
			{Read: []string{"logs:DescribeLogGroups"}, ARN: noResource},
		}
	},
	"aws:cloudwatch/logStream:LogStream": func(g *guard, r *stacktest.Resource) []need {
		group := r.Str("logGroupName")
		return []need{
			{Deploy: []string{"logs:CreateLogStream", "logs:DeleteLogStream"}, ARN: g.arn("logs", "log-group:"+group+":log-stream:"+r.Str("name"))},
			{Read: []string{"logs:DescribeLogStreams"}, ARN: g.arn("logs", "log-group:"+group+":*"),
				Context: tags(g.byName["aws:cloudwatch/logGroup:LogGroup "+group])},
		}
	},
	"aws:glue/catalogDatabase:CatalogDatabase": func(g *guard, r *stacktest.Resource) []need {
		return glueNeeds(g, []string{"glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase", "glue:TagResource"},
			[]string{"glue:GetDatabase", "glue:GetTags"}, "database/"+r.Str("name"))
	},
	"aws:glue/catalogTable:CatalogTable": func(g *guard, r *stacktest.Resource) []need {
		return glueNeeds(g, []string{"glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable"}, []string{"glue:GetTable", "glue:GetPartitionIndexes"},
			"database/"+r.Str("databaseName"), "table/"+r.Str("databaseName")+"/"+r.Str("name"))
	},
	"aws:glue/crawler:Crawler": func(g *guard, r *stacktest.Resource) []need {
		return []need{
			{Deploy: []string{"glue:CreateCrawler"}, ARN: noResource, Context: tags(r)},
			// glue:StartCrawler: the smoke test starts every dataset's crawler.
			{Deploy: []string{"glue:UpdateCrawler", "glue:DeleteCrawler", "glue:TagResource", "glue:UntagResource", "glue:StartCrawler"},
				Read: []string{"glue:GetCrawler", "glue:GetTags"}, ARN: g.arn("glue", "crawler/"+r.Str("name"))},
			g.passRole(r.Str("role"), "glue.amazonaws.com"),
		}
	},
	"aws:glue/securityConfiguration:SecurityConfiguration": func(*guard, *stacktest.Resource) []need {
		return []need{{Deploy: []string{"glue:CreateSecurityConfiguration", "glue:DeleteSecurityConfiguration"},
			Read: []string{"glue:GetSecurityConfiguration"}, ARN: noResource}}
	},
	"aws:athena/workgroup:Workgroup": func(g *guard, r *stacktest.Resource) []need {
		// The query calls are the smoke test's.
		return []need{{Deploy: []string{"athena:CreateWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup", "athena:TagResource", "athena:UntagResource",
			"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"},
			Read: []string{"athena:GetWorkGroup", "athena:ListTagsForResource"}, ARN: g.arn("athena", "workgroup/"+r.Str("name"))}}
	},
	"aws:athena/namedQuery:NamedQuery": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"athena:CreateNamedQuery", "athena:DeleteNamedQuery"}, Read: []string{"athena:GetNamedQuery"},
			ARN: g.arn("athena", "workgroup/"+r.Str("workgroup"))}}
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:DeleteAlarms"},
			Read: []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"}, ARN: g.arn("cloudwatch", "alarm:"+physical(r)), Context: tags(r)}}
	},
	"aws:cloudwatch/dashboard:Dashboard": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"}, Read: []string{"cloudwatch:GetDashboard"},
			ARN: fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", g.acct, r.Str("dashboardName"))}}
	},
	"aws:cloudwatch/eventRule:EventRule": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"events:PutRule", "events:TagResource", "events:UntagResource", "events:DeleteRule"},
			Read: []string{"events:DescribeRule", "events:ListTagsForResource"}, ARN: g.arn("events", "rule/"+physical(r)), Context: tags(r)}}
	},
	"aws:cloudwatch/eventTarget:EventTarget": func(g *guard, r *stacktest.Resource) []need {
		rule := g.byName["aws:cloudwatch/eventRule:EventRule "+r.Str("rule")]
		return []need{{Deploy: []string{"events:PutTargets", "events:RemoveTargets"}, Read: []string{"events:ListTargetsByRule"},
			ARN: g.arn("events", "rule/"+r.Str("rule")), Context: tags(rule)}}
	},
	"aws:sns/topic:Topic": func(_ *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"sns:CreateTopic", "sns:TagResource", "sns:UntagResource", "sns:SetTopicAttributes", "sns:DeleteTopic"},
			Read: []string{"sns:GetTopicAttributes", "sns:ListTagsForResource"}, ARN: r.State["arn"].(string), Context: tags(r)}}
	},
	"aws:sns/topicPolicy:TopicPolicy": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"sns:SetTopicAttributes"}, Read: []string{"sns:GetTopicAttributes"},
			ARN: r.Str("arn"), Context: tags(g.byName["aws:sns/topic:Topic "+r.Str("arn")])}}
	},
	"aws:sns/topicSubscription:TopicSubscription": func(g *guard, r *stacktest.Resource) []need {
		topic := r.Str("topic")
		return []need{
			{Deploy: []string{"sns:Subscribe"}, ARN: topic, Context: tags(g.byName["aws:sns/topic:Topic "+topic])},
			{Deploy: []string{"sns:Unsubscribe", "sns:SetSubscriptionAttributes"}, Read: []string{"sns:GetSubscriptionAttributes"},
				ARN: topic + ":0a1b2c3d-0000-4000-8000-000000000000"},
		}
	},
	"aws:wafv2/webAcl:WebAcl": func(_ *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource"},
			Read: []string{"wafv2:GetWebACL", "wafv2:ListTagsForResource"}, ARN: r.State["arn"].(string), Context: tags(r)}}
	},
	"aws:wafv2/webAclAssociation:WebAclAssociation": wafNeeds,
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": func(g *guard, r *stacktest.Resource) []need {
		return []need{
			{Deploy: []string{"wafv2:PutLoggingConfiguration", "wafv2:DeleteLoggingConfiguration"}, Read: []string{"wafv2:GetLoggingConfiguration"},
				ARN: r.Str("resourceArn")},
			// AWS WAF sets up the delivery to CloudWatch Logs with the caller's permissions.
			{Deploy: []string{"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
				"logs:DescribeLogGroups"}, ARN: noResource},
		}
	},
	"aws:apigateway/account:Account": func(g *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: []string{"apigateway:PATCH"}, Read: []string{"apigateway:GET"}, ARN: g.apigw("/account")},
			g.passRole(r.Str("cloudwatchRoleArn"), "apigateway.amazonaws.com")}
	},
	"aws:apigateway/restApi:RestApi":                         apiCollection("/restapis", ""),
	"aws:apigateway/resource:Resource":                       apiCollection("/restapis/%s/resources/root000001", "/restapis/%s/resources/res0000001"),
	"aws:apigateway/method:Method":                           apiItem("/restapis/%s/resources/res0000001/methods/POST"),
	"aws:apigateway/methodResponse:MethodResponse":           apiItem("/restapis/%s/resources/res0000001/methods/POST/responses/200"),
	"aws:apigateway/integrationResponse:IntegrationResponse": apiItem("/restapis/%s/resources/res0000001/methods/POST/integration/responses/200"),
	"aws:apigateway/response:Response":                       apiItem("/restapis/%s/gatewayresponses/DEFAULT_4XX"),
	"aws:apigateway/model:Model":                             apiCollection("/restapis/%s/models", "/restapis/%s/models/Event"),
	"aws:apigateway/requestValidator:RequestValidator":       apiCollection("/restapis/%s/requestvalidators", "/restapis/%s/requestvalidators/val001"),
	"aws:apigateway/deployment:Deployment":                   apiCollection("/restapis/%s/deployments", "/restapis/%s/deployments/dep001"),
	"aws:apigateway/stage:Stage":                             apiCollection("/restapis/%s/stages", "/restapis/%s/stages/api"),
	"aws:apigateway/methodSettings:MethodSettings":           apiItem("/restapis/%s/stages/api"),
	"aws:apigateway/authorizer:Authorizer":                   apiCollection("/restapis/%s/authorizers", "/restapis/%s/authorizers/auth01"),
	"aws:apigateway/usagePlan:UsagePlan":                     apiCollection("/usageplans", "/usageplans/plan01"),
	"aws:apigateway/usagePlanKey:UsagePlanKey":               apiCollection("/usageplans/plan01/keys", "/usageplans/plan01/keys/key001"),
	"aws:apigateway/integration:Integration": func(g *guard, r *stacktest.Resource) []need {
		out := apiItem("/restapis/%s/resources/res0000001/methods/POST/integration")(g, r)
		if c := r.Str("credentials"); c != "" {
			out = append(out, g.passRole(c, "apigateway.amazonaws.com"))
		}
		return out
	},
	// Its GET returns the key's value: the deploy role reads it (refresh), the preview role never.
	"aws:apigateway/apiKey:ApiKey": func(g *guard, _ *stacktest.Resource) []need {
		return []need{{Deploy: []string{"apigateway:POST"}, ARN: g.apigw("/apikeys")},
			{Deploy: []string{"apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"}, ARN: g.apigw("/apikeys/key001")}}
	},
}

// bucketSetting is a bucket sub-resource: read, and deploy's calls, name the bucket.
func bucketSetting(read string, deploy ...string) func(*guard, *stacktest.Resource) []need {
	return func(_ *guard, r *stacktest.Resource) []need {
		return []need{{Deploy: deploy, Read: []string{read}, ARN: "arn:aws:s3:::" + r.Str("bucket")}}
	}
}

// glueNeeds: Glue authorizes a catalog call on the catalog and every enclosing resource.
func glueNeeds(g *guard, deploy, read []string, resources ...string) []need {
	out := []need{{Deploy: deploy, Read: read, ARN: g.arn("glue", "catalog")}}
	for _, r := range resources {
		out = append(out, need{Deploy: deploy, Read: read, ARN: g.arn("glue", r)})
	}
	return out
}

// apiCollection is an API Gateway resource created by POST on a collection and changed,
// deleted and read on its item path ("" for the REST API itself). %s is the REST API's id.
func apiCollection(collection, item string) func(*guard, *stacktest.Resource) []need {
	return func(g *guard, r *stacktest.Resource) []need {
		if item == "" {
			item = "/restapis/%s"
		}
		return append([]need{{Deploy: []string{"apigateway:POST"}, ARN: g.apigw(apiPath(collection, g.apiID))}},
			apiItem(item)(g, r)...)
	}
}

// apiItem is an API Gateway resource created by PUT on its own path.
func apiItem(item string) func(*guard, *stacktest.Resource) []need {
	return func(g *guard, _ *stacktest.Resource) []need {
		return []need{{Deploy: []string{"apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"}, Read: []string{"apigateway:GET"},
			ARN: g.apigw(apiPath(item, g.apiID))}}
	}
}

func apiPath(p, id string) string {
	if strings.Contains(p, "%s") {
		return fmt.Sprintf(p, id)
	}
	return p
}

// wafNeeds: associating the web ACL names the web ACL (wafv2) and the stage (API Gateway
// requires SetWebACL on it besides the stage update).
func wafNeeds(g *guard, r *stacktest.Resource) []need {
	acl, stage := r.Str("webAclArn"), r.Str("resourceArn")
	aclTags := tags(g.byName["aws:wafv2/webAcl:WebAcl "+acl])
	return []need{
		{Deploy: []string{"wafv2:AssociateWebACL"}, Read: []string{"wafv2:GetWebACLForResource", "wafv2:GetWebACL"}, ARN: acl, Context: aclTags},
		{Deploy: []string{"wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "apigateway:SetWebACL"}, Read: []string{"wafv2:GetWebACLForResource"}, ARN: stage},
	}
}

// invokeTable maps each provider function the program calls to what it asks AWS: the
// preview role (and the deploy role, whose `pulumi up` previews first) must allow it.
var invokeTable = map[string]func(g *guard, args map[string]any) []need{
	"aws:index/getCallerIdentity:getCallerIdentity": func(*guard, map[string]any) []need { return nil }, // STS allows it to everyone
	// The shard-step guard's live shard count.
	"aws:kinesis/getStream:getStream": func(g *guard, args map[string]any) []need {
		return []need{{Read: []string{"kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListTagsForStream"},
			ARN: g.arn("kinesis", fmt.Sprintf("stream/%v", args["name"]))}}
	},
	// The schema compatibility check's deployed columns.
	"aws:glue/getCatalogTable:getCatalogTable": func(g *guard, args map[string]any) []need {
		db := fmt.Sprint(args["databaseName"])
		return glueNeeds(g, nil, []string{"glue:GetTable"}, "database/"+db, "table/"+db+"/"+fmt.Sprint(args["name"]))
	},
}

// guardRun is one stack file with one configuration variant.
type guardRun struct {
	stack, variant string
	config         map[string]string
	opts           stacktest.Options
}

func guardRuns(t *testing.T) []guardRun {
	t.Helper()
	stackNames, err := stacktest.Stacks()
	if err != nil {
		t.Fatal(err)
	}
	var out []guardRun
	for _, stack := range stackNames {
		out = append(out, guardRun{stack: stack, variant: "stack file", opts: stacktest.Options{Stack: stack}})
		for _, v := range policy.Variants {
			opts, err := v.Options(stack)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, guardRun{stack: stack, variant: v.Name, config: v.Config, opts: opts})
		}
	}
	return out
}

// runGuard runs the program as preview does (live shard count as in the stack file) and
// indexes its resources.
func runGuard(t *testing.T, gr guardRun) *guard {
	t.Helper()
	opts := gr.opts
	opts.DryRun, opts.LiveShards = true, fileShards(t, gr.stack)
	res, err := stacktest.Run(opts)
	if err != nil {
		t.Fatalf("%s %s: %v", gr.stack, gr.variant, err)
	}
	cfg, err := stacktest.StackConfig(gr.stack)
	if err != nil {
		t.Fatal(err)
	}
	return newGuard(res, cfg["aws:region"])
}

// missing lists the calls of the needs that a role's policies do not allow.
func missing(ps []ciaccess.Policy, needs []need, deploy bool) []string {
	var out []string
	for _, n := range needs {
		actions := n.Read
		if deploy {
			actions = append(append([]string{}, n.Deploy...), n.Read...)
		}
		for _, a := range actions {
			if !allowedBy(ps, a, n.ARN, n.Context) {
				out = append(out, fmt.Sprintf("%s on %s (context %v)", a, n.ARN, n.Context))
			}
		}
	}
	return out
}

// allowedBy reports whether a role with these policies may make the call: one policy allows it
// and none denies it (the roles deny other stacks' names their patterns also match).
func allowedBy(ps []ciaccess.Policy, action, resource string, ctx map[string]string) bool {
	docs := make([]iampolicy.Document, 0, len(ps))
	for _, p := range ps {
		docs = append(docs, p.Document)
	}
	return iampolicy.Permits(docs, action, resource, ctx)
}

// TestCIRolesCoverTheApp is the drift guard: see the top of this file.
func TestCIRolesCoverTheApp(t *testing.T) {
	runs := guardRuns(t)
	if len(runs) < 2*(len(policy.Variants)+1) {
		t.Fatalf("%d runs: want every stack file with and without each variant", len(runs))
	}
	problems := map[string]string{} // problem -> first run that shows it
	seen := map[string]bool{}       // resource types and invokes some run declared or made
	for _, gr := range runs {
		g := runGuard(t, gr)
		target := ciaccess.Target{Partition: "aws", Account: stacktest.Account, Region: g.region, Project: "streamlake", Stack: gr.stack}
		deploy, preview := ciaccess.DeployPolicies(target), ciaccess.PreviewPolicies(target)
		for _, p := range checkRun(g, deploy, preview, seen) {
			if _, seen := problems[p]; !seen {
				problems[p] = gr.stack + " " + gr.variant
			}
		}
	}
	// Every entry is exercised: a stale one would hide that the variants stopped covering a
	// type (the WAF, an auth mode's authorizer or key, the crawler) or that preview stopped
	// reading live state.
	for typ := range accessTable {
		if !seen[typ] {
			t.Errorf("accessTable %s: no run declares it (the variants no longer cover it, or the entry is stale)", typ)
		}
	}
	for token := range invokeTable {
		if !seen[token] {
			t.Errorf("invokeTable %s: no run's preview calls it", token)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(problems)) {
		t.Errorf("%s (first in %s)", p, problems[p])
	}
}

// devCanStillTouch are the calls dev's roles are allowed on prod's resources of the same
// kind, and why; every other call on a resource of a prod dataset is refused.
var devCanStillTouch = map[string]string{
	"logs:CreateLogStream": "Firehose's two log streams (DestinationDelivery, BackupDelivery) are authorized by name, without their log group's tags (DeliveryLogStreams)",
	"logs:DeleteLogStream": "as logs:CreateLogStream",
}

// Dev's roles reach none of prod's datasets' resources: for every variant that deploys a
// dataset besides the default on prod's stack file, every call on an ARN that names the
// dataset (its stream, crawler, table, function, delivery stream, roles, log groups, rule,
// alarms) is refused to dev's deploy and preview roles, devCanStillTouch aside.
func TestDevRolesCannotTouchProdsDatasets(t *testing.T) {
	dev := ciaccess.Target{Partition: "aws", Account: stacktest.Account, Project: "streamlake", Stack: "dev"}
	checked := map[string]bool{}
	for _, gr := range guardRuns(t) {
		if gr.stack != "prod" || len(gr.opts.Datasets) < 2 {
			continue
		}
		g := runGuard(t, gr)
		dev.Region = g.region
		roles := map[string][]ciaccess.Policy{"deploy": ciaccess.DeployPolicies(dev), "preview": ciaccess.PreviewPolicies(dev)}
		for _, d := range gr.opts.Datasets[1:] {
			for _, r := range g.res.Resources {
				f, ok := accessTable[r.Type]
				if !ok || !r.Custom {
					continue
				}
				for _, n := range f(g, r) {
					if !strings.Contains(n.ARN, d.Name) {
						continue
					}
					checked[r.Type] = true
					for _, a := range append(append([]string{}, n.Deploy...), n.Read...) {
						for role, ps := range roles {
							if devCanStillTouch[a] == "" && allowedBy(ps, a, n.ARN, n.Context) {
								t.Errorf("%s: dev's %s role may %s on prod's %s (%s, context %v)", gr.variant, role, a, n.ARN, r.Type, n.Context)
							}
						}
					}
				}
			}
		}
	}
	for _, typ := range []string{"aws:kinesis/stream:Stream", "aws:glue/crawler:Crawler", "aws:glue/catalogTable:CatalogTable",
		"aws:lambda/function:Function", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:iam/role:Role",
		"aws:iam/rolePolicy:RolePolicy", "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/eventRule:EventRule",
		"aws:cloudwatch/metricAlarm:MetricAlarm"} {
		if !checked[typ] {
			t.Errorf("no call on a prod dataset's %s was checked", typ)
		}
	}
}

// checkRun checks one run's resources and live lookups against the roles.
func checkRun(g *guard, deploy, preview []ciaccess.Policy, seen map[string]bool) []string {
	var out []string
	for _, r := range g.res.Resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		seen[r.Type] = true
		f, ok := accessTable[r.Type]
		if !ok {
			out = append(out, fmt.Sprintf("%s: no entry in accessTable (tests/ciaccess_test.go): add what creating, updating, "+
				"deleting and reading it calls, and grant it in bootstrap/ciaccess", r.Type))
			continue
		}
		needs := f(g, r)
		for _, m := range missing(deploy, needs, true) {
			out = append(out, fmt.Sprintf("deploy role: %s: %s", r.Type, m))
		}
		for _, m := range missing(preview, needs, false) {
			out = append(out, fmt.Sprintf("preview role: %s: %s", r.Type, m))
		}
	}
	for _, inv := range g.res.Invokes {
		seen[inv.Token] = true
		f, ok := invokeTable[inv.Token]
		if !ok {
			out = append(out, fmt.Sprintf("invoke %s: no entry in invokeTable (tests/ciaccess_test.go): add the calls it makes "+
				"and grant them to the preview role", inv.Token))
			continue
		}
		for _, role := range []struct {
			name string
			ps   []ciaccess.Policy
		}{{"preview", preview}, {"deploy", deploy}} {
			for _, m := range missing(role.ps, f(g, inv.Args), false) {
				out = append(out, fmt.Sprintf("%s role: preview's %s: %s", role.name, inv.Token, m))
			}
		}
	}
	return out
}

// The guard's evaluation catches a missing grant, a grant on another name and a tag-scoped
// grant on a resource without the stack's tags.
func TestCIRoleGuardCatchesGaps(t *testing.T) {
	target := ciaccess.Target{Partition: "aws", Account: stacktest.Account, Region: "eu-west-1", Project: "streamlake", Stack: "dev"}
	deploy := ciaccess.DeployPolicies(target)
	fn := "arn:aws:lambda:eu-west-1:123456789012:function:transform-function-1a2b3c4"
	devTags := map[string]string{"aws:ResourceTag/project": "streamlake", "aws:ResourceTag/stack": "dev"}
	if m := missing(deploy, []need{{Deploy: []string{"lambda:UpdateFunctionCode"}, ARN: fn, Context: devTags}}, true); len(m) != 0 {
		t.Fatalf("a granted call is reported missing: %v", m)
	}
	for name, n := range map[string]need{
		"no grant":    {Deploy: []string{"lambda:PublishLayerVersion"}, ARN: fn, Context: devTags},
		"other name":  {Deploy: []string{"lambda:UpdateFunctionCode"}, ARN: strings.Replace(fn, "transform-function", "other-function", 1), Context: devTags},
		"prod's tags": {Deploy: []string{"lambda:UpdateFunctionCode"}, ARN: fn, Context: with(devTags, "aws:ResourceTag/stack", "prod")},
		"untagged":    {Deploy: []string{"lambda:UpdateFunctionCode"}, ARN: fn},
	} {
		if len(missing(deploy, []need{n}, true)) == 0 {
			t.Errorf("%s: the guard passes %+v", name, n)
		}
	}
	if len(missing(ciaccess.PreviewPolicies(target), []need{{Read: []string{"apigateway:GET"}, ARN: "arn:aws:apigateway:eu-west-1::/apikeys/k1"}}, false)) == 0 {
		t.Error("the preview role may read API key values")
	}
}
