package policy_test

import (
	"encoding/json"
	"fmt"
	"go/build"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/policy"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/transform"
)

// blocked are stack/rule pairs failing because of a real defect in the program, reported and
// awaiting a fix in components/ or stacks/. TestPolicy skips exactly these pairs (so the
// suite stays green meanwhile) and fails as soon as one passes, so the skip is removed.
var blocked = map[string]string{}

var (
	runsOnce sync.Once
	runsErr  error
	allRuns  map[string]*stacktest.Result
	stackIDs []string
)

// runs runs the real program once per stack file (each run takes ~50 ms).
func runs(t *testing.T) ([]string, map[string]*stacktest.Result) {
	t.Helper()
	runsOnce.Do(func() {
		stackIDs, runsErr = stacktest.Stacks()
		if runsErr != nil {
			return
		}
		allRuns = map[string]*stacktest.Result{}
		for _, st := range stackIDs {
			res, err := stacktest.Run(stacktest.Options{Stack: st})
			if err != nil {
				runsErr = fmt.Errorf("stack %s: %w", st, err)
				return
			}
			allRuns[st] = res
		}
	})
	if runsErr != nil {
		t.Fatal(runsErr)
	}
	if !slices.Contains(stackIDs, "dev") || !slices.Contains(stackIDs, "prod") {
		t.Fatalf("stacktest.Stacks() = %v, want at least dev and prod: the suite would prove nothing", stackIDs)
	}
	return stackIDs, allRuns
}

// TestPolicy evaluates every stack file's run against every rule and lists every violation
// with its resource, property and fix.
func TestPolicy(t *testing.T) {
	ids, res := runs(t)
	for _, stack := range ids {
		rep := policy.Evaluate(res[stack])
		t.Run(stack, func(t *testing.T) {
			if rep.Err != nil {
				t.Fatal(rep.Err)
			}
			if n := len(res[stack].Resources); n < 40 {
				t.Fatalf("only %d resources declared: is the program running at all?", n)
			}
			for _, rule := range policy.Rules {
				t.Run(rule.ID, func(t *testing.T) {
					fails := rep.Failures(rule.ID)
					if reason, ok := blocked[stack+"/"+rule.ID]; ok {
						if len(fails) == 0 {
							t.Fatalf("%s/%s passes now: remove it from blocked in policy_test.go", stack, rule.ID)
						}
						for _, v := range fails {
							t.Log("known defect: " + v.String())
						}
						t.Skip(reason)
					}
					for _, v := range fails {
						t.Error(v.String())
					}
				})
			}
		})
	}
}

// blockedVariants are variant/rule pairs failing because of a reported defect (see blocked).
var blockedVariants = map[string]string{}

// TestPolicyHoldsForConfigVariants evaluates every stack with each variant applied.
func TestPolicyHoldsForConfigVariants(t *testing.T) {
	ids, _ := runs(t)
	for _, v := range policy.Variants {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			failing := map[string]bool{}
			for _, stack := range ids {
				opts, err := v.Options(stack)
				if err != nil {
					t.Fatal(err)
				}
				res, err := stacktest.Run(opts)
				if err != nil {
					t.Fatalf("%s: the program rejects the variant (keep variants valid): %v", stack, err)
				}
				cfg, err := stacktest.StackConfig(stack)
				if err != nil {
					t.Fatal(err)
				}
				project, _ := stacktest.Project()
				for k, val := range v.Config {
					cfg[project+":"+k] = val
				}
				for _, x := range policy.EvaluateWith(res, cfg, policy.Rules, policy.Exceptions).Violations {
					if _, ok := blocked[stack+"/"+x.Rule]; ok {
						continue // reported with the stack files
					}
					if _, ok := blockedVariants[v.Name+"/"+x.Rule]; ok {
						failing[x.Rule] = true
						continue
					}
					t.Errorf("%s with %v: %s", stack, v.Config, x)
				}
			}
			for _, k := range slices.Sorted(maps.Keys(blockedVariants)) {
				name, rule, _ := strings.Cut(k, "/")
				if name != v.Name {
					continue
				}
				if !failing[rule] {
					t.Fatalf("%s passes now: remove it from blockedVariants", k)
				}
				t.Skip(blockedVariants[k])
			}
		})
	}
}

// TestExceptionsAreUsed: every exception names a rule, has a reason and still matches a
// violation in some stack; a stale exception would silently excuse a future problem.
func TestExceptionsAreUsed(t *testing.T) {
	ids, res := runs(t)
	reports := map[string]policy.Report{}
	for _, st := range ids {
		reports[st] = policy.Evaluate(res[st])
	}
	for _, e := range policy.Exceptions {
		if ruleByID(e.Rule) == nil {
			t.Errorf("exception for unknown rule %q", e.Rule)
		}
		if strings.TrimSpace(e.Reason) == "" {
			t.Errorf("exception %s on %s has no reason", e.Rule, e.Resource)
		}
		used := false
		for _, st := range ids {
			for _, v := range reports[st].Excepted {
				used = used || e.Matches(v)
			}
		}
		if !used {
			t.Errorf("exception %s on %s (%s) matches no violation in %v: remove it", e.Rule, e.Resource, e.Property, ids)
		}
	}
}

// TestPolicyTable prints the rule table (`make policy`).
func TestPolicyTable(t *testing.T) {
	ids, status := ruleStatuses(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-44s %-10s", "RULE", "CATEGORY")
	for _, st := range ids {
		fmt.Fprintf(&b, " %-12s", strings.ToUpper(st))
	}
	b.WriteString(" DESCRIPTION\n")
	for _, rule := range policy.Rules {
		fmt.Fprintf(&b, "%-44s %-10s", rule.ID, rule.Category)
		for _, st := range ids {
			fmt.Fprintf(&b, " %-12s", status(st, rule.ID))
		}
		fmt.Fprintf(&b, " %s\n", rule.Description)
	}
	b.WriteString("\nPASS+n: passes with n accepted exceptions; n/a: no resource of the rule's types in this stack; BLOCKED(n): known defect, skipped in TestPolicy.\n")
	b.WriteString("\nEXCEPTIONS\n")
	for _, e := range policy.Exceptions {
		fmt.Fprintf(&b, "  %s on %s %s\n    %s\n", e.Rule, e.Resource, e.Property, e.Reason)
	}
	b.WriteString("\nBLOCKED\n")
	for _, k := range slices.Sorted(maps.Keys(blocked)) {
		fmt.Fprintf(&b, "  %s: %s\n", k, blocked[k])
	}
	for _, k := range slices.Sorted(maps.Keys(blockedVariants)) {
		fmt.Fprintf(&b, "  variant %s: %s\n", k, blockedVariants[k])
	}
	t.Log(b.String())
}

// ruleStatuses evaluates every stack file and returns the stacks and each rule's result on
// a stack as the table prints it.
func ruleStatuses(t *testing.T) ([]string, func(stack, rule string) string) {
	t.Helper()
	ids, res := runs(t)
	reports := map[string]policy.Report{}
	for _, st := range ids {
		reports[st] = policy.Evaluate(res[st])
		if reports[st].Err != nil {
			t.Fatal(reports[st].Err)
		}
	}
	return ids, func(st, rule string) string {
		_, isBlocked := blocked[st+"/"+rule]
		return status(reports[st], isBlocked, rule)
	}
}

func status(rep policy.Report, isBlocked bool, rule string) string {
	n := len(rep.Failures(rule))
	excepted := 0
	for _, v := range rep.Excepted {
		if v.Rule == rule {
			excepted++
		}
	}
	switch {
	case n > 0 && isBlocked:
		return fmt.Sprintf("BLOCKED(%d)", n)
	case n > 0:
		return fmt.Sprintf("FAIL(%d)", n)
	case rep.Checked[rule] == 0:
		return "n/a"
	case excepted > 0:
		return fmt.Sprintf("PASS+%d", excepted)
	}
	return "PASS"
}

func ruleByID(id string) *policy.Rule {
	for i := range policy.Rules {
		if policy.Rules[i].ID == id {
			return &policy.Rules[i]
		}
	}
	return nil
}

// TestRulesAreWellFormed: ids unique, every rule says what and why (in one line), has a check.
func TestRulesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range policy.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s declared twice", r.ID)
		}
		seen[r.ID] = true
		if r.Description == "" || r.Reason == "" || strings.Contains(r.Reason, "\n") || r.Check == nil {
			t.Errorf("rule %s needs a description, a one-line reason and a check", r.ID)
		}
		if r.Category != policy.Security && r.Category != policy.Deploy && r.Category != policy.Operations {
			t.Errorf("rule %s: category %q", r.ID, r.Category)
		}
	}
	for svc, tc := range policy.TrustConditions {
		if tc.Reason == "" {
			t.Errorf("TrustConditions[%s] has no reason", svc)
		}
	}
	for a, why := range policy.WildcardResourceActions {
		if why == "" {
			t.Errorf("WildcardResourceActions[%s] has no reason", a)
		}
	}
	for p, why := range policy.ReviewedManagedPolicies {
		if why == "" {
			t.Errorf("ReviewedManagedPolicies[%s] has no reason", p)
		}
	}
}

// TestNamesFitLongStackNames: the names a stack chooses itself include the stack name, so they
// must fit AWS's limits for the longest stack name Pulumi allows (100 characters); auto-named
// resources do not depend on the stack (deploy-names checks them in every run).
func TestNamesFitLongStackNames(t *testing.T) {
	project, err := stacktest.Project()
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range []string{
		strings.Repeat("s", 100),
		"a-very-long-stack-name-for-the-eu-central-2-analytics-team-" + strings.Repeat("x", 41),
		"Feature.Branch_With.Dots-" + strings.Repeat("9", 75),
	} {
		// The default dataset's names, and those of a dataset with the longest name allowed.
		for _, n := range []stackconfig.Names{stackconfig.NamesFor(project, stack),
			stackconfig.NamesOf(project, stack, "d"+strings.Repeat("_", schema.MaxDatasetName-1))} {
			for typ, name := range map[string]string{
				policy.TypeStream: n.Stream, policy.TypeDatabase: n.Database, policy.TypeTable: n.Table, policy.TypeCrawler: n.Crawler, policy.TypeWorkgroup: n.Workgroup,
				policy.TypeDashboard: n.Dashboard, "aws:glue/securityConfiguration:SecurityConfiguration": n.CrawlerSecurity,
			} {
				if err := awsrules.CheckName(typ, name, false); err != nil {
					t.Errorf("stack %q (%d chars): %v", stack, len(stack), err)
				}
			}
		}
	}
}

// --- breaking real runs ----------------------------------------------------------------

// breakage is a deliberately broken copy of a real run that must violate rule.
type breakage struct {
	rule   string
	stack  string // default prod
	mutate func(t *testing.T, res *stacktest.Result)
}

var breakages = []breakage{
	{rule: "sec-s3-public-access-block", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypePAB, nil), "blockPublicPolicy", false)
	}},
	{rule: "sec-s3-encryption", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeSSE, nil), "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256")
	}},
	{rule: "sec-s3-tls-only", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeBucketPolicy, nil), func(sts []map[string]any) []map[string]any {
			return dropWhere(sts, func(st map[string]any) bool {
				return strings.Contains(fmt.Sprint(st["Condition"]), "aws:SecureTransport")
			})
		})
	}},
	{rule: "sec-s3-acls-disabled", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeOwnership, nil), "rule.objectOwnership", "ObjectWriter")
	}},
	{rule: "sec-kinesis-encrypted", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeStream, nil), "encryptionType", "NONE")
	}},
	{rule: "sec-firehose-encrypted", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "extendedS3Configuration.kmsKeyArn", nil)
	}},
	{rule: "sec-sns-encrypted", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeTopic, nil), "kmsMasterKeyId", "alias/aws/sns")
	}},
	{rule: "sec-logs-encrypted", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeLogGroup, nil), "kmsKeyId", nil)
	}},
	{rule: "sec-kms-rotation", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeKey, nil), "enableKeyRotation", false)
	}},
	{rule: "sec-iam-no-wildcard-action", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeRolePolicy, nil), func(sts []map[string]any) []map[string]any {
			sts[0]["Action"] = []any{"s3:*"}
			return sts
		})
	}},
	{rule: "sec-iam-no-not-elements", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeRolePolicy, nil), func(sts []map[string]any) []map[string]any {
			sts[0]["NotResource"] = sts[0]["Resource"]
			delete(sts[0], "Resource")
			return sts
		})
	}},
	{rule: "sec-iam-wildcard-resource", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeRolePolicy, nil), func(sts []map[string]any) []map[string]any {
			sts[0]["Resource"] = []any{"arn:aws:kinesis:*:*:stream/*"}
			return sts
		})
	}},
	{rule: "sec-iam-managed-policies", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeRole, nil), "managedPolicyArns", []any{"arn:aws:iam::aws:policy/AdministratorAccess"})
	}},
	{rule: "sec-iam-trust-policy", mutate: func(t *testing.T, res *stacktest.Result) {
		firehoseRole := pick(t, res, policy.TypeRole, func(r *stacktest.Resource) bool {
			return strings.Contains(r.Str("assumeRolePolicy"), "firehose.amazonaws.com")
		})
		editStatements(t, firehoseRole, func(sts []map[string]any) []map[string]any {
			delete(sts[0], "Condition") // the confused-deputy condition
			return sts
		})
	}},
	{rule: "sec-resource-policy-not-public", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeBucketPolicy, nil), func(sts []map[string]any) []map[string]any {
			return append(sts, map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"})
		})
	}},
	{rule: "sec-resource-policy-service-scoped", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeKey, nil), func(sts []map[string]any) []map[string]any {
			return append(sts, map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"})
		})
	}},
	{rule: "sec-api-auth", stack: "dev", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeMethod, post), "apiKeyRequired", false)
	}},
	{rule: "sec-api-auth", mutate: func(t *testing.T, res *stacktest.Result) { // prod: user pool tokens
		set(t, pick(t, res, policy.TypeMethod, post), "authorization", "NONE")
	}},
	{rule: "sec-api-cognito-authorizer", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeAuthorizer, nil), "providerArns", []any{"eu-west-1_EXAMPLE01"}) // a pool id, not its ARN
	}},
	{rule: "sec-api-request-validation", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeMethod, post), "requestValidatorId", nil)
	}},
	{rule: "sec-api-stage-throttling", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeMethodSettings, nil), "settings.throttlingRateLimit", nil)
	}},
	{rule: "sec-api-usage-plan", stack: "dev", mutate: func(t *testing.T, res *stacktest.Result) {
		drop(res, func(r *stacktest.Resource) bool { return r.Type == policy.TypeUsagePlanKey })
	}},
	{rule: "sec-api-access-logs", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeStage, nil), "accessLogSettings", nil)
	}},
	{rule: "sec-api-no-data-trace", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeMethodSettings, nil), "settings.dataTraceEnabled", true)
	}},
	{rule: "sec-waf-production", mutate: func(t *testing.T, res *stacktest.Result) {
		drop(res, func(r *stacktest.Resource) bool { return r.Type == policy.TypeWebACLAssoc })
	}},
	{rule: "sec-waf-rate-limit", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeWebACL, nil), "rules[0].action", map[string]any{"count": map[string]any{}})
	}},
	{rule: "sec-waf-body-limits", mutate: func(t *testing.T, res *stacktest.Result) {
		acl := pick(t, res, policy.TypeWebACL, nil)
		set(t, acl, "rules", append(acl.List("rules"), map[string]any{"name": "crs", "priority": 9.0, "overrideAction": map[string]any{"none": map[string]any{}},
			"statement": map[string]any{"managedRuleGroupStatement": map[string]any{"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}}}))
	}},
	{rule: "sec-athena-enforced", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeWorkgroup, nil), "configuration.enforceWorkgroupConfiguration", false)
	}},
	{rule: "sec-athena-results-encrypted", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeWorkgroup, nil), "configuration.resultConfiguration.encryptionConfiguration.encryptionOption", "SSE_S3")
	}},
	{rule: "sec-athena-scan-cap", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeWorkgroup, nil), "configuration.bytesScannedCutoffPerQuery", nil)
	}},
	{rule: "sec-lambda-no-secret-env", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFunction, nil), "environment.variables.DB_PASSWORD", "hunter2")
	}},

	{rule: "deploy-firehose-buffering", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "extendedS3Configuration.bufferingSize", 32.0)
	}},
	{rule: "deploy-firehose-prefixes", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "extendedS3Configuration.errorOutputPrefix", "errors/")
	}},
	{rule: "deploy-firehose-dynamic-partitioning", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "extendedS3Configuration.dynamicPartitioningConfiguration", nil)
	}},
	{rule: "deploy-firehose-no-sse-with-kinesis-source", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "serverSideEncryption", map[string]any{"enabled": true, "keyType": "CUSTOMER_MANAGED_CMK"})
	}},
	{rule: "deploy-firehose-processor", mutate: func(t *testing.T, res *stacktest.Result) {
		setProcessorParam(t, pick(t, res, policy.TypeFirehose, nil), "BufferSizeInMBs", "3.5") // Firehose's maximum is 3 MiB
	}},
	{rule: "deploy-lambda-timeout", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFunction, nil), "timeout", 900.0)
	}},
	{rule: "deploy-firehose-schema-table", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeFirehose, nil), "extendedS3Configuration.dataFormatConversionConfiguration.schemaConfiguration.tableName", "events_v0")
	}},
	{rule: "deploy-firehose-partitions-match-table", mutate: func(t *testing.T, res *stacktest.Result) {
		tbl := pick(t, res, policy.TypeTable, nil)
		keys := tbl.List("partitionKeys")
		set(t, tbl, "partitionKeys", keys[:len(keys)-1]) // the table forgets the hour
	}},
	{rule: "deploy-glue-table-location", mutate: func(t *testing.T, res *stacktest.Result) {
		tbl := pick(t, res, policy.TypeTable, nil)
		set(t, tbl, "storageDescriptor.location", strings.Replace(tbl.Str("storageDescriptor.location"), "/data/", "/events/", 1))
	}},
	{rule: "deploy-partitions-discoverable", mutate: func(t *testing.T, res *stacktest.Result) {
		// The template forgets the k= of Firehose's folders: every projected partition is empty.
		params := pick(t, res, policy.TypeTable, nil).Inputs["parameters"].(map[string]any)
		params["storage.location.template"] = strings.NewReplacer("year=", "", "month=", "", "day=", "", "hour=", "").
			Replace(params["storage.location.template"].(string))
	}},
	{rule: "deploy-partitions-discoverable", mutate: func(t *testing.T, res *stacktest.Result) {
		// Neither projection nor a crawler: no new hour is ever queryable.
		delete(pick(t, res, policy.TypeTable, nil).Inputs["parameters"].(map[string]any), "projection.enabled")
		drop(res, func(r *stacktest.Resource) bool { return r.Type == policy.TypeCrawler })
	}},
	{rule: "deploy-crawler-target", mutate: func(t *testing.T, res *stacktest.Result) {
		c := pick(t, res, policy.TypeCrawler, nil)
		set(t, c, "catalogTargets[0].tables[0]", "other_table")
	}},
	{rule: "deploy-alarm-metric", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeAlarm, nil), "metricName", "IteratorAge")
	}},
	{rule: "deploy-alarm-dimensions", mutate: func(t *testing.T, res *stacktest.Result) {
		a := pick(t, res, policy.TypeAlarm, func(a *stacktest.Resource) bool { return a.StrMap("dimensions")["StreamName"] != "" })
		set(t, a, "dimensions.StreamName", "arn:aws:kinesis:eu-west-1:123456789012:stream/"+a.StrMap("dimensions")["StreamName"])
	}},
	{rule: "deploy-alarm-can-change-state", mutate: func(t *testing.T, res *stacktest.Result) {
		a := pick(t, res, policy.TypeAlarm, nil)
		set(t, a, "comparisonOperator", "GreaterThanOrEqualToThreshold")
		set(t, a, "threshold", 0.0)
	}},
	{rule: "deploy-dashboard-metrics", mutate: func(t *testing.T, res *stacktest.Result) {
		d := pick(t, res, policy.TypeDashboard, nil)
		stream := stateOf(pick(t, res, policy.TypeStream, nil), "name")
		set(t, d, "dashboardBody", strings.ReplaceAll(d.Str("dashboardBody"), `"`+stream+`"`, `"streamlake-otherstack-events"`))
	}},
	{rule: "deploy-names", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeStream, nil), "name", strings.Repeat("streamlake-", 12)) // 132 > 128
	}},
	{rule: "deploy-kms-key-grants-services", mutate: func(t *testing.T, res *stacktest.Result) {
		editStatements(t, pick(t, res, policy.TypeKey, nil), func(sts []map[string]any) []map[string]any {
			return dropWhere(sts, func(st map[string]any) bool { return strings.Contains(fmt.Sprint(st["Principal"]), "logs.") })
		})
	}},
	{rule: "deploy-s3-lifecycle", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeLifecycle, nil), "rules[0]", map[string]any{"id": "raw-backup", "status": "Enabled", "filter": map[string]any{"prefix": "raw/"}})
	}},

	{rule: "ops-tags", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeBucket, nil), "tags.cost-center", nil)
	}},
	{rule: "ops-types-classified", mutate: func(t *testing.T, res *stacktest.Result) {
		res.Resources = append(res.Resources, &stacktest.Resource{Type: "aws:sqs/queue:Queue", Name: "dead-letters", Custom: true,
			Inputs: map[string]any{}, State: map[string]any{}})
	}},
	{rule: "ops-log-retention", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeLogGroup, nil), "retentionInDays", nil)
	}},
	{rule: "ops-log-groups-declared", mutate: func(t *testing.T, res *stacktest.Result) {
		drop(res, func(r *stacktest.Resource) bool {
			return r.Type == policy.TypeLogGroup && strings.HasPrefix(r.Str("name"), "API-Gateway-Execution-Logs_")
		})
	}},
	{rule: "ops-protect-data", stack: "prod", mutate: func(t *testing.T, res *stacktest.Result) {
		pick(t, res, policy.TypeBucket, nil).RetainOnDelete = false
	}},
	{rule: "ops-alarm-actions", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeAlarm, nil), "okActions", nil)
	}},
	{rule: "ops-alarm-coverage", mutate: func(t *testing.T, res *stacktest.Result) {
		stream := stateOf(pick(t, res, policy.TypeStream, nil), "name")
		drop(res, func(r *stacktest.Resource) bool {
			return r.Type == policy.TypeAlarm && r.StrMap("dimensions")["StreamName"] == stream
		})
	}},
	{rule: "ops-waf-logging", mutate: func(t *testing.T, res *stacktest.Result) {
		set(t, pick(t, res, policy.TypeWebACLLogging, nil), "redactedFields", []any{})
	}},
	{rule: "ops-waf-blocked-alarm", mutate: func(t *testing.T, res *stacktest.Result) {
		drop(res, func(r *stacktest.Resource) bool {
			return r.Type == policy.TypeAlarm && r.Str("namespace") == "AWS/WAFV2"
		})
	}},
	{rule: "ops-crawler-failure-alerts", mutate: func(t *testing.T, res *stacktest.Result) {
		drop(res, func(r *stacktest.Resource) bool { return r.Type == policy.TypeEventTarget })
	}},
}

// TestEachRuleCatchesABrokenResource: for every rule, a deliberately broken copy of a real run
// violates it (more often than the unbroken run does), so no rule can silently pass everything.
func TestEachRuleCatchesABrokenResource(t *testing.T) {
	covered := map[string]bool{}
	for _, b := range breakages {
		if ruleByID(b.rule) == nil {
			t.Errorf("breakage for unknown rule %s", b.rule)
			continue
		}
		covered[b.rule] = true
		stack := b.stack
		if stack == "" {
			stack = "prod"
		}
		t.Run(b.rule, func(t *testing.T) {
			base := baseRun(t, stack)
			cfg, err := stacktest.StackConfig(stack)
			if err != nil {
				t.Fatal(err)
			}
			before := len(policy.EvaluateWith(base, cfg, policy.Rules, policy.Exceptions).Failures(b.rule))
			broken := policy.Clone(base)
			b.mutate(t, broken)
			after := policy.EvaluateWith(broken, cfg, policy.Rules, policy.Exceptions).Failures(b.rule)
			if len(after) <= before {
				t.Fatalf("%s: the broken run has %d violations, the real one %d: the rule does not catch the breakage", b.rule, len(after), before)
			}
			t.Log(after[len(after)-1].String())
		})
	}
	for _, r := range policy.Rules {
		if !covered[r.ID] {
			t.Errorf("rule %s has no breakage case in policy_test.go: nothing shows it can fail", r.ID)
		}
	}
}

// baseRun is the real run of a stack to break (callers policy.Clone it first).
func baseRun(t *testing.T, stack string) *stacktest.Result {
	t.Helper()
	_, res := runs(t)
	r, ok := res[stack]
	if !ok {
		t.Fatalf("no stack file for %s", stack)
	}
	return r
}

// --- mutation helpers ------------------------------------------------------------------

func post(r *stacktest.Resource) bool { return r.Str("httpMethod") == "POST" }

// pick returns the first resource of a type (matching filter), failing the test if none.
func pick(t *testing.T, res *stacktest.Result, typ string, filter func(*stacktest.Resource) bool) *stacktest.Resource {
	t.Helper()
	for _, r := range res.OfType(typ) {
		if filter == nil || filter(r) {
			return r
		}
	}
	t.Fatalf("no %s to break in the %s run", typ, res.Stack)
	return nil
}

func drop(res *stacktest.Result, match func(*stacktest.Resource) bool) {
	kept := res.Resources[:0]
	for _, r := range res.Resources {
		if !match(r) {
			kept = append(kept, r)
		}
	}
	res.Resources = kept
}

// set sets (or, with nil, deletes) an input by path like "a.b[0].c".
func set(t *testing.T, r *stacktest.Resource, path string, v any) {
	t.Helper()
	var cur any = r.Inputs
	steps := strings.Split(path, ".")
	for i, step := range steps {
		name, idx := step, -1
		if j := strings.Index(step, "["); j >= 0 {
			n, err := strconv.Atoi(strings.TrimSuffix(step[j+1:], "]"))
			if err != nil {
				t.Fatalf("bad path %s", path)
			}
			name, idx = step[:j], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object at %s", r, path, step)
		}
		last := i == len(steps)-1
		if idx < 0 {
			if last {
				if v == nil {
					delete(m, name)
				} else {
					m[name] = v
				}
				return
			}
			if m[name] == nil {
				m[name] = map[string]any{}
			}
			cur = m[name]
			continue
		}
		l, ok := m[name].([]any)
		if !ok || idx >= len(l) {
			t.Fatalf("%s: %s has no element %d", r, name, idx)
		}
		if last {
			l[idx] = v
			return
		}
		cur = l[idx]
	}
}

// stateOf is a string output of a resource.
func stateOf(r *stacktest.Resource, key string) string {
	v, _ := r.State[key].(string)
	return v
}

// editStatements rewrites the statements of a resource's policy document.
func editStatements(t *testing.T, r *stacktest.Resource, f func([]map[string]any) []map[string]any) {
	t.Helper()
	prop := policy.DocumentInput(r.Type)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Str(prop)), &doc); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	var sts []map[string]any
	for _, s := range doc["Statement"].([]any) {
		sts = append(sts, s.(map[string]any))
	}
	sts = f(sts)
	out := make([]any, len(sts))
	for i, s := range sts {
		out[i] = s
	}
	doc["Statement"] = out
	b, _ := json.Marshal(doc)
	r.Inputs[prop] = string(b)
}

func dropWhere(sts []map[string]any, match func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, s := range sts {
		if !match(s) {
			out = append(out, s)
		}
	}
	return out
}

// TestCloneIsDeep: breaking a copy must never change the shared real run.
func TestCloneIsDeep(t *testing.T) {
	_, res := runs(t)
	base := res["prod"]
	c := policy.Clone(base)
	set(t, pick(t, c, policy.TypePAB, nil), "blockPublicAcls", false)
	pick(t, c, policy.TypeBucket, nil).Protect = false
	c.Resources = c.Resources[:1]
	if !pick(t, base, policy.TypePAB, nil).Bool("blockPublicAcls") || !pick(t, base, policy.TypeBucket, nil).Protect || len(base.Resources) < 2 {
		t.Fatal("Clone shares state with the original run")
	}
}

// TestReportListsEveryViolation: a run broken five ways reports all five, not the first.
func TestReportListsEveryViolation(t *testing.T) {
	broken := policy.Clone(baseRun(t, "prod"))
	for _, b := range breakages[:5] {
		b.mutate(t, broken)
	}
	cfg, _ := stacktest.StackConfig("prod")
	rep := policy.EvaluateWith(broken, cfg, policy.Rules, policy.Exceptions)
	var got []string
	for _, v := range rep.Violations {
		got = append(got, v.Rule)
	}
	sort.Strings(got)
	for _, b := range breakages[:5] {
		if !slices.Contains(got, b.rule) {
			t.Errorf("five breakages at once: %s missing from the report %v", b.rule, got)
		}
	}
}

// TestProcessorBufferIsCheckedAgainstTheProvenSafeSize: a buffer Firehose accepts but the
// transform is not proven for (above transform.SafeProcessorBufferMiB) fails
// deploy-firehose-processor.
func TestProcessorBufferIsCheckedAgainstTheProvenSafeSize(t *testing.T) {
	safe := transform.SafeProcessorBufferMiB
	if safe >= awsrules.MaxProcessorBufferMiB {
		t.Skipf("the proven safe size %g is Firehose's maximum: nothing between to test", safe)
	}
	broken := policy.Clone(baseRun(t, "prod"))
	setProcessorParam(t, pick(t, broken, policy.TypeFirehose, nil), "BufferSizeInMBs", strconv.FormatFloat((safe+awsrules.MaxProcessorBufferMiB)/2, 'f', -1, 64))
	cfg, _ := stacktest.StackConfig("prod")
	fails := policy.EvaluateWith(broken, cfg, policy.Rules, policy.Exceptions).Failures("deploy-firehose-processor")
	if len(fails) != 1 || !strings.Contains(fails[0].Message, "tests prove") {
		t.Fatalf("a buffer between the proven %g MiB and Firehose's %g MiB: got %v", safe, float64(awsrules.MaxProcessorBufferMiB), fails)
	}
}

// TestTableLocationInAnyPartition: the location rules read the bucket out of Firehose's bucket
// ARN in any partition, so a stack in China or GovCloud passes them as one in aws does.
func TestTableLocationInAnyPartition(t *testing.T) {
	base := baseRun(t, "prod")
	moved := policy.Clone(base)
	n := 0
	for _, r := range moved.OfType(policy.TypeFirehose) {
		bucketArn := r.Str("extendedS3Configuration.bucketArn")
		if !strings.HasPrefix(bucketArn, "arn:aws:s3:::") {
			t.Fatalf("%s: bucket ARN %q is not an aws partition's", r, bucketArn)
		}
		set(t, r, "extendedS3Configuration.bucketArn", "arn:aws-cn:s3:::"+strings.TrimPrefix(bucketArn, "arn:aws:s3:::"))
		n++
	}
	if n == 0 {
		t.Fatal("no delivery stream in the prod run")
	}
	cfg, _ := stacktest.StackConfig("prod")
	for _, rule := range []string{"deploy-glue-table-location", "deploy-partitions-discoverable"} {
		before := policy.EvaluateWith(base, cfg, policy.Rules, policy.Exceptions).Failures(rule)
		if after := policy.EvaluateWith(moved, cfg, policy.Rules, policy.Exceptions).Failures(rule); len(after) != len(before) {
			t.Errorf("%s: %d violations with aws-cn bucket ARNs, %d with aws ones: %v", rule, len(after), len(before), after)
		}
	}
}

// TestDocsListEveryRule keeps docs/rules.md's rule table in step with policy.Rules.
func TestDocsListEveryRule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", rulesDocFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range policy.Rules {
		if !strings.Contains(string(b), "| `"+r.ID+"` |") {
			t.Errorf("%s has no row for rule %s", rulesDocFile, r.ID)
		}
	}
}

// TestTaggableMatchesTheSDK: a type is classified taggable exactly when its pulumi-aws Args
// struct has a Tags field (read from the SDK source the module builds with).
func TestTaggableMatchesTheSDK(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	aws, err := build.Import("github.com/pulumi/pulumi-aws/sdk/v6/go/aws", root, build.FindOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range slices.Sorted(maps.Keys(policy.Taggable)) {
		// aws:<module>/<file>:<Type> -> go/aws/<module>/<file>.go, struct <Type>Args
		mod, rest, _ := strings.Cut(strings.TrimPrefix(typ, "aws:"), "/")
		file, name, _ := strings.Cut(rest, ":")
		src, err := os.ReadFile(filepath.Join(aws.Dir, mod, file+".go"))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		_, body, found := strings.Cut(string(src), "\ntype "+name+"Args struct {")
		body, _, _ = strings.Cut(body, "\n}")
		if !found {
			t.Errorf("%s: no %sArgs in %s", typ, name, file)
			continue
		}
		hasTags := regexp.MustCompile(`\n\tTags\s+pulumi\.StringMapInput`).MatchString(body)
		if hasTags != policy.Taggable[typ] {
			t.Errorf("Taggable[%s] = %v, but its Args have Tags: %v", typ, policy.Taggable[typ], hasTags)
		}
	}
}

// setProcessorParam sets a Lambda processor parameter of a delivery stream, adding it when it
// is not sent (parameters at Firehose's defaults are left out).
func setProcessorParam(t *testing.T, fh *stacktest.Resource, name, value string) {
	t.Helper()
	proc, ok := stacktest.Path(fh.Inputs, "extendedS3Configuration.processingConfiguration.processors[0]").(map[string]any)
	if !ok {
		t.Fatal("no processor")
	}
	params, _ := proc["parameters"].([]any)
	for _, p := range params {
		if p.(map[string]any)["parameterName"] == name {
			p.(map[string]any)["parameterValue"] = value
			return
		}
	}
	proc["parameters"] = append(params, map[string]any{"parameterName": name, "parameterValue": value})
}
