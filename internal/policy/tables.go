package policy

// The reviewed tables the rules read. Each entry says why; a change here is a policy change
// and is reviewed like one.

// Resource type tokens the rules name (and tests/policy breaks resources of).
const (
	TypeBucket           = "aws:s3/bucketV2:BucketV2"
	TypePAB              = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TypeSSE              = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeOwnership        = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	TypeVersioning       = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	TypeLifecycle        = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	TypeBucketPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	TypeKey              = "aws:kms/key:Key"
	TypeAlias            = "aws:kms/alias:Alias"
	TypeStream           = "aws:kinesis/stream:Stream"
	TypeFirehose         = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	TypeFunction         = "aws:lambda/function:Function"
	TypeRole             = "aws:iam/role:Role"
	TypeRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	TypePolicy           = "aws:iam/policy:Policy"
	TypeAttachment       = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	TypeLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	TypeAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeDashboard        = "aws:cloudwatch/dashboard:Dashboard"
	TypeEventRule        = "aws:cloudwatch/eventRule:EventRule"
	TypeEventTarget      = "aws:cloudwatch/eventTarget:EventTarget"
	TypeTopic            = "aws:sns/topic:Topic"
	TypeTopicPolicy      = "aws:sns/topicPolicy:TopicPolicy"
	TypeDatabase         = "aws:glue/catalogDatabase:CatalogDatabase"
	TypeTable            = "aws:glue/catalogTable:CatalogTable"
	TypeCrawler          = "aws:glue/crawler:Crawler"
	TypeWorkgroup        = "aws:athena/workgroup:Workgroup"
	TypeRestAPI          = "aws:apigateway/restApi:RestApi"
	TypeMethod           = "aws:apigateway/method:Method"
	TypeIntegration      = "aws:apigateway/integration:Integration"
	TypeValidator        = "aws:apigateway/requestValidator:RequestValidator"
	TypeStage            = "aws:apigateway/stage:Stage"
	TypeMethodSettings   = "aws:apigateway/methodSettings:MethodSettings"
	TypeUsagePlan        = "aws:apigateway/usagePlan:UsagePlan"
	TypeUsagePlanKey     = "aws:apigateway/usagePlanKey:UsagePlanKey"
	TypeAPIKey           = "aws:apigateway/apiKey:ApiKey"
	TypeAPIAccount       = "aws:apigateway/account:Account"
	TypeLogStream        = "aws:cloudwatch/logStream:LogStream"
	TypeSubscription     = "aws:sns/topicSubscription:TopicSubscription"
	TypeLambdaPermission = "aws:lambda/permission:Permission"
	TypeAuthorizer       = "aws:apigateway/authorizer:Authorizer"
	TypeWebACL           = "aws:wafv2/webAcl:WebAcl"
	TypeWebACLAssoc      = "aws:wafv2/webAclAssociation:WebAclAssociation"
	TypeWebACLLogging    = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
)

// Taggable classifies every AWS resource type the program may declare: true when AWS (and
// pulumi-aws v6) lets the resource carry tags, so it must carry the stack tags. A type that
// appears in a run but is missing here fails rule ops-types-classified: classify it when you
// add it. (Checked against the pulumi-aws v6.83 SDK: a Tags field in the type's Args.)
var Taggable = map[string]bool{
	TypeBucket: true, TypeKey: true, TypeStream: true, TypeFirehose: true, TypeFunction: true, TypeRole: true,
	TypeLogGroup: true, TypeAlarm: true, TypeEventRule: true, TypeTopic: true, TypeDatabase: true, TypeCrawler: true,
	TypeWorkgroup: true, TypeRestAPI: true, TypeStage: true, TypeUsagePlan: true, TypeAPIKey: true, TypePolicy: true,
	TypeWebACL: true,

	TypePAB: false, TypeSSE: false, TypeOwnership: false, TypeVersioning: false, TypeLifecycle: false, TypeBucketPolicy: false,
	TypeAlias: false, TypeRolePolicy: false, TypeAttachment: false, TypeDashboard: false, TypeEventTarget: false,
	TypeTopicPolicy: false, TypeSubscription: false, TypeTable: false, TypeLogStream: false, TypeLambdaPermission: false,
	"aws:athena/namedQuery:NamedQuery":                     false,
	"aws:glue/securityConfiguration:SecurityConfiguration": false,
	TypeMethod:      false,
	TypeIntegration: false,
	"aws:apigateway/integrationResponse:IntegrationResponse": false,
	"aws:apigateway/methodResponse:MethodResponse":           false,
	TypeMethodSettings:                     false,
	"aws:apigateway/model:Model":           false,
	TypeValidator:                          false,
	"aws:apigateway/resource:Resource":     false,
	"aws:apigateway/response:Response":     false,
	"aws:apigateway/deployment:Deployment": false,
	TypeUsagePlanKey:                       false,
	TypeAPIAccount:                         false,
	TypeAuthorizer:                         false,
	TypeWebACLAssoc:                        false,
	TypeWebACLLogging:                      false,
}

// TrustCondition is what a service passes when it assumes a role, so a trust policy can
// refuse to be used on behalf of another account (the confused deputy problem).
type TrustCondition struct {
	// Keys are the condition keys the trust policy must use (any one of them); none when the
	// service documents none for this kind of role.
	Keys []string
	// Reason says where the requirement comes from, or why there is none.
	Reason string
}

// TrustConditions lists every service principal a role of this program may trust. A role
// trusting a service that is not here fails sec-iam-trust-policy.
var TrustConditions = map[string]TrustCondition{
	"firehose.amazonaws.com": {Keys: []string{"sts:ExternalId", "aws:SourceAccount", "aws:SourceArn"},
		Reason: "Firehose's S3-destination guide puts sts:ExternalId = <account id> in the delivery role's trust policy"},
	"lambda.amazonaws.com": {
		Reason: "Lambda documents no aws:SourceAccount/aws:SourceArn for execution roles; only principals with iam:PassRole in this account can attach the role"},
	"glue.amazonaws.com": {
		Reason: "Glue documents no confused-deputy condition for crawler roles; only principals with iam:PassRole in this account can attach the role"},
	"apigateway.amazonaws.com": {
		Reason: "API Gateway documents no confused-deputy condition for integration credentials or the account CloudWatch role; both are set by principals with iam:PassRole in this account"},
}

// WildcardResourceActions are the only actions an Allow statement may grant on Resource "*":
// AWS offers no narrower resource for them. KMS key policies are exempt from this rule,
// because there Resource "*" means "this key".
var WildcardResourceActions = map[string]string{
	"cloudwatch:PutMetricData": "CloudWatch has no resource-level permissions for metric data (scope with the cloudwatch:namespace condition)",
	"xray:PutTraceSegments":    "X-Ray has no resource-level permissions for trace segments",
	"xray:PutTelemetryRecords": "X-Ray has no resource-level permissions for telemetry",
	"logs:DescribeLogGroups":   "DescribeLogGroups lists the account's groups and has no resource scope",
	"kms:ListAliases":          "KMS list operations have no resource scope",
}

// ReviewedManagedPolicies are the AWS managed policies a role may have attached (by the part
// of the ARN after "arn:<partition>:iam::aws:"), with the review's reason. Managed policies
// change without our review, so each one is an explicit decision.
var ReviewedManagedPolicies = map[string]string{
	"policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs": "the account-wide API Gateway logging role: API Gateway names execution log groups itself (API-Gateway-Execution-Logs_<id>/<stage>) for every API in the region, so the scope cannot be narrowed to this stack; the role is assumable by apigateway.amazonaws.com only",
}

// DimensionTypes maps a CloudWatch dimension to the resource type whose name fills it and
// the property holding that name (in State: inputs plus computed outputs).
var DimensionTypes = map[string]struct{ Type, Property string }{
	"ApiName":            {TypeRestAPI, "name"},
	"Stage":              {TypeStage, "stageName"},
	"StreamName":         {TypeStream, "name"},
	"DeliveryStreamName": {TypeFirehose, "name"},
	"FunctionName":       {TypeFunction, "name"},
	"WorkGroup":          {TypeWorkgroup, "name"},
	// The program gives a web ACL its name as its metric name, which AWS WAF publishes under.
	"WebACL": {TypeWebACL, "name"},
}

// DimensionValues are dimensions that name a state, not a resource, with the values AWS
// publishes (Athena's query metrics).
var DimensionValues = map[string][]string{
	"QueryState": {"SUCCEEDED", "FAILED", "CANCELED"},
	"QueryType":  {"DML", "DDL", "UTILITY"},
	// AWS WAF: ALL is a web ACL's total over its rules.
	"Rule": {"ALL"},
}

// RegionDimensions are dimensions whose value must be the stack's region (AWS WAF's
// regional metrics).
var RegionDimensions = []string{"Region"}

// Monitored are the resource types that must each have at least one alarm (ops-alarm-coverage).
var Monitored = []string{TypeRestAPI, TypeStream, TypeFirehose, TypeFunction}

// Firehose's documented defaults for an extended S3 destination and a Lambda processor,
// applied when the program leaves a value unset.
const (
	defaultBufferMiB          = 5
	defaultBufferSeconds      = 300
	defaultProcessorBufferMiB = 1
	defaultProcessorSeconds   = 60
	defaultProcessorRetries   = 3
	// defaultLambdaTimeout is Lambda's default function timeout.
	defaultLambdaTimeout = 3
	// apiGatewayMaxIntegrationSeconds is API Gateway's default integration timeout (29 s).
	apiGatewayMaxIntegrationSeconds = 29
)
