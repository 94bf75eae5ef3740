// Package tests holds whole-stack tests: they run the real program (stacks.Run) under Pulumi
// mocks with the values of the real Pulumi.<stack>.yaml files and assert on the inputs of the
// resources it declares.
package tests

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/stackfile"
)

func run(t *testing.T, stack string, cfg map[string]string) *stacktest.Result {
	t.Helper()
	res, err := stacktest.Run(stacktest.Options{Stack: stack, Config: cfg})
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return res
}

func runErr(stack string, cfg map[string]string) (*stacktest.Result, error) {
	return stacktest.Run(stacktest.Options{Stack: stack, Config: cfg})
}

// one returns the single resource of a type, failing the test otherwise.
func one(t *testing.T, res *stacktest.Result, typ string) *stacktest.Resource {
	t.Helper()
	rs := res.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("%s: %d resources of type %s, want 1", res.Stack, len(rs), typ)
	}
	return rs[0]
}

func find(t *testing.T, res *stacktest.Result, typ, name string) *stacktest.Resource {
	t.Helper()
	r := res.Find(typ, name)
	if r == nil {
		t.Fatalf("%s: no %s named %s", res.Stack, typ, name)
	}
	return r
}

func parseJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return m
}

var stacks = []string{"dev", "prod"}

// Resource type tokens used across tests.
const (
	tBucket        = "aws:s3/bucketV2:BucketV2"
	tPAB           = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tSSE           = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tVersioning    = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tLifecycle     = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tBucketPolicy  = "aws:s3/bucketPolicy:BucketPolicy"
	tStream        = "aws:kinesis/stream:Stream"
	tKey           = "aws:kms/key:Key"
	tDatabase      = "aws:glue/catalogDatabase:CatalogDatabase"
	tTable         = "aws:glue/catalogTable:CatalogTable"
	tCrawler       = "aws:glue/crawler:Crawler"
	tWorkgroup     = "aws:athena/workgroup:Workgroup"
	tNamedQuery    = "aws:athena/namedQuery:NamedQuery"
	tRestAPI       = "aws:apigateway/restApi:RestApi"
	tMethod        = "aws:apigateway/method:Method"
	tIntegration   = "aws:apigateway/integration:Integration"
	tIntResponse   = "aws:apigateway/integrationResponse:IntegrationResponse"
	tModel         = "aws:apigateway/model:Model"
	tValidator     = "aws:apigateway/requestValidator:RequestValidator"
	tDeployment    = "aws:apigateway/deployment:Deployment"
	tStage         = "aws:apigateway/stage:Stage"
	tMethodSetting = "aws:apigateway/methodSettings:MethodSettings"
	tUsagePlan     = "aws:apigateway/usagePlan:UsagePlan"
	tGatewayResp   = "aws:apigateway/response:Response"
	tRole          = "aws:iam/role:Role"
	tRolePolicy    = "aws:iam/rolePolicy:RolePolicy"
	tLogGroup      = "aws:cloudwatch/logGroup:LogGroup"
	tFirehose      = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	tFunction      = "aws:lambda/function:Function"
	tAlarm         = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tTopic         = "aws:sns/topic:Topic"
	tEventRule     = "aws:cloudwatch/eventRule:EventRule"
	tDashboard     = "aws:cloudwatch/dashboard:Dashboard"
	tAPIKey        = "aws:apigateway/apiKey:ApiKey"
	tAuthorizer    = "aws:apigateway/authorizer:Authorizer"
	tWebACL        = "aws:wafv2/webAcl:WebAcl"
	tWebACLAssoc   = "aws:wafv2/webAclAssociation:WebAclAssociation"
	tWebACLLogging = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
)

// authMode is the run's apiAuth, from the stack output the CLI reads.
func authMode(t *testing.T, res *stacktest.Result) apispec.Auth {
	t.Helper()
	a, err := apispec.ParseAuth(fmt.Sprint(res.Exports["apiAuth"]))
	if err != nil {
		t.Fatalf("%s: stack output apiAuth: %v", res.Stack, err)
	}
	return a
}

// authorizationOf is how every POST method authenticates, by mode.
var authorizationOf = map[apispec.Auth]struct {
	authorization   string
	key, authorizer bool
}{
	apispec.AuthAPIKey: {"NONE", true, false},
	apispec.AuthIAM:    {"AWS_IAM", false, false},
	apispec.AuthJWT:    {"COGNITO_USER_POOLS", false, true},
}

// fileShards is the shardCount a stack file sets: routine resharding changes it by pull
// request (`streamlake shards --to N --write`), so tests read it instead of repeating it.
func fileShards(t *testing.T, stack string) int {
	t.Helper()
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := stackfile.ReadOps(root, stack)
	if err != nil {
		t.Fatal(err)
	}
	return ops.ShardCount
}
