package ciaccess

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

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
	return arn.ARN{Partition: t.Partition, Service: service, Region: t.Region, AccountID: t.Account, Resource: resource}.String()
}

// globalARN builds an ARN without region (IAM, CloudWatch dashboards).
func (t Target) globalARN(service, resource string) string {
	return arn.ARN{Partition: t.Partition, Service: service, AccountID: t.Account, Resource: resource}.String()
}

// s3ARN is an S3 bucket or object ARN (no region or account).
func (t Target) s3ARN(path string) string {
	return arn.ARN{Partition: t.Partition, Service: "s3", Resource: path}.String()
}

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

// namePrefix is how every physical name the stack chooses for a dataset begins,
// <project>-<stack>- (stackconfig.DatasetNamePrefix): its streams, crawlers and crawlers'
// security configurations, the default dataset's and any added later.
func (t Target) namePrefix() string { return stackconfig.DatasetNamePrefix(t.Project, t.Stack) }

// ownNamed is the ARN pattern of every name of one kind ("stream/") the stack chooses for its
// datasets. It also matches the names of a stack whose name continues this one's (dev-eu's
// streamlake-dev-eu-events for dev's streamlake-dev-*): exceptOtherStacks refuses those.
func (t Target) ownNamed(service, kind string) string {
	return t.arn(service, kind+t.namePrefix()+"*")
}

// exceptOtherStacks denies the actions of statements on ownNamed(service, kind) on the names
// of other stacks that pattern matches. What follows the stack's prefix in a name it chooses
// has no '-' (a dataset's name has none), so a '-' after the prefix makes the name another
// stack's or project's. A Deny, because IAM patterns cannot say "no '-'"; it lets a dataset
// added later work with the roles as they are, without reaching another stack.
func (t Target) exceptOtherStacks(sid, service, kind string, allows ...iampolicy.Statement) iampolicy.Statement {
	var actions iampolicy.StringList
	for _, a := range allows {
		for _, action := range a.Action {
			if !slices.Contains(actions, action) {
				actions = append(actions, action)
			}
		}
	}
	return iampolicy.Statement{Sid: sid, Effect: "Deny", Action: actions, Resource: iampolicy.StringList{t.arn(service, kind+t.namePrefix()+"*-*")}}
}

// Logical names of the app's resources whose physical names Pulumi derives as
// <logical name>-<7 random characters> (stacks.Build and the components choose them). Their
// ARNs can only be scoped to the prefix, which dev and prod share: statements on them add a
// project/stack tag condition wherever the service evaluates one. Those a dataset has its own
// of are named <dataset>-<logical name>-<random> for a dataset other than the default
// (datasetAutoNames).
const (
	functionName       = "transform-function"
	deliveryStreamName = "delivery-stream"
	lakeBucketName     = "lake-bucket"
	alarmTopicName     = "monitoring-alarms"
	alarmName          = "monitoring"
	deliveryLogsName   = "delivery-logs"
	// API Gateway requires this physical name (API-Gateway-Execution-Logs_<api id>/<stage>).
	executionLogsName = "API-Gateway-Execution-Logs_"
	// Glue names a crawler's log group /aws-glue/crawlers-role/<role name>-<security
	// configuration>: the dataset's crawler role and its security configuration.
	crawlerLogsName = "/aws-glue/crawlers-role/"
	crawlerRoleName = "catalog-crawler-role"
	// The API Gateway account's logging role, which gets AWS's managed policy.
	apiGatewayLogsRole = "apigateway-account-cloudwatch-role"
)

// datasetAutoNames are the patterns of the auto-names of a resource every dataset has: the
// default dataset's <logical>-<random> and another's <dataset>-<logical>-<random> (the
// dataset's components are named after it, stacks.DatasetPipeline), so a dataset added
// later needs no new grant. Only the tags tell one stack's from another's, as for the default.
func datasetAutoNames(logical string) []string {
	return []string{logical + "-*", "*-" + logical + "-*"}
}

// crawlerRuleNames are the crawler-failed rules': monitoring-crawler-failed-<random> for the
// default dataset's crawler, monitoring-<dataset>-crawler-failed-<random> for another's.
var crawlerRuleNames = []string{alarmName + "-crawler-failed-*", alarmName + "-*-crawler-failed-*"}

// arns are the ARNs of names of one kind ("function:").
func (t Target) arns(service, kind string, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, t.arn(service, kind+n))
	}
	return out
}

// logGroups are the patterns of the log groups named after their logical names.
func logGroups() []string {
	return append(append(datasetAutoNames("transform-logs"), datasetAutoNames(deliveryLogsName)...), "ingest-access-logs-*")
}

// appRoles are the app's service roles, the one service each may be passed to, and whether
// every dataset has its own.
var appRoles = []struct {
	Logical, PassedTo string
	PerDataset        bool
}{
	{"ingest-role", "apigateway.amazonaws.com", false},
	{"transform-role", "lambda.amazonaws.com", true},
	{"delivery-role", "firehose.amazonaws.com", true},
	{crawlerRoleName, "glue.amazonaws.com", true},
	{apiGatewayLogsRole, "apigateway.amazonaws.com", false},
}

// logGroupARNs are the ARNs of every log group the app stack creates, in both forms AWS checks
// (log-group:NAME for some actions, log-group:NAME:* for others).
func (t Target) logGroupARNs() []string {
	// The crawlers' (any dataset's role, and its security configuration, named with the
	// stack's prefix) and the WAF's, of the exact name AWS WAF requires
	// (aws-waf-logs-<project>-<stack>).
	groups := append(logGroups(), executionLogsName+"*", crawlerLogsName+"*"+crawlerRoleName+"-*-"+t.namePrefix()+"*", t.names().WAFLogs)
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
	var out []string
	for _, r := range appRoles {
		out = append(out, t.roleARNsOf(r.Logical, r.PerDataset)...)
	}
	return out
}

// roleARNsOf are the ARNs of one app role: every dataset's, if each has its own.
func (t Target) roleARNsOf(logical string, perDataset bool) []string {
	names := []string{logical + "-*"}
	if perDataset {
		names = datasetAutoNames(logical)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, t.globalARN("iam", "role/"+n))
	}
	return out
}

// suffixed appends suffix to each name (a function's versions, ":*"; a log group's
// streams, ":log-stream:*").
func suffixed(names []string, suffix string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n+suffix)
	}
	return out
}
