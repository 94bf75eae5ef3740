package awsrules

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestDecimalAbove(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	limits := []int{0, 1, 9, 10, 99, 100, 1048576, 5242880, 9999999, 1000000}
	for range 50 {
		limits = append(limits, rnd.IntN(1<<30))
	}
	for _, n := range limits {
		expr := DecimalAbove(n)
		if len(expr) > 512 {
			t.Errorf("DecimalAbove(%d) is %d characters, AWS WAF allows 512", n, len(expr))
		}
		re := regexp.MustCompile(expr)
		values := []int{0, 1, n - 1, n, n + 1, n + 9, n * 10, n / 10}
		for range 200 {
			values = append(values, rnd.IntN(3*n+20))
		}
		for _, v := range values {
			if v < 0 {
				continue
			}
			for _, text := range []string{strconv.Itoa(v), "00" + strconv.Itoa(v)} {
				if got := re.MatchString(text); got != (v > n) {
					t.Errorf("DecimalAbove(%d) = %s matches %q: %t", n, expr, text, got)
				}
			}
		}
		for _, bad := range []string{"", "-5", "1e9", "12 ", " 12", "0x10", strings.Repeat("9", 3) + "a"} {
			if re.MatchString(bad) {
				t.Errorf("DecimalAbove(%d) matches non-number %q", n, bad)
			}
		}
	}
}

func TestCheckUserPoolArn(t *testing.T) {
	good := []string{
		"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123xyz",
		"arn:aws-us-gov:cognito-idp:us-gov-west-1:123456789012:userpool/us-gov-west-1_abc",
	}
	for _, a := range good {
		if err := CheckUserPoolArn(a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	bad := []string{
		"", "eu-west-1_AbC123xyz", "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/us-east-1_AbC",
		"arn:aws:cognito-idp:eu-west-1:12345:userpool/eu-west-1_AbC", "arn:aws:cognito-identity:eu-west-1:123456789012:identitypool/eu-west-1:x",
		"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_", "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_a b",
	}
	for _, a := range bad {
		if err := CheckUserPoolArn(a); err == nil {
			t.Errorf("%q accepted", a)
		}
	}
	iss, err := UserPoolIssuer(good[0])
	if err != nil || iss != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz" {
		t.Errorf("issuer %q, %v", iss, err)
	}
}

func TestWAFSettings(t *testing.T) {
	for _, ok := range []int{10, 2000, 2_000_000_000} {
		if err := CheckWAFRateLimit(ok); err != nil {
			t.Errorf("%d: %v", ok, err)
		}
	}
	for _, bad := range []int{0, 9, 2_000_000_001} {
		if err := CheckWAFRateLimit(bad); err == nil || !strings.Contains(err.Error(), "wafRateLimitPer5Min") {
			t.Errorf("%d: %v", bad, err)
		}
	}
	if err := CheckManagedRuleGroups(DefaultManagedRuleGroups); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"AWSManagedRulesBotControlRuleSet"}, {"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAmazonIpReputationList"}} {
		if err := CheckManagedRuleGroups(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	total := 0
	for _, g := range ManagedRuleGroups {
		total += g.WCU
	}
	if total+50 > WAFBasicCapacity {
		t.Errorf("every managed group together needs %d WCU (+ ~50 for our rules), over the %d the basic price covers", total, WAFBasicCapacity)
	}
	if err := CheckOAuthScopes([]string{"events/write", "openid"}); err != nil {
		t.Error(err)
	}
	if err := CheckOAuthScopes([]string{"has space"}); err == nil {
		t.Error("a scope with a space accepted")
	}
}
