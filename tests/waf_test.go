package tests

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// The firewall sits on prod's stage, logs what it blocks and is alarmed; dev has none.
func TestWAFGuardsTheProdStage(t *testing.T) {
	if n := len(run(t, "dev", nil).OfType(tWebACL)); n != 0 {
		t.Errorf("dev: %d web ACLs, want none (waf: false)", n)
	}
	res := run(t, "prod", nil)
	acl, stage := one(t, res, tWebACL), one(t, res, tStage)
	if acl.Str("scope") != "REGIONAL" || acl.Str("name") != "streamlake-prod-ingest" || acl.Str("visibilityConfig.metricName") != acl.Str("name") ||
		acl.In("defaultAction.allow") == nil {
		t.Errorf("web acl %v", acl.Inputs)
	}
	if a := one(t, res, tWebACLAssoc); a.Str("resourceArn") != stage.State["arn"] || a.Str("webAclArn") != acl.State["arn"] {
		t.Errorf("association %v, stage %v", a.Inputs, stage.State["arn"])
	}
	rules := map[string]map[string]any{}
	for i, r := range acl.List("rules") {
		m := r.(map[string]any)
		if stacktest.Path(m, "priority") != float64(i) {
			t.Errorf("rule %d has priority %v", i, stacktest.Path(m, "priority"))
		}
		rules[m["name"].(string)] = m
	}
	if limit := stacktest.Path(rules["rate-limit-per-ip"], "statement.rateBasedStatement.limit"); limit != 3000.0 {
		t.Errorf("rate limit %v, want the default 3000", limit)
	}
	for name, limit := range map[string]int{"event-too-large": apispec.MaxEventBytes, "batch-too-large": apispec.MaxBatchBytes} {
		stmts := stacktest.Path(rules[name], "statement.andStatement.statements").([]any)
		re := regexp.MustCompile(stacktest.Path(stmts[1], "regexMatchStatement.regexString").(string))
		if re.MatchString(strconv.Itoa(limit)) || !re.MatchString(strconv.Itoa(limit+1)) || stacktest.Path(rules[name], "action.block.customResponse.responseCode") != 413.0 {
			t.Errorf("%s does not block exactly a Content-Length over %d: %v", name, limit, rules[name])
		}
	}
	for _, g := range []string{"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"} {
		if rules[g] == nil || stacktest.Path(rules[g], "statement.managedRuleGroupStatement.vendorName") != "AWS" {
			t.Errorf("managed group %s missing: %v", g, slices.Sorted(maps.Keys(rules)))
		}
	}
	logs := find(t, res, tLogGroup, "waf-logs")
	cfg := one(t, res, tWebACLLogging)
	if logs.Str("name") != "aws-waf-logs-streamlake-prod" || cfg.Str("resourceArn") != acl.State["arn"] || cfg.List("logDestinationConfigs")[0] != logs.State["arn"] ||
		cfg.Str("loggingFilter.defaultBehavior") != "DROP" || logs.Num("retentionInDays") != 90 || logs.Str("kmsKeyId") == "" {
		t.Errorf("waf logging %v to %v", cfg.Inputs, logs.Inputs)
	}
	alarm := find(t, res, tAlarm, "monitoring-waf-blocked-requests")
	if d := alarm.StrMap("dimensions"); alarm.Str("namespace") != "AWS/WAFV2" || alarm.Str("metricName") != "BlockedRequests" ||
		d["WebACL"] != acl.Str("name") || d["Rule"] != "ALL" || d["Region"] != "eu-west-1" || alarm.Num("threshold") != 100 {
		t.Errorf("blocked-requests alarm %v", alarm.Inputs)
	}
}

// Each auth mode builds its methods, authorizer and outputs; the deployment follows the mode.
func TestAuthModesBuildTheirMethods(t *testing.T) {
	const pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"
	modes := map[apispec.Auth]map[string]string{
		apispec.AuthAPIKey: {"apiAuth": "apiKey"},
		apispec.AuthIAM:    {"apiAuth": "iam", "apiQuotaPerDay": "0"},
		apispec.AuthJWT:    {"apiAuth": "jwt", "apiQuotaPerDay": "0", "apiJwtUserPoolArns": `["` + pool + `"]`, "apiJwtScopes": `["events/write"]`},
	}
	hashes := map[string]apispec.Auth{}
	for mode, cfg := range modes {
		res := run(t, "dev", cfg)
		want := authorizationOf[mode]
		for _, m := range res.OfType(tMethod) {
			if m.Str("httpMethod") == "POST" && (m.Str("authorization") != want.authorization || m.Bool("apiKeyRequired") != want.key) {
				t.Errorf("%s: method %s %v", mode, m.Name, m.Inputs)
			}
		}
		if n := len(res.OfType(tUsagePlan)); (n == 1) != mode.UsesAPIKey() {
			t.Errorf("%s: %d usage plans", mode, n)
		}
		authorizers := res.OfType(tAuthorizer)
		if (len(authorizers) == 1) != (mode == apispec.AuthJWT) {
			t.Fatalf("%s: %d authorizers", mode, len(authorizers))
		}
		if mode == apispec.AuthJWT {
			a := authorizers[0]
			if a.Str("type") != "COGNITO_USER_POOLS" || a.List("providerArns")[0] != pool || a.Str("identitySource") != "method.request.header.Authorization" {
				t.Errorf("jwt: authorizer %v", a.Inputs)
			}
			for _, m := range res.OfType(tMethod) {
				if m.Str("httpMethod") == "POST" && (m.Str("authorizerId") != a.Name+"-id" || m.List("authorizationScopes")[0] != "events/write") {
					t.Errorf("jwt: method %s %v", m.Name, m.Inputs)
				}
			}
		}
		if mode == apispec.AuthIAM {
			checkProducerPolicy(t, res)
		}
		hashes[one(t, res, tDeployment).StrMap("triggers")["definition"]] = mode
	}
	if len(hashes) != len(modes) {
		t.Errorf("the deployment does not follow the auth mode: %v", hashes)
	}
}

// checkProducerPolicy: the iam producer policy allows execute-api:Invoke on POST of the two
// routes of this stage, nothing else.
func checkProducerPolicy(t *testing.T, res *stacktest.Result) {
	t.Helper()
	doc, err := iampolicy.Parse(res.Exports["producerPolicy"].(string))
	if err != nil {
		t.Fatal(err)
	}
	api := one(t, res, tRestAPI).State["executionArn"].(string)
	want := []string{api + "/api/POST/v1/events", api + "/api/POST/v1/events/batch"}
	if len(doc.Statement) != 1 || strings.Join(doc.Statement[0].Action, ",") != "execute-api:Invoke" || !slices.Equal(doc.Statement[0].Resource, want) {
		t.Errorf("producer policy %+v, want Invoke on %v", doc.Statement, want)
	}
}
