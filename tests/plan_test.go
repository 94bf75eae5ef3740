package tests

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/stackconfig"
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

// TestPlanOfTwoDatasets: with the example dataset beside the default (its own settings, the
// partitioning and raw backup that add alarms changed), the program creates each dataset's
// alarms as the plan counts them for the dataset's configuration, the shared alarms, web ACL,
// key and dashboard once, and as many provisioned shards as the plan prices.
func TestPlanOfTwoDatasets(t *testing.T) {
	root, ds := exampleDatasets(t)
	datasets := `{"quiz_answers": {"unknownFields": "reject", "shardCount": 2, "partitioning": "arrival-time", "rawBackup": false, "alarmSilentMinutes": 30}}`
	for _, stack := range stacks {
		config := map[string]string{"datasets": datasets}
		cfg, err := stackconfig.FromFilesWith(root, stack, config, ds)
		if err != nil {
			t.Fatal(err)
		}
		res, err := stacktest.Run(stacktest.Options{Stack: stack, Config: config, Datasets: ds})
		if err != nil {
			t.Fatal(err)
		}
		plans := costplan.FromDatasets(cfg)
		if len(plans) != 2 {
			t.Fatalf("%s: %d datasets", stack, len(plans))
		}
		quizAlarms, alarms := 0, len(res.OfType(tAlarm))
		for _, a := range res.OfType(tAlarm) {
			if strings.HasPrefix(a.Name, "monitoring-"+quiz+"-") {
				quizAlarms++
			}
		}
		ev, q := plans[0], plans[1]
		if quizAlarms != costplan.DatasetAlarmCount(q) || alarms != costplan.DatasetAlarmCount(ev)+costplan.DatasetAlarmCount(q)+costplan.SharedAlarmCount(ev) {
			t.Errorf("%s: %d alarms, %d of them quiz_answers'; the plan counts %d + %d of the datasets and %d shared", stack, alarms, quizAlarms,
				costplan.DatasetAlarmCount(ev), costplan.DatasetAlarmCount(q), costplan.SharedAlarmCount(ev))
		}
		if n := len(res.OfType("aws:wafv2/webAcl:WebAcl")); (n == 1) != ev.WAF || n > 1 {
			t.Errorf("%s: %d web ACLs", stack, n)
		}
		for _, typ := range []string{"aws:kms/key:Key", "aws:cloudwatch/dashboard:Dashboard"} {
			if n := len(res.OfType(typ)); n != 1 {
				t.Errorf("%s: %d of %s, the plan prices one", stack, n, typ)
			}
		}
		shards := 0
		for _, s := range res.OfType(tStream) {
			shards += int(s.Num("shardCount"))
		}
		if want := ev.ShardCount + q.ShardCount; shards != want || q.ShardCount != 2 {
			t.Errorf("%s: the streams have %d shards, the plan prices %d + %d", stack, shards, ev.ShardCount, q.ShardCount)
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
