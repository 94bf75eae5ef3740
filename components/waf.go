package components

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// WAFArgs configures the firewall in front of the ingest API's stage.
type WAFArgs struct {
	Env *Env
	// Name is the web ACL's physical name and its CloudWatch metric name, so that the
	// blocked-requests alarm's WebACL dimension names it whichever of the two AWS reads.
	Name string
	// LogGroupName is the WAF log group's name; AWS WAF requires the aws-waf-logs- prefix.
	LogGroupName string
	// StageArn is the API Gateway stage the web ACL protects.
	StageArn pulumi.StringInput
	// RateLimitPer5Min is the most requests one client address may send in 5 minutes.
	RateLimitPer5Min int
	// ManagedRuleGroups name AWS managed rule groups (awsrules.ManagedRuleGroups).
	ManagedRuleGroups []string
	// Datasets are the API's datasets (nil: the default alone), whose routes the body
	// limits cover.
	Datasets []string
}

// Validate checks the args against AWS WAF's rules.
func (a *WAFArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("waf: %w", err)
	}
	if a.StageArn == nil {
		return fmt.Errorf("waf: StageArn is required")
	}
	if err := awsrules.CheckName(typeWebACL, a.Name, false); err != nil {
		return fmt.Errorf("waf: %w", err)
	}
	if !strings.HasPrefix(a.LogGroupName, awsrules.WAFLogGroupPrefix) {
		return fmt.Errorf("waf: LogGroupName %q must start with %s (AWS WAF logs only to such destinations)", a.LogGroupName, awsrules.WAFLogGroupPrefix)
	}
	if err := awsrules.CheckWAFRateLimit(a.RateLimitPer5Min); err != nil {
		return fmt.Errorf("waf: %w", err)
	}
	if err := awsrules.CheckManagedRuleGroups(a.ManagedRuleGroups); err != nil {
		return fmt.Errorf("waf: %w", err)
	}
	if wcu := WAFCapacity(WAFRules(a.RateLimitPer5Min, a.ManagedRuleGroups, a.Datasets)); wcu > awsrules.WAFBasicCapacity {
		return fmt.Errorf("waf: the rules need %d WCU, over the %d the basic request price covers: drop a managed rule group", wcu, awsrules.WAFBasicCapacity)
	}
	return nil
}

const typeWebACL = "aws:wafv2/webAcl:WebAcl"

// WAF is a regional AWS WAF web ACL on the ingest API's stage: a rate limit per client
// address, the API's body limits by declared Content-Length, AWS managed rule groups, and logs
// of blocked and counted requests (authorization headers and API keys redacted). Monitoring
// alarms on its blocked requests (wafAlarm).
type WAF struct {
	pulumi.ResourceState
	WebACLArn    pulumi.StringOutput `pulumi:"webAclArn"`
	WebACLName   pulumi.StringOutput `pulumi:"webAclName"`
	LogGroupName pulumi.StringOutput `pulumi:"logGroupName"`
}

// NewWAF creates the web ACL, its association with the stage and its logging.
func NewWAF(ctx *pulumi.Context, name string, args *WAFArgs, opts ...pulumi.ResourceOption) (*WAF, error) {
	if args == nil {
		return nil, fmt.Errorf("waf %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &WAF{}
	if err := ctx.RegisterComponentResource(typePrefix+"WAF", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*WAF, error) {
		return nil, fmt.Errorf("waf %s %s: %w", name, what, err)
	}
	acl, err := newWebACL(ctx, name, args, parent)
	if err != nil {
		return fail("web acl", err)
	}
	if _, err := wafv2.NewWebAclAssociation(ctx, name+"-association", &wafv2.WebAclAssociationArgs{
		ResourceArn: args.StageArn,
		WebAclArn:   acl.Arn,
	}, parent); err != nil {
		return fail("association", err)
	}
	logs, err := newWAFLogging(ctx, name, args, acl, parent)
	if err != nil {
		return fail("logging", err)
	}
	c.WebACLArn, c.WebACLName, c.LogGroupName = acl.Arn, acl.Name, logs
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"webAclArn": acl.Arn, "webAclName": acl.Name, "logGroupName": logs}); err != nil {
		return nil, err
	}
	return c, nil
}

// wafAllRules is the Rule dimension value of a web ACL's totals.
const wafAllRules = "ALL"

// wafAlarms are the firewall's alarms: none without it.
func wafAlarms(t AlarmTargets, th AlarmThresholds) []AlarmSpec {
	if !t.WAF {
		return nil
	}
	return []AlarmSpec{wafAlarm(th.WAFBlockedPerPeriod)}
}

// wafAlarm is the alarm on blocked requests: an attack, a misbehaving client, or a rule that
// blocks legitimate producers.
func wafAlarm(threshold int) AlarmSpec {
	return AlarmSpec{ID: "waf-blocked-requests", Stage: StageAPI, Namespace: "AWS/WAFV2", Metric: "BlockedRequests",
		Dims: []string{"Region", "Rule", "WebACL"}, Statistic: "Sum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1,
		Comparison: "GreaterThanOrEqualToThreshold", Threshold: float64(threshold), TreatMissing: "notBreaching",
		Description: fmt.Sprintf("The API's firewall blocked %d or more requests in 5 minutes. Find the rule in the WAF log group "+
			"(terminatingRuleId, httpRequest.clientIp): many addresses and a managed rule mean an attack it stopped; one producer's "+
			"address means a client over wafRateLimitPer5Min or sending bodies over the API's limits, which it must fix; "+
			"legitimate traffic blocked by a managed rule means that rule needs a Count override.", threshold)}
}

// WAFRule is one rule of the web ACL as plain values; exactly one kind is set.
type WAFRule struct {
	Name string
	// RateLimit blocks a client address over this many requests in 5 minutes (429).
	RateLimit int
	// PathSuffix and MaxBytes block a request to the route ending in PathSuffix that declares a
	// Content-Length over MaxBytes (413).
	PathSuffix string
	MaxBytes   int
	// Managed runs an AWS managed rule group.
	Managed *awsrules.ManagedRuleGroup
}

// WCU is the rule's web ACL capacity: AWS WAF's published costs (rate-based 2; a byte match
// on the URI path ending with a string 2, a regex match 3, an AND statement adding nothing).
func (r WAFRule) WCU() int {
	switch {
	case r.Managed != nil:
		return r.Managed.WCU
	case r.RateLimit > 0:
		return 2
	}
	return 2 + 3
}

// Status is the HTTP status a request the rule blocks is answered with: 429 over the rate
// limit, 413 over a body limit, AWS WAF's default 403 for a managed rule group's blocks.
func (r WAFRule) Status() int {
	switch {
	case r.Managed != nil:
		return http.StatusForbidden
	case r.RateLimit > 0:
		return http.StatusTooManyRequests
	}
	return http.StatusRequestEntityTooLarge
}

// WAFRules are the web ACL's rules in priority order. The body limits are judged by the
// declared Content-Length, the only size WAF sees whole: it inspects at most the first 16 KB
// of a body (awsrules.WAFBodyInspectionBytes) and every real batch is larger, so a size
// constraint on the body itself could only block all batches or none. A body sent without a
// Content-Length passes here and is refused by the route's request template.
func WAFRules(rateLimit int, managed []string, datasets []string) []WAFRule {
	events, batch := WAFRouteSuffixes(datasets)
	rules := []WAFRule{
		{Name: "rate-limit-per-ip", RateLimit: rateLimit},
		{Name: "event-too-large", PathSuffix: events, MaxBytes: apispec.MaxEventBytes},
		{Name: "batch-too-large", PathSuffix: batch, MaxBytes: apispec.MaxBatchBytes},
	}
	for _, n := range managed {
		g, _ := awsrules.ManagedRuleGroupNamed(n) // validated
		rules = append(rules, WAFRule{Name: n, Managed: &g})
	}
	return rules
}

// WAFRouteSuffixes are the path endings the body-limit rules match: the default dataset's
// routes when it is the only dataset (as before there were datasets), else the endings every
// dataset's routes share (apispec.EventsSuffix, BatchSuffix), so that two rules cover every
// dataset (a rule per dataset would cost WCU per dataset, and the limits are the same).
func WAFRouteSuffixes(datasets []string) (events, batch string) {
	if len(datasets) == 0 || (len(datasets) == 1 && datasets[0] == schema.DefaultDataset) {
		return apispec.EventsPath, apispec.BatchPath
	}
	return apispec.EventsSuffix, apispec.BatchSuffix
}

// WAFCapacity is the rules' total WCU.
func WAFCapacity(rules []WAFRule) int {
	n := 0
	for _, r := range rules {
		n += r.WCU()
	}
	return n
}

// Custom response bodies of the web ACL's own blocks.
const (
	bodyRateLimited = "rate-limited"
	bodyTooLarge    = "too-large"
)

func wafResponseBodies(datasets []string) wafv2.WebAclCustomResponseBodyArray {
	events, batch := WAFRouteSuffixes(datasets)
	if events != apispec.EventsPath {
		events, batch = "..."+events, "..."+batch
	}
	msg := func(m string) string {
		b, _ := json.Marshal(map[string]string{"message": m}) // a map of strings
		return string(b)
	}
	return wafv2.WebAclCustomResponseBodyArray{
		wafv2.WebAclCustomResponseBodyArgs{Key: pulumi.String(bodyRateLimited), ContentType: pulumi.String("APPLICATION_JSON"),
			Content: pulumi.String(msg("too many requests from this address (API firewall): retry with exponential backoff"))},
		wafv2.WebAclCustomResponseBodyArgs{Key: pulumi.String(bodyTooLarge), ContentType: pulumi.String("APPLICATION_JSON"),
			Content: pulumi.String(msg(fmt.Sprintf("request too large (API firewall): POST %s takes at most %d bytes, POST %s at most %d bytes and %d events",
				events, apispec.MaxEventBytes, batch, apispec.MaxBatchBytes, apispec.MaxBatchRecords)))},
	}
}

// newWebACL creates the regional web ACL with the rules of WAFRules; requests no rule blocks
// are allowed.
func newWebACL(ctx *pulumi.Context, name string, args *WAFArgs, parent pulumi.ResourceOption) (*wafv2.WebAcl, error) {
	rules := wafv2.WebAclRuleArray{}
	for i, r := range WAFRules(args.RateLimitPer5Min, args.ManagedRuleGroups, args.Datasets) {
		rules = append(rules, r.args(i))
	}
	return wafv2.NewWebAcl(ctx, name+"-acl", &wafv2.WebAclArgs{
		Name:                 pulumi.String(args.Name),
		Description:          pulumi.Sprintf("streamlake %s ingest API: rate limit, body limits, AWS managed rules", ctx.Stack()),
		Scope:                pulumi.String("REGIONAL"),
		DefaultAction:        wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		CustomResponseBodies: wafResponseBodies(args.Datasets),
		Rules:                rules,
		VisibilityConfig: wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(args.Name), SampledRequestsEnabled: pulumi.Bool(true),
		},
	}, parent)
}

// args renders the rule at a priority.
func (r WAFRule) args(priority int) wafv2.WebAclRuleArgs {
	out := wafv2.WebAclRuleArgs{
		Name:     pulumi.String(r.Name),
		Priority: pulumi.Int(priority),
		VisibilityConfig: wafv2.WebAclRuleVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(r.Name), SampledRequestsEnabled: pulumi.Bool(true),
		},
	}
	block := func(status int, body string) wafv2.WebAclRuleActionPtrInput {
		return &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{CustomResponse: &wafv2.WebAclRuleActionBlockCustomResponseArgs{
			ResponseCode: pulumi.Int(status), CustomResponseBodyKey: pulumi.String(body)}}}
	}
	switch {
	case r.Managed != nil:
		out.OverrideAction = &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}}
		out.Statement = managedStatement(*r.Managed)
	case r.RateLimit > 0:
		out.Action = block(r.Status(), bodyRateLimited)
		out.Statement = wafv2.WebAclRuleStatementArgs{RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
			Limit: pulumi.Int(r.RateLimit), AggregateKeyType: pulumi.String("IP"), EvaluationWindowSec: pulumi.Int(awsrules.WAFRateWindowSeconds),
		}}
	default:
		out.Action = block(r.Status(), bodyTooLarge)
		out.Statement = tooLargeStatement(r.PathSuffix, r.MaxBytes)
	}
	return out
}

// tooLargeStatement matches a request to the route ending in suffix whose Content-Length is
// over max.
func tooLargeStatement(suffix string, maxBytes int) wafv2.WebAclRuleStatementArgs {
	none := wafv2.WebAclRuleStatementByteMatchStatementTextTransformationArray{
		wafv2.WebAclRuleStatementByteMatchStatementTextTransformationArgs{Priority: pulumi.Int(0), Type: pulumi.String("NONE")}}
	return wafv2.WebAclRuleStatementArgs{AndStatement: &wafv2.WebAclRuleStatementAndStatementArgs{Statements: wafv2.WebAclRuleStatementArray{
		wafv2.WebAclRuleStatementArgs{ByteMatchStatement: &wafv2.WebAclRuleStatementByteMatchStatementArgs{
			FieldToMatch:         &wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchArgs{UriPath: &wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchUriPathArgs{}},
			PositionalConstraint: pulumi.String("ENDS_WITH"),
			SearchString:         pulumi.String(suffix),
			TextTransformations:  none,
		}},
		wafv2.WebAclRuleStatementArgs{RegexMatchStatement: &wafv2.WebAclRuleStatementRegexMatchStatementArgs{
			FieldToMatch: &wafv2.WebAclRuleStatementRegexMatchStatementFieldToMatchArgs{
				SingleHeader: &wafv2.WebAclRuleStatementRegexMatchStatementFieldToMatchSingleHeaderArgs{Name: pulumi.String("content-length")}},
			RegexString: pulumi.String(awsrules.DecimalAbove(maxBytes)),
			TextTransformations: wafv2.WebAclRuleStatementRegexMatchStatementTextTransformationArray{
				wafv2.WebAclRuleStatementRegexMatchStatementTextTransformationArgs{Priority: pulumi.Int(0), Type: pulumi.String("NONE")}},
		}},
	}}}
}

// managedStatement runs an AWS managed rule group, its CountOnly rules overridden to Count.
func managedStatement(g awsrules.ManagedRuleGroup) wafv2.WebAclRuleStatementArgs {
	overrides := wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArray{}
	for _, rule := range g.CountOnly {
		overrides = append(overrides, wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs{
			Name: pulumi.String(rule),
			ActionToUse: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs{
				Count: &wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs{}},
		})
	}
	return wafv2.WebAclRuleStatementArgs{ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
		Name: pulumi.String(g.Name), VendorName: pulumi.String("AWS"), RuleActionOverrides: overrides,
	}}
}

// newWAFLogging sends the web ACL's blocked and counted requests (what tuning the rules
// needs; logging every allowed request would cost more than the firewall) to an encrypted log
// group with the stack's retention, with the credentials a request carries redacted. AWS WAF
// adds the log group's resource policy for its log delivery itself; CloudWatch Logs encrypts
// with the stack key under the key policy's existing CloudWatch Logs grant.
func newWAFLogging(ctx *pulumi.Context, name string, args *WAFArgs, acl *wafv2.WebAcl, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	lg, err := newLogGroup(ctx, name+"-logs", args.Env, pulumi.String(args.LogGroupName), parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	redact := wafv2.WebAclLoggingConfigurationRedactedFieldArray{}
	for _, h := range []string{strings.ToLower(apispec.AuthorizationHeader), apispec.APIKeyHeader, "x-amz-security-token"} {
		redact = append(redact, wafv2.WebAclLoggingConfigurationRedactedFieldArgs{
			SingleHeader: &wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs{Name: pulumi.String(h)}})
	}
	action := func(a string) wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs {
		return wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs{
			ActionCondition: &wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs{Action: pulumi.String(a)}}
	}
	if _, err := wafv2.NewWebAclLoggingConfiguration(ctx, name+"-logging", &wafv2.WebAclLoggingConfigurationArgs{
		ResourceArn:           acl.Arn,
		LogDestinationConfigs: pulumi.StringArray{lg.Arn},
		RedactedFields:        redact,
		LoggingFilter: &wafv2.WebAclLoggingConfigurationLoggingFilterArgs{
			DefaultBehavior: pulumi.String("DROP"),
			Filters: wafv2.WebAclLoggingConfigurationLoggingFilterFilterArray{wafv2.WebAclLoggingConfigurationLoggingFilterFilterArgs{
				Behavior: pulumi.String("KEEP"), Requirement: pulumi.String("MEETS_ANY"),
				Conditions: wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArray{action("BLOCK"), action("COUNT")},
			}},
		},
	}, pulumi.Parent(acl)); err != nil {
		return pulumi.StringOutput{}, err
	}
	return lg.Name, nil
}
