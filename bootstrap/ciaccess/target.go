package ciaccess

import (
	"fmt"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/stackconfig"
)

// Target is everything a CI role's policies are scoped to, as plain values: one app stack in
// one account, and where its state and secrets live.
type Target struct {
	Partition string
	Account   string
	// Region is where the app stack deploys.
	Region string
	// Project and Stack are the app's Pulumi project and stack.
	Project, Stack string
	// StateBucket, StateRegion and StateKeyARN are the state backend of this account.
	StateBucket, StateRegion, StateKeyARN string
	// SecretsKeyARN encrypts the stack's Pulumi secrets.
	SecretsKeyARN string
}

// Policy is one managed policy of a role: IAM caps a managed policy at 6,144 characters, so a
// role's permissions are split by concern.
type Policy struct {
	// Name is the concern ("state", "compute", ...), part of the policy's description.
	Name     string
	Document iampolicy.Document
}

// MaxManagedPolicyChars is IAM's size limit of one managed policy (whitespace not counted).
const MaxManagedPolicyChars = 6144

// names are the physical names the app stack chooses itself (stackconfig.NamesFor, the same
// function the app uses), so the deploy role can be scoped to exactly them.
func (t Target) names() stackconfig.Names { return stackconfig.NamesFor(t.Project, t.Stack) }

// arn builds an ARN of the app's region and account.
func (t Target) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", t.Partition, service, t.Region, t.Account, resource)
}

// globalARN builds an ARN without region (IAM, CloudWatch dashboards).
func (t Target) globalARN(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s::%s:%s", t.Partition, service, t.Account, resource)
}

// s3ARN is an S3 bucket or object ARN (no region or account).
func (t Target) s3ARN(path string) string { return fmt.Sprintf("arn:%s:s3:::%s", t.Partition, path) }

// apigw is an API Gateway resource path of the app's region.
func (t Target) apigw(path string) string {
	return fmt.Sprintf("arn:%s:apigateway:%s::%s", t.Partition, t.Region, path)
}

// The tag keys every app resource carries (stacks.StackTags), which identify its owner when
// dev and prod share an account.
const (
	tagProject = "project"
	tagStack   = "stack"
)

// creating limits a statement to requests that tag the new resource with this project and
// stack, on resources that carry no stack tag yet (so a foreign resource cannot be claimed by
// retagging it).
func (t Target) creating(s iampolicy.Statement) iampolicy.Statement {
	return s.When("StringEquals", "aws:RequestTag/"+tagProject, t.Project).
		When("StringEquals", "aws:RequestTag/"+tagStack, t.Stack).
		When("Null", "aws:ResourceTag/"+tagStack, "true")
}

// owned limits a statement to resources tagged with this project and stack.
func (t Target) owned(s iampolicy.Statement) iampolicy.Statement {
	return s.When("StringEquals", "aws:ResourceTag/"+tagProject, t.Project).
		When("StringEquals", "aws:ResourceTag/"+tagStack, t.Stack)
}

// Logical names of the app's resources whose physical names Pulumi derives as
// <logical name>-<7 random characters> (stacks.Build and the components choose them). Their
// ARNs can only be scoped to the prefix, which dev and prod share: statements on them add a
// project/stack tag condition wherever the service evaluates one.
const (
	functionName       = "transform-function"
	deliveryStreamName = "delivery-stream"
	lakeBucketName     = "lake-bucket"
	alarmTopicName     = "monitoring-alarms"
	alarmName          = "monitoring"
	crawlerRuleName    = "monitoring-crawler-failed"
	deliveryLogsName   = "delivery-logs"
	// API Gateway requires this physical name (API-Gateway-Execution-Logs_<api id>/<stage>).
	executionLogsName = "API-Gateway-Execution-Logs_"
	// Glue names a crawler's log group /aws-glue/crawlers-role/<role name>-<security configuration>.
	crawlerLogsName = "/aws-glue/crawlers-role/catalog-crawler-role-"
	// The API Gateway account's logging role, which gets AWS's managed policy.
	apiGatewayLogsRole = "apigateway-account-cloudwatch-role"
)

// autoLogGroups are the log groups named after their logical names.
var autoLogGroups = []string{"transform-logs", deliveryLogsName, "ingest-access-logs"}

// appRoles are the app's service roles and the one service each may be passed to.
var appRoles = []struct{ Logical, PassedTo string }{
	{"ingest-role", "apigateway.amazonaws.com"},
	{"transform-role", "lambda.amazonaws.com"},
	{"delivery-role", "firehose.amazonaws.com"},
	{"catalog-crawler-role", "glue.amazonaws.com"},
	{apiGatewayLogsRole, "apigateway.amazonaws.com"},
}

// logGroupARNs are the ARNs of every log group the app stack creates, in both forms AWS checks
// (log-group:NAME for some actions, log-group:NAME:* for others).
func (t Target) logGroupARNs() []string {
	var groups []string
	for _, g := range autoLogGroups {
		groups = append(groups, g+"-*")
	}
	// The WAF's log group has the exact name AWS WAF requires (aws-waf-logs-<project>-<stack>).
	groups = append(groups, executionLogsName+"*", crawlerLogsName+"*-"+t.names().CrawlerSecurity, t.names().WAFLogs)
	var out []string
	for _, g := range groups {
		out = append(out, t.arn("logs", "log-group:"+g), t.arn("logs", "log-group:"+g+":*"))
	}
	return out
}

// webACLARN is the stack's web ACL (regional/webacl/<name>/<id>).
func (t Target) webACLARN() string {
	return t.arn("wafv2", "regional/webacl/"+t.names().WebACL+"/*")
}

// roleARNs are the ARNs of the app's IAM roles.
func (t Target) roleARNs() []string {
	out := make([]string, 0, len(appRoles))
	for _, r := range appRoles {
		out = append(out, t.roleARN(r.Logical))
	}
	return out
}

func (t Target) roleARN(logical string) string { return t.globalARN("iam", "role/"+logical+"-*") }
