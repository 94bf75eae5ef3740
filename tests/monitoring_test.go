package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// stackNames maps each alarm dimension to the name of the resource of this stack it must name.
func stackNames(t *testing.T, res *stacktest.Result) map[string]string {
	names := map[string]string{
		"ApiName":            one(t, res, tRestAPI).State["name"].(string),
		"Stage":              one(t, res, tStage).Str("stageName"),
		"StreamName":         one(t, res, tStream).Str("name"),
		"DeliveryStreamName": one(t, res, tFirehose).State["name"].(string),
		"FunctionName":       one(t, res, tFunction).State["name"].(string),
	}
	if acls := res.OfType(tWebACL); len(acls) > 0 {
		// The web ACL's name is also its metric name; Rule ALL is the web ACL's total.
		names["WebACL"], names["Region"], names["Rule"] = one(t, res, tWebACL).Str("name"), res.Exports["region"].(string), "ALL"
	}
	return names
}

func TestEveryStageHasAlarmsThatCanFire(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		names := stackNames(t, res)
		topic := one(t, res, tTopic)
		perNamespace := map[string]int{}
		for _, a := range res.OfType(tAlarm) {
			ns, metric := a.Str("namespace"), a.Str("metricName")
			dims := a.StrMap("dimensions")
			var keys []string
			for k, v := range dims {
				keys = append(keys, k)
				if v != names[k] {
					t.Errorf("%s: alarm %s dimension %s=%q does not name this stack's resource %q", stack, a.Name, k, v, names[k])
				}
			}
			if err := awsrules.CheckMetric(ns, metric, keys); err != nil {
				t.Errorf("%s: alarm %s: %v", stack, a.Name, err)
			}
			for _, actions := range []string{"alarmActions", "okActions"} {
				l := a.List(actions)
				if len(l) != 1 || l[0] != topic.State["arn"] {
					t.Errorf("%s: alarm %s %s = %v", stack, a.Name, actions, l)
				}
			}
			if len(a.Str("alarmDescription")) < 60 || a.Str("treatMissingData") == "" {
				t.Errorf("%s: alarm %s needs a description for on-call and a missing-data policy", stack, a.Name)
			}
			perNamespace[ns]++
		}
		for _, ns := range []string{"AWS/ApiGateway", "AWS/Kinesis", "AWS/Firehose", "AWS/Lambda"} {
			if perNamespace[ns] < 3 {
				t.Errorf("%s: %d alarms in %s", stack, perNamespace[ns], ns)
			}
		}
	}
}

func alarm(t *testing.T, res *stacktest.Result, id string) *stacktest.Resource {
	t.Helper()
	return find(t, res, tAlarm, "monitoring-"+id)
}

func TestThresholdsFollowResourcesAndConfig(t *testing.T) {
	dev, prod := run(t, "dev", nil), run(t, "prod", nil)
	// Iterator age: a quarter of retention, at most an hour - long before records expire.
	if got := alarm(t, dev, "stream-iterator-age").Num("threshold"); got != 60*60_000 {
		t.Errorf("dev iterator age threshold %v", got)
	}
	if got := alarm(t, run(t, "dev", map[string]string{"alarmIteratorAgeMinutes": "10"}), "stream-iterator-age").Num("threshold"); got != 10*60_000 {
		t.Errorf("override %v", got)
	}
	// Freshness: both buffers plus ten minutes.
	if got := alarm(t, dev, "delivery-freshness").Num("threshold"); got != 60+60+600 {
		t.Errorf("dev freshness %v", got)
	}
	if got := alarm(t, prod, "delivery-freshness").Num("threshold"); got != 300+60+600 {
		t.Errorf("prod freshness %v", got)
	}
	// Duration: a share of the function's timeout.
	fnTimeout := one(t, prod, tFunction).Num("timeout")
	if got := alarm(t, prod, "transform-duration-p99"); got.Num("threshold") != fnTimeout*1000*0.8 || got.Str("extendedStatistic") != "p99" {
		t.Errorf("duration alarm %v", got.Inputs)
	}
	// The silent-pipeline alarm is on in prod only, and no data counts as silence.
	if dev.Find(tAlarm, "monitoring-stream-silent") != nil {
		t.Error("dev has no silent alarm")
	}
	s := alarm(t, prod, "stream-silent")
	if s.Str("treatMissingData") != "breaching" || s.Num("evaluationPeriods")*s.Num("period") != 30*60 {
		t.Errorf("silent alarm %v", s.Inputs)
	}
	if alarm(t, prod, "stream-iterator-age").Str("treatMissingData") != "breaching" {
		t.Error("a consumer that stops reading emits no iterator age: missing data must breach")
	}
	if got := alarm(t, run(t, "prod", map[string]string{"alarmApiLatencyP99Ms": "750"}), "api-latency-p99").Num("threshold"); got != 750 {
		t.Errorf("latency override %v", got)
	}
}

func TestNotificationsAndCrawlerFailures(t *testing.T) {
	res := run(t, "prod", nil)
	topic := one(t, res, tTopic)
	key := one(t, res, tKey)
	if topic.Str("kmsMasterKeyId") != key.State["arn"] {
		t.Errorf("topic key %q: must be the stack's customer managed key", topic.Str("kmsMasterKeyId"))
	}
	subs := res.OfType("aws:sns/topicSubscription:TopicSubscription")
	if len(subs) != 1 || subs[0].Str("endpoint") != "oncall-data@example.com" || subs[0].Str("protocol") != "email" {
		t.Errorf("subscriptions %v", subs)
	}
	rule := one(t, res, tEventRule)
	var pattern map[string]any
	if err := json.Unmarshal([]byte(rule.Str("eventPattern")), &pattern); err != nil {
		t.Fatal(err)
	}
	crawler := one(t, res, tCrawler).Str("name")
	if stacktest.Path(pattern, "detail.state[0]") != "Failed" || stacktest.Path(pattern, "detail.crawlerName[0]") != crawler {
		t.Errorf("crawler rule pattern %v", pattern)
	}
	target := one(t, res, "aws:cloudwatch/eventTarget:EventTarget")
	if target.Str("arn") != topic.State["arn"] {
		t.Errorf("rule target %v", target.Inputs)
	}
	doc, err := iampolicy.Parse(one(t, res, "aws:sns/topicPolicy:TopicPolicy").Str("policy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		if len(st.Condition) == 0 {
			t.Errorf("topic policy statement %s has no source condition", st.Sid)
		}
	}
	keyDoc, _ := iampolicy.Parse(key.Str("policy"))
	if !strings.Contains(key.Str("policy"), "cloudwatch.amazonaws.com") || len(keyDoc.Statement) < 3 {
		t.Error("the key policy must let CloudWatch alarms publish to the encrypted topic")
	}
}

func TestDashboardChartsThisStack(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		d := one(t, res, tDashboard)
		if d.Str("dashboardName") != "streamlake-"+stack {
			t.Errorf("%s: dashboard name %q", stack, d.Str("dashboardName"))
		}
		body := parseJSON(t, d.Str("dashboardBody"))
		names := stackNames(t, res)
		names["WorkGroup"] = one(t, res, tWorkgroup).Str("name")
		rows, metrics := 0, 0
		for _, w := range body["widgets"].([]any) {
			w := w.(map[string]any)
			props := w["properties"].(map[string]any)
			switch w["type"] {
			case "text":
				rows++
			case "alarm":
				if len(props["alarms"].([]any)) != len(res.OfType(tAlarm)) {
					t.Errorf("%s: alarm widget lists %d alarms", stack, len(props["alarms"].([]any)))
				}
			case "metric":
				for _, m := range props["metrics"].([]any) {
					line := m.([]any)
					var dims []string
					for i := 2; i+1 < len(line); i += 2 {
						k, v := line[i].(string), line[i+1].(string)
						dims = append(dims, k)
						if want, ok := names[k]; ok && v != want {
							t.Errorf("%s: dashboard %s=%q is not this stack's %q", stack, k, v, names[k])
						}
					}
					if err := awsrules.CheckMetric(line[0].(string), line[1].(string), dims); err != nil {
						t.Errorf("%s: dashboard: %v", stack, err)
					}
					metrics++
				}
			}
		}
		if rows != 4 || metrics < 15 {
			t.Errorf("%s: %d rows, %d metrics", stack, rows, metrics)
		}
	}
}

func TestEveryLogGroupHasRetention(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		if len(res.OfType(tLogGroup)) < 4 {
			t.Errorf("%s: expected API access, API execution, Firehose and Lambda log groups", stack)
		}
		for _, lg := range res.OfType(tLogGroup) {
			if lg.Num("retentionInDays") == 0 {
				t.Errorf("%s: log group %s keeps logs forever", stack, lg.Name)
			}
		}
	}
}
