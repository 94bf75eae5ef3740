package awsrules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// AWS WAF limits the ingest API's web ACL is checked against.
const (
	// MinWAFRateLimit and MaxWAFRateLimit bound a rate-based rule's limit (requests per
	// evaluation window per aggregation key): AWS WAF API reference, RateBasedStatement.Limit.
	MinWAFRateLimit = 10
	MaxWAFRateLimit = 2_000_000_000
	// WAFRateWindowSeconds is the evaluation window the rate rule uses (AWS's default).
	WAFRateWindowSeconds = 300
	// WAFBodyInspectionBytes is how much of a body AWS WAF sees for an API Gateway stage by
	// default (16 KB; raising it costs extra): WAF cannot judge a body by its size above it.
	WAFBodyInspectionBytes = 16 * 1024
	// WAFBasicCapacity is the web ACL capacity (WCU) the basic request price covers.
	WAFBasicCapacity = 1500
	// WAFLogGroupPrefix starts the name of every log destination of AWS WAF.
	WAFLogGroupPrefix = "aws-waf-logs-"
)

// CheckWAFRateLimit checks a rate-based rule's limit.
func CheckWAFRateLimit(limit int) error {
	if limit < MinWAFRateLimit || limit > MaxWAFRateLimit {
		return fmt.Errorf("wafRateLimitPer5Min must be between %d and %d (AWS WAF's range for a rate-based rule), got %d", MinWAFRateLimit, MaxWAFRateLimit, limit)
	}
	return nil
}

// ManagedRuleGroup is an AWS managed rule group the ingest API may use.
type ManagedRuleGroup struct {
	Name string
	// WCU is the group's web ACL capacity (AWS WAF developer guide, AWS Managed Rules).
	WCU int
	// CountOnly are rules of the group overridden to Count: they would block requests the
	// API accepts.
	CountOnly []string
	// Why says what the group protects the API from, or why a rule is overridden.
	Why string
}

// ManagedRuleGroups are the AWS managed rule groups wafManagedRules may name. Baseline and
// IP-reputation groups cost no more than any rule (a rule's monthly fee and the per-request
// fee); paid groups (Bot Control, Fraud Control) are left out on purpose.
var ManagedRuleGroups = []ManagedRuleGroup{
	{Name: "AWSManagedRulesKnownBadInputsRuleSet", WCU: 200,
		Why: "request patterns known to exploit vulnerabilities (Log4j, Java deserialization, localhost Host headers)"},
	{Name: "AWSManagedRulesAmazonIpReputationList", WCU: 25,
		Why: "addresses Amazon threat intelligence lists as bots, reconnaissance or DDoS sources"},
	{Name: "AWSManagedRulesAnonymousIpList", WCU: 50,
		Why: "VPNs, proxies, Tor and hosting providers: only for a producer population that never uses them"},
	{Name: "AWSManagedRulesCommonRuleSet", WCU: 700, CountOnly: []string{"SizeRestrictions_BODY"},
		Why: "OWASP-style web rules; SizeRestrictions_BODY blocks bodies over 8 KB, which every real batch is, so it only counts"},
}

// DefaultManagedRuleGroups suit an API that stores JSON events: known exploit inputs and bad
// reputation addresses. The common rule set targets web applications (XSS, LFI in bodies
// rendered as HTML) at 700 WCU; events are data, validated against a model, never rendered.
var DefaultManagedRuleGroups = []string{"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}

// ManagedRuleGroupNamed returns a catalog entry by name.
func ManagedRuleGroupNamed(name string) (ManagedRuleGroup, bool) {
	i := slices.IndexFunc(ManagedRuleGroups, func(g ManagedRuleGroup) bool { return g.Name == name })
	if i < 0 {
		return ManagedRuleGroup{}, false
	}
	return ManagedRuleGroups[i], true
}

// ManagedRuleGroupNames are the catalog's names.
func ManagedRuleGroupNames() []string {
	out := make([]string, len(ManagedRuleGroups))
	for i, g := range ManagedRuleGroups {
		out[i] = g.Name
	}
	return out
}

// CheckManagedRuleGroups checks wafManagedRules: catalog names, each once.
func CheckManagedRuleGroups(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if _, ok := ManagedRuleGroupNamed(n); !ok {
			return fmt.Errorf("wafManagedRules: %q is not one of %s", n, strings.Join(ManagedRuleGroupNames(), ", "))
		}
		if seen[n] {
			return fmt.Errorf("wafManagedRules: %q is listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// DecimalAbove returns a regular expression (RE2 and PCRE alike) that matches a decimal
// integer, leading zeros allowed, exactly when it is greater than n (n >= 0): AWS WAF compares
// no numbers, so a Content-Length over a limit is matched by its digits.
func DecimalAbove(n int) string {
	s := strconv.Itoa(max(n, 0))
	alts := []string{fmt.Sprintf("[1-9][0-9]{%d,}", len(s))} // more digits
	for i := range len(s) {
		if s[i] == '9' {
			continue // no digit above 9 at this position
		}
		alt := s[:i] + fmt.Sprintf("[%c-9]", s[i]+1) // same prefix, a greater digit here
		if rest := len(s) - i - 1; rest > 0 {
			alt += fmt.Sprintf("[0-9]{%d}", rest)
		}
		alts = append(alts, alt)
	}
	return "^0*(" + strings.Join(alts, "|") + ")$"
}

var userPoolArnRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):cognito-idp:([a-z]{2}(-gov)?-[a-z]+-[0-9]):([0-9]{12}):userpool/([a-z]{2}(-gov)?-[a-z]+-[0-9])_([0-9A-Za-z]+)$`)

// CheckUserPoolArn checks an Amazon Cognito user pool ARN:
// arn:<partition>:cognito-idp:<region>:<account>:userpool/<region>_<id>, the pool id's region
// being the ARN's.
func CheckUserPoolArn(arn string) error {
	m := userPoolArnRE.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return fmt.Errorf("%q is not a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>)", arn)
	case m[2] != m[5]:
		return fmt.Errorf("%q: the pool id's region %s is not the ARN's region %s", arn, m[5], m[2])
	}
	return nil
}

// UserPoolIssuer is the iss claim of a user pool's tokens.
func UserPoolIssuer(arn string) (string, error) {
	if err := CheckUserPoolArn(arn); err != nil {
		return "", err
	}
	m := userPoolArnRE.FindStringSubmatch(arn)
	return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s_%s", m[2], m[5], m[7]), nil
}

var scopeRE = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,256}$`)

// CheckOAuthScopes checks OAuth 2.0 scope names (RFC 6749: printable ASCII without space,
// quote or backslash), as a user pool's resource servers define them ("events/write").
func CheckOAuthScopes(scopes []string) error {
	for _, s := range scopes {
		if !scopeRE.MatchString(s) {
			return fmt.Errorf("apiJwtScopes: %q is not an OAuth scope (1..256 printable characters, no space, quote or backslash)", s)
		}
	}
	return nil
}
