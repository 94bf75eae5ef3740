package ciaccess

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/stackconfig"
)

func testTarget(stack string) Target {
	return Target{
		Partition: "aws", Account: testAccount, Region: "eu-west-1", Project: "streamlake", Stack: stack,
		StateBucket: "state-bucket-0a1b2c3", StateRegion: "eu-west-1",
		StateKeyARN:   "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
		SecretsKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000",
	}
}

// allPolicies are both roles' policies of one stack, by role.
func allPolicies(t Target) map[string][]Policy {
	return map[string][]Policy{"preview": PreviewPolicies(t), "deploy": DeployPolicies(t)}
}

// allowed reports whether any Allow statement of the policies grants action on resource
// (conditions aside).
func allowed(ps []Policy, action, resource string) bool {
	for _, p := range ps {
		for _, st := range p.Document.Statement {
			if st.Effect != "Allow" || !contains(st.Action, action) {
				continue
			}
			for _, r := range st.Resource {
				if iampolicy.Match(r, resource) {
					return true
				}
			}
		}
	}
	return false
}

func contains(l iampolicy.StringList, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// No policy the bootstrap writes allows every action or every action of a service, and
// Resource "*" appears only for the actions Unscoped explains.
func TestNoWildcardActionsAndOnlyExplainedStarResources(t *testing.T) {
	o := runBootstrap(t, nil)
	docs := map[string]iampolicy.Document{}
	for _, p := range o.OfType("aws:iam/policy:Policy") {
		docs[p.Name] = policyOf(t, p, "policy")
	}
	for _, r := range o.OfType("aws:iam/role:Role") {
		docs[r.Name+" trust"] = policyOf(t, r, "assumeRolePolicy")
	}
	if len(docs) < 10 {
		t.Fatalf("only %d policies recorded", len(docs))
	}
	for name, d := range docs {
		for _, st := range d.Statement {
			if st.Effect != "Allow" {
				continue
			}
			for _, a := range st.Action {
				if a == "*" || strings.HasSuffix(a, ":*") || !strings.Contains(a, ":") {
					t.Errorf("%s %s: action %q", name, st.Sid, a)
				}
			}
			if contains(st.Resource, "*") {
				for _, a := range st.Action {
					if Unscoped[a] == "" {
						t.Errorf("%s %s: %s on Resource \"*\" without a reason in Unscoped", name, st.Sid, a)
					}
				}
			}
		}
	}
}

// The state grants cover exactly the stack's objects of Pulumi's DIY layout.
func TestStatePolicyCoversOnlyItsStack(t *testing.T) {
	ps := []Policy{statePolicy(testTarget("dev"))}
	obj := func(key string) string { return "arn:aws:s3:::state-bucket-0a1b2c3/" + key }
	for _, key := range []string{
		".pulumi/stacks/streamlake/dev.json", ".pulumi/stacks/streamlake/dev.json.bak", ".pulumi/stacks/streamlake/dev.json.gz",
		".pulumi/stacks/streamlake/dev.pulumi-tags", ".pulumi/history/streamlake/dev/dev-1700000000.history.json",
		".pulumi/backups/streamlake/dev/dev.1700000000.json", ".pulumi/locks/organization/streamlake/dev/0b1c.json",
		".pulumi/journal/streamlake/dev/1.json",
	} {
		for _, a := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} {
			if !allowed(ps, a, obj(key)) {
				t.Errorf("%s not allowed on %s", a, key)
			}
		}
	}
	if !allowed(ps, "s3:GetObject", obj(".pulumi/meta.yaml")) || allowed(ps, "s3:PutObject", obj(".pulumi/meta.yaml")) {
		t.Error("meta.yaml must be readable and not writable")
	}
	for _, key := range []string{
		".pulumi/stacks/streamlake/prod.json", ".pulumi/stacks/streamlake/dev2.json", ".pulumi/stacks/other/dev.json",
		".pulumi/locks/organization/streamlake/prod/0b1c.json", ".pulumi/history/streamlake/prod/x.json",
		".pulumi/stacks/streamlake-bootstrap/main-account.json",
	} {
		if allowed(ps, "s3:GetObject", obj(key)) || allowed(ps, "s3:PutObject", obj(key)) {
			t.Errorf("dev's role may touch %s", key)
		}
	}
}

// The deploy role reaches every name the app stack chooses and, where the app chooses the
// name, none of another stack's.
func TestDeployPolicyScopedToTheStacksNames(t *testing.T) {
	dev := DeployPolicies(testTarget("dev"))
	for _, tc := range []struct{ stack, action, resource string }{
		{"dev", "kinesis:CreateStream", "arn:aws:kinesis:eu-west-1:123456789012:stream/" + stackconfig.NamesFor("streamlake", "dev").Stream},
		{"prod", "kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:123456789012:stream/" + stackconfig.NamesFor("streamlake", "prod").Stream},
		{"dev", "glue:DeleteDatabase", "arn:aws:glue:eu-west-1:123456789012:database/" + stackconfig.NamesFor("streamlake", "dev").Database},
		{"prod", "glue:DeleteTable", "arn:aws:glue:eu-west-1:123456789012:table/" + stackconfig.NamesFor("streamlake", "prod").Database + "/events"},
		{"dev", "glue:StartCrawler", "arn:aws:glue:eu-west-1:123456789012:crawler/" + stackconfig.NamesFor("streamlake", "dev").Crawler},
		{"prod", "glue:UpdateCrawler", "arn:aws:glue:eu-west-1:123456789012:crawler/" + stackconfig.NamesFor("streamlake", "prod").Crawler},
		{"dev", "athena:StartQueryExecution", "arn:aws:athena:eu-west-1:123456789012:workgroup/" + stackconfig.NamesFor("streamlake", "dev").Workgroup},
		{"prod", "athena:DeleteWorkGroup", "arn:aws:athena:eu-west-1:123456789012:workgroup/" + stackconfig.NamesFor("streamlake", "prod").Workgroup},
		{"dev", "cloudwatch:PutDashboard", "arn:aws:cloudwatch::123456789012:dashboard/" + stackconfig.NamesFor("streamlake", "dev").Dashboard},
		{"prod", "cloudwatch:DeleteDashboards", "arn:aws:cloudwatch::123456789012:dashboard/" + stackconfig.NamesFor("streamlake", "prod").Dashboard},
		{"dev", "logs:CreateLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/crawlers-role/catalog-crawler-role-1a2b3c4-" + stackconfig.NamesFor("streamlake", "dev").CrawlerSecurity},
		{"prod", "logs:DeleteLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/crawlers-role/catalog-crawler-role-1a2b3c4-" + stackconfig.NamesFor("streamlake", "prod").CrawlerSecurity},
		{"dev", "wafv2:UpdateWebACL", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/" + stackconfig.NamesFor("streamlake", "dev").WebACL + "/0a1b-2c3d"},
		{"prod", "wafv2:DeleteWebACL", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/" + stackconfig.NamesFor("streamlake", "prod").WebACL + "/0a1b-2c3d"},
		{"dev", "wafv2:PutLoggingConfiguration", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/" + stackconfig.NamesFor("streamlake", "dev").WebACL + "/0a1b-2c3d"},
		{"dev", "logs:CreateLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:" + stackconfig.NamesFor("streamlake", "dev").WAFLogs},
		{"prod", "logs:DeleteLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:" + stackconfig.NamesFor("streamlake", "prod").WAFLogs},
	} {
		if got, want := allowed(dev, tc.action, tc.resource), tc.stack == "dev"; got != want {
			t.Errorf("dev deploy role: %s on %s allowed = %v, want %v", tc.action, tc.resource, got, want)
		}
	}
	// Auto-named resources: the logical-name prefix (tags separate dev from prod).
	for _, tc := range []struct{ action, resource string }{
		{"lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:transform-function-1a2b3c4"},
		{"firehose:UpdateDestination", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/delivery-stream-1a2b3c4"},
		{"iam:PutRolePolicy", "arn:aws:iam::123456789012:role/delivery-role-1a2b3c4"},
		{"iam:PassRole", "arn:aws:iam::123456789012:role/transform-role-1a2b3c4"},
		{"s3:PutLifecycleConfiguration", "arn:aws:s3:::lake-bucket-1a2b3c4"},
		{"sns:SetTopicAttributes", "arn:aws:sns:eu-west-1:123456789012:monitoring-alarms-1a2b3c4"},
		{"events:PutTargets", "arn:aws:events:eu-west-1:123456789012:rule/monitoring-crawler-failed-1a2b3c4"},
		{"cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:monitoring-iterator-age-1a2b3c4"},
		{"logs:PutRetentionPolicy", "arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_abc123defg/api"},
		{"apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/account"},
		// AWS WAF requires SetWebACL on the stage it protects.
		{"apigateway:SetWebACL", "arn:aws:apigateway:eu-west-1::/restapis/abc123defg/stages/api"},
		{"wafv2:AssociateWebACL", "arn:aws:apigateway:eu-west-1::/restapis/abc123defg/stages/api"},
	} {
		if !allowed(dev, tc.action, tc.resource) {
			t.Errorf("deploy role: %s on %s not allowed", tc.action, tc.resource)
		}
	}
	// Nothing outside the app: not the bootstrap's roles, not another region.
	for _, tc := range []struct{ action, resource string }{
		{"iam:PutRolePolicy", "arn:aws:iam::123456789012:role/streamlake-dev-ci-deploy"},
		{"iam:UpdateAssumeRolePolicy", "arn:aws:iam::123456789012:role/admin"},
		{"kinesis:DeleteStream", "arn:aws:kinesis:us-east-1:123456789012:stream/" + stackconfig.NamesFor("streamlake", "dev").Stream},
		{"s3:DeleteBucket", "arn:aws:s3:::state-bucket-0a1b2c3"},
		{"s3:PutObject", "arn:aws:s3:::state-bucket-0a1b2c3/.pulumi/stacks/streamlake/prod.json"},
	} {
		if allowed(dev, tc.action, tc.resource) {
			t.Errorf("deploy role: %s on %s allowed", tc.action, tc.resource)
		}
	}
}

// Auto-named resources carry no stack in their names, so every statement on them that the
// service can condition on tags must be conditioned on this stack's tags.
func TestAutoNamedGrantsRequireTheStacksTags(t *testing.T) {
	tagged := []string{"lambda:", "firehose:", "iam:", "logs:", "cloudwatch:", "events:", "sns:", "kms:"}
	untaggedSids := map[string]string{
		"Subscriptions":       "subscription ARNs carry no tags",
		"ReadSubscriptions":   "subscription ARNs carry no tags",
		"DeliveryLogStreams":  "log streams are authorized without their group's tags",
		"Dashboard":           "exact name",
		"ReadDashboard":       "exact name",
		"StateKeyForOwnState": "exact key, S3 encryption context",
		"StackSecrets":        "exact key",
		"DescribeLogGroups":   "Unscoped",
		"WAFLogDelivery":      "Unscoped",
		"ReadUnscoped":        "Unscoped",
	}
	for role, ps := range allPolicies(testTarget("dev")) {
		for _, p := range ps {
			for _, st := range p.Document.Statement {
				if st.Effect != "Allow" || untaggedSids[st.Sid] != "" || !hasPrefix(st.Action, tagged) {
					continue
				}
				tags := fmt.Sprint(st.Condition["StringEquals"])
				if !strings.Contains(tags, "Tag/project:[streamlake]") || !strings.Contains(tags, "Tag/stack:[dev]") {
					t.Errorf("%s %s: %v without the stack's tag condition: %v", role, st.Sid, st.Action, st.Condition)
				}
			}
		}
	}
}

func hasPrefix(actions iampolicy.StringList, prefixes []string) bool {
	for _, a := range actions {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

// Previews read: no write, delete or data action anywhere but the stack's own state.
func TestPreviewRoleIsReadOnly(t *testing.T) {
	read := regexp.MustCompile(`^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z]*$|^apigateway:GET$`)
	for _, p := range PreviewPolicies(testTarget("prod")) {
		if p.Name == "state" {
			continue
		}
		for _, st := range p.Document.Statement {
			for _, a := range st.Action {
				if !read.MatchString(a) {
					t.Errorf("preview %s %s: %s is not a read", p.Name, st.Sid, a)
				}
			}
		}
	}
	pv := PreviewPolicies(testTarget("prod"))
	for _, tc := range []struct{ action, resource string }{
		{"s3:GetObject", "arn:aws:s3:::lake-bucket-1a2b3c4/data/year=2024/x.parquet"},
		{"apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys/abc123"},
		{"athena:GetQueryResults", "arn:aws:athena:eu-west-1:123456789012:workgroup/streamlake-prod"},
	} {
		if allowed(pv, tc.action, tc.resource) {
			t.Errorf("preview may %s %s (data)", tc.action, tc.resource)
		}
	}
}

// Long project and stack names still fit IAM's managed-policy size.
func TestPoliciesFitWithLongNames(t *testing.T) {
	tg := testTarget("eu-central-production-blue")
	tg.Project = "streamlake-learning-analytics"
	tg.StateBucket = "streamlake-bootstrap-state-bucket-0a1b2c3"
	for role, ps := range allPolicies(tg) {
		for _, p := range ps {
			js, err := p.Document.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if len(js) > MaxManagedPolicyChars {
				t.Errorf("%s %s: %d characters, IAM allows %d", role, p.Name, len(js), MaxManagedPolicyChars)
			}
		}
	}
}

// permits reports whether a role with these policies may make the call, Deny statements
// applied.
func permits(ps []Policy, action, resource string, ctx map[string]string) bool {
	docs := make([]iampolicy.Document, 0, len(ps))
	for _, p := range ps {
		docs = append(docs, p.Document)
	}
	return iampolicy.Permits(docs, action, resource, ctx)
}

// stackTags is the request context of a call on (or creating) a resource of a stack.
func stackTags(stack string, kv ...string) map[string]string {
	ctx := map[string]string{}
	for _, k := range []string{"aws:RequestTag/", "aws:ResourceTag/"} {
		ctx[k+tagProject], ctx[k+tagStack] = "streamlake", stack
	}
	for i := 0; i+1 < len(kv); i += 2 {
		ctx[kv[i]] = kv[i+1]
	}
	return ctx
}

// datasetCall is one call CI makes on one of a dataset's resources; Tagged when the grant
// depends on the resource's tags (auto-named), else on its name.
type datasetCall struct {
	role, action, resource string
	tagged                 bool
	extra                  []string
}

// datasetCalls are calls on the resources of one dataset of a stack, named as the app names
// them (stackconfig.NamesOf; <dataset>-<logical name>-<random> for another dataset's
// auto-named resources).
func datasetCalls(stack, dataset string) []datasetCall {
	n := stackconfig.NamesOf("streamlake", stack, dataset)
	logical, rule := func(l string) string { return dataset + "-" + l + "-1a2b3c4" }, "monitoring-"+dataset+"-crawler-failed-1a2b3c4"
	if dataset == "events" {
		logical, rule = func(l string) string { return l + "-1a2b3c4" }, "monitoring-crawler-failed-1a2b3c4"
	}
	arn := func(svc, res string) string { return fmt.Sprintf("arn:aws:%s:eu-west-1:%s:%s", svc, testAccount, res) }
	role := func(l string) string { return fmt.Sprintf("arn:aws:iam::%s:role/%s", testAccount, logical(l)) }
	stream, crawler := arn("kinesis", "stream/"+n.Stream), arn("glue", "crawler/"+n.Crawler)
	return []datasetCall{
		{"deploy", "kinesis:CreateStream", stream, false, nil},
		{"deploy", "kinesis:DeleteStream", stream, false, nil},
		{"preview", "kinesis:DescribeStreamSummary", stream, false, nil},
		{"deploy", "glue:UpdateCrawler", crawler, false, nil},
		{"preview", "glue:GetCrawler", crawler, false, nil},
		{"deploy", "lambda:UpdateFunctionCode", arn("lambda", "function:"+logical("transform-function")), true, nil},
		{"preview", "lambda:GetFunction", arn("lambda", "function:"+logical("transform-function")), true, nil},
		{"deploy", "firehose:UpdateDestination", arn("firehose", "deliverystream/"+logical("delivery-stream")), true, nil},
		{"deploy", "iam:CreateRole", role("transform-role"), true, nil},
		{"deploy", "iam:PutRolePolicy", role("delivery-role"), true, nil},
		{"preview", "iam:GetRole", role("catalog-crawler-role"), true, nil},
		{"deploy", "iam:PassRole", role("catalog-crawler-role"), true, []string{"iam:PassedToService", "glue.amazonaws.com"}},
		{"deploy", "logs:PutRetentionPolicy", arn("logs", "log-group:"+logical("transform-logs")), true, nil},
		{"deploy", "logs:DeleteLogGroup", arn("logs", "log-group:"+logical("delivery-logs")), true, nil},
		{"deploy", "logs:CreateLogGroup", arn("logs", "log-group:/aws-glue/crawlers-role/"+logical("catalog-crawler-role")+"-"+n.CrawlerSecurity), true, nil},
		{"deploy", "events:PutTargets", arn("events", "rule/"+rule), true, nil},
		{"preview", "events:DescribeRule", arn("events", "rule/"+rule), true, nil},
		{"deploy", "cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:monitoring-"+dataset+"-iterator-age-1a2b3c4"), true, nil},
	}
}

// Both roles reach every dataset's resources, the default's and any added later (no grant
// names a dataset), and dev's roles none of prod's: by name where the app chooses it, by the
// stack's tags where Pulumi does.
func TestRolesCoverEveryDataset(t *testing.T) {
	dev := allPolicies(testTarget("dev"))
	for _, dataset := range []string{"events", "quiz_answers", "a", "player_errors_v2"} {
		for _, c := range datasetCalls("dev", dataset) {
			if !permits(dev[c.role], c.action, c.resource, stackTags("dev", c.extra...)) {
				t.Errorf("dev %s role: %s on dataset %s's %s refused", c.role, c.action, dataset, c.resource)
			}
		}
		for _, c := range datasetCalls("prod", dataset) {
			if permits(dev[c.role], c.action, c.resource, stackTags("prod", c.extra...)) {
				t.Errorf("dev %s role: %s on prod's dataset %s's %s allowed", c.role, c.action, dataset, c.resource)
			}
		}
		// Prod's resources named with dev's logical names but tagged for prod.
		for _, c := range datasetCalls("dev", dataset) {
			if c.tagged && permits(dev[c.role], c.action, c.resource, stackTags("prod", c.extra...)) {
				t.Errorf("dev %s role: %s on %s, tagged for prod, allowed", c.role, c.action, c.resource)
			}
		}
	}
	// The log streams of Firehose's log groups are the exception (DeliveryLogStreams: no tags).
	stream := fmt.Sprintf("arn:aws:logs:eu-west-1:%s:log-group:quiz_answers-delivery-logs-1a2b3c4:log-stream:DestinationDelivery", testAccount)
	if !permits(dev["deploy"], "logs:CreateLogStream", stream, nil) {
		t.Errorf("deploy role: logs:CreateLogStream on %s refused", stream)
	}
}

// The stack's name prefix (streamlake-dev-*) also matches the names of stacks whose names
// continue dev's, and of a project whose name does: the roles' Deny refuses them, since a
// name of dev's own has no '-' after the prefix.
func TestRolesRefuseNamesOfStacksThatContinueTheirs(t *testing.T) {
	dev := allPolicies(testTarget("dev"))
	for _, other := range []struct{ project, stack, dataset string }{
		{"streamlake", "dev-eu", "events"}, {"streamlake", "dev_eu", "quiz_answers"}, {"streamlake", "dev-quiz", "answers"},
		{"streamlake-dev", "x", "events"}, {"streamlake", "dev-2", "quiz_answers"},
	} {
		n := stackconfig.NamesOf(other.project, other.stack, other.dataset)
		stream := fmt.Sprintf("arn:aws:kinesis:eu-west-1:%s:stream/%s", testAccount, n.Stream)
		crawler := fmt.Sprintf("arn:aws:glue:eu-west-1:%s:crawler/%s", testAccount, n.Crawler)
		for _, c := range []struct{ role, action, resource string }{
			{"deploy", "kinesis:CreateStream", stream}, {"deploy", "kinesis:DeleteStream", stream},
			{"deploy", "kinesis:StartStreamEncryption", stream}, {"preview", "kinesis:DescribeStream", stream},
			{"deploy", "glue:DeleteCrawler", crawler}, {"deploy", "glue:StartCrawler", crawler}, {"preview", "glue:GetCrawler", crawler},
		} {
			if permits(dev[c.role], c.action, c.resource, stackTags(other.stack)) {
				t.Errorf("dev %s role: %s on %s (project %s stack %s) allowed", c.role, c.action, c.resource, other.project, other.stack)
			}
		}
	}
}
