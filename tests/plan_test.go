package tests

import (
	"testing"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/lakelayout"
	slstacks "github.com/streamlake/streamlake/stacks"
)

// TestPlanAlarmCount: costplan.AlarmCount is how many alarms the program creates, for each
// stack file and each setting that adds or removes one.
func TestPlanAlarmCount(t *testing.T) {
	for _, stack := range stacks {
		for _, set := range []map[string]string{
			nil, {"alarmSilentMinutes": "0"}, {"alarmSilentMinutes": "15"},
			{"partitioning": lakelayout.ArrivalTime}, {"rawBackup": "false"}, {"waf": "false", "protectData": "false"},
		} {
			cfg := loadConfig(t, stack, set, nil)
			res := run(t, stack, set)
			n := 0
			for _, r := range res.Resources {
				if r.Type == tAlarm {
					n++
				}
			}
			if got := costplan.AlarmCount(costplan.FromConfig(cfg)); got != n {
				t.Errorf("%s %v: AlarmCount %d, the program creates %d alarms", stack, set, got, n)
			}
			checkWAFRules(t, res, cfg)
		}
	}
}

// checkWAFRules: the plan prices as many WAF rules as the web ACL has.
func checkWAFRules(t *testing.T, res *stacktest.Result, cfg *slstacks.Config) {
	t.Helper()
	var acls []*stacktest.Resource
	for _, r := range res.Resources {
		if r.Type == "aws:wafv2/webAcl:WebAcl" {
			acls = append(acls, r)
		}
	}
	if !cfg.WAF {
		if len(acls) != 0 {
			t.Errorf("%s: waf false, %d web ACLs", cfg.Stack, len(acls))
		}
		return
	}
	if len(acls) != 1 {
		t.Fatalf("%s: %d web ACLs", cfg.Stack, len(acls))
	}
	rules, _ := acls[0].Inputs["rules"].([]any)
	if want := costplan.WAFCustomRules + len(cfg.WAFManagedRules); len(rules) != want {
		t.Errorf("%s: the web ACL has %d rules, the plan prices %d", cfg.Stack, len(rules), want)
	}
}
