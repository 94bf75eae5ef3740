package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// taggableTypes are the types classified taggable.
func taggableTypes() []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(Taggable)) {
		if Taggable[t] {
			out = append(out, t)
		}
	}
	return out
}

func checkTags(s *Stack, r *stacktest.Resource) []Violation {
	want := map[string]string{"project": s.Project, "stack": s.Stack, "managed-by": "pulumi"}
	for k, v := range s.ConfiguredTags() {
		want[k] = v
	}
	got := r.StrMap("tags")
	var out []Violation
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			out = append(out, violation(r, "tags."+k, fmt.Sprintf("tag %s=%q, want %q (owner and cost of a resource are unknown without it)", k, got[k], want[k]),
				"stacks/tags.go registers the stack tags on every resource whose Args have a Tags map: do not set computed Tags (the transformation leaves them alone), and keep streamlake:tags in Pulumi.<stack>.yaml"))
		}
	}
	return out
}

func checkTypesClassified(s *Stack, _ *stacktest.Resource) []Violation {
	var out []Violation
	seen := map[string]bool{}
	for _, r := range s.Resources {
		if !r.Custom || seen[r.Type] {
			continue
		}
		taggable, known := Taggable[r.Type]
		switch {
		case !known:
			seen[r.Type] = true
			out = append(out, violation(r, "type", "resource type "+r.Type+" is not classified taggable or not: the tag rule cannot tell whether it must carry the stack tags",
				"add "+r.Type+" to Taggable in internal/policy/tables.go (true if its pulumi-aws Args have Tags)"))
		case !taggable && r.In("tags") != nil:
			seen[r.Type] = true
			out = append(out, violation(r, "tags", r.Type+" is classified not taggable but carries tags", "set Taggable["+r.Type+"] = true in internal/policy/tables.go"))
		}
	}
	return out
}

func checkLogRetention(_ *Stack, g *stacktest.Resource) []Violation {
	days, ok := num(g.Inputs, "retentionInDays")
	if !ok || days == 0 {
		return []Violation{violation(g, "retentionInDays", "log group never expires: logs (and their cost) grow forever",
			"create log groups with newLogGroup (components/common.go): RetentionInDays from logRetentionDays")}
	}
	if err := awsrules.CheckLogRetention(int(days)); err != nil {
		return []Violation{violation(g, "retentionInDays", err.Error(), "logRetentionDays in Pulumi.<stack>.yaml")}
	}
	return nil
}

// roleName is the name part of a role ARN.
func roleName(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}

// checkLogGroupsDeclared: every log group a service writes to is declared by the program, so
// it gets the retention and key rules above; AWS creates the others on first write, with no
// retention and no encryption.
func checkLogGroupsDeclared(s *Stack, r *stacktest.Resource) []Violation {
	declared := func(name, prop, what, fix string) []Violation {
		if s.LogGroupNamed(name) != nil {
			return nil
		}
		return []Violation{violation(r, prop, fmt.Sprintf("%s writes to log group %q, which the program does not declare: AWS creates it on first write with no retention and no KMS key", what, name), fix)}
	}
	switch r.Type {
	case TypeFunction:
		name := r.Str("loggingConfig.logGroup")
		if name == "" {
			name = "/aws/lambda/" + state(r, "name")
		}
		return declared(name, "loggingConfig.logGroup", "the function", "components/transformfunction.go: LoggingConfig.LogGroup a log group from newLogGroup")
	case TypeStage:
		ms := s.methodSettingsFor(r)
		if ms == nil || ms.Str("settings.loggingLevel") == "" || ms.Str("settings.loggingLevel") == "OFF" {
			return nil
		}
		name := fmt.Sprintf("API-Gateway-Execution-Logs_%s/%s", r.Str("restApi"), r.Str("stageName"))
		return declared(name, "executionLogs", "API Gateway execution logging", "components/ingestapi.go: newLogGroup named API-Gateway-Execution-Logs_<api id>/<stage> before the stage")
	case TypeFirehose:
		var out []Violation
		for _, p := range []string{"extendedS3Configuration", "extendedS3Configuration.s3BackupConfiguration"} {
			if r.In(p) == nil || p != "extendedS3Configuration" && r.Str("extendedS3Configuration.s3BackupMode") != "Enabled" {
				continue
			}
			fix := "components/delivery.go: CloudwatchLoggingOptions {Enabled, LogGroupName: the delivery log group, LogStreamName: a declared log stream}"
			if !r.Bool(p + ".cloudwatchLoggingOptions.enabled") {
				out = append(out, violation(r, p+".cloudwatchLoggingOptions", "delivery errors are not logged: failed S3 writes or conversions leave no trace", fix))
				continue
			}
			group, stream := r.Str(p+".cloudwatchLoggingOptions.logGroupName"), r.Str(p+".cloudwatchLoggingOptions.logStreamName")
			if v := declared(group, p+".cloudwatchLoggingOptions.logGroupName", "Firehose", fix); v != nil {
				out = append(out, v...)
				continue
			}
			if s.first(TypeLogStream, func(ls *stacktest.Resource) bool { return ls.Str("logGroupName") == group && ls.Str("name") == stream }) == nil {
				out = append(out, violation(r, p+".cloudwatchLoggingOptions.logStreamName", "Firehose logs to stream "+stream+", which the program does not create (Firehose does not create it): errors are dropped", fix))
			}
		}
		return out
	case TypeCrawler:
		name := "/aws-glue/crawlers"
		if sc := r.Str("securityConfiguration"); sc != "" {
			name = "/aws-glue/crawlers-role/" + roleName(r.Str("role")) + "-" + sc
		}
		return declared(name, "securityConfiguration", "the crawler",
			"components/catalog.go: give the crawler a glue.SecurityConfiguration (CloudWatch encryption SSE-KMS with the stack key) so it logs to its own group, and declare that group with newLogGroup (see tests/policy/README.md, Known defects)")
	}
	return nil
}

func (s *Stack) protectData() bool { return s.ProjectKey("protectData") == "true" }

func checkProtectData(s *Stack, r *stacktest.Resource) []Violation {
	if !s.protectData() {
		return nil
	}
	var out []Violation
	add := func(prop, msg, fix string) { out = append(out, violation(r, prop, msg, fix)) }
	switch r.Type {
	case TypeBucket:
		fix := "components/lake.go: with Protect, pulumi.Protect(true), pulumi.RetainOnDelete(true), ForceDestroy false and versioning"
		if !r.Protect || !r.RetainOnDelete {
			add("options", fmt.Sprintf("protectData stack: bucket has protect=%v retainOnDelete=%v; `pulumi destroy` or removing it from the program would delete the lake", r.Protect, r.RetainOnDelete), fix)
		}
		if r.Bool("forceDestroy") {
			add("forceDestroy", "protectData stack: forceDestroy lets a delete empty the lake", fix)
		}
		if s.first(TypeVersioning, func(v *stacktest.Resource) bool {
			return v.Str("bucket") == bucketName(r) && v.Str("versioningConfiguration.status") == "Enabled"
		}) == nil {
			add("versioning", "protectData stack: versioning is off, so an overwrite or delete cannot be undone", fix)
		}
	case TypeKey:
		if !r.Protect || !r.RetainOnDelete {
			add("options", fmt.Sprintf("protectData stack: key has protect=%v retainOnDelete=%v; without the key the lake, stream and logs are unreadable", r.Protect, r.RetainOnDelete),
				"components/datakey.go: with Protect, pulumi.Protect(true), pulumi.RetainOnDelete(true)")
		}
	case TypeStream:
		if !r.Protect {
			add("options", "protectData stack: stream is not protected; deleting it loses up to retentionHours of undelivered events",
				"components/stream.go: with Protect, pulumi.Protect(true)")
		}
	}
	return out
}

func checkAlarmActions(s *Stack, a *stacktest.Resource) []Violation {
	var out []Violation
	fix := "components/monitoring.go: AlarmActions and OkActions the stack's alarm topic, ActionsEnabled true"
	if !boolOr(a.Inputs, "actionsEnabled", true) {
		out = append(out, violation(a, "actionsEnabled", "alarm actions are disabled: nobody is told", fix))
	}
	for _, prop := range []string{"alarmActions", "okActions"} {
		actions := strList(a.In(prop))
		if len(actions) == 0 {
			out = append(out, violation(a, prop, map[string]string{
				"alarmActions": "alarm notifies nobody when it fires",
				"okActions":    "alarm never says when the problem is over, so on-call cannot tell a fixed incident from an ongoing one",
			}[prop], fix))
		}
		for _, act := range actions {
			if !s.TopicArn(act) {
				out = append(out, violation(a, prop, "action "+act+" is not a topic of this stack", fix))
			}
		}
	}
	return out
}

func checkAlarmCoverage(s *Stack, _ *stacktest.Resource) []Violation {
	watched := map[string]bool{} // "type name"
	for _, a := range s.OfType(TypeAlarm) {
		for _, m := range alarmMetrics(a) {
			for dim, v := range m.Dims {
				if dt, ok := DimensionTypes[dim]; ok {
					watched[dt.Type+" "+v] = true
				}
			}
		}
	}
	var out []Violation
	for _, typ := range Monitored {
		for _, r := range s.OfType(typ) {
			if !watched[typ+" "+state(r, DimensionTypes[dimFor(typ)].Property)] {
				out = append(out, violation(r, "alarms", "no alarm watches this resource: it can fail silently",
					"components/monitoring.go AlarmSpecs: an alarm with this resource's dimension (and wire it in stacks.Build)"))
			}
		}
	}
	return out
}

// dimFor is the dimension a monitored type is named by.
func dimFor(typ string) string {
	for dim, dt := range DimensionTypes {
		if dt.Type == typ {
			return dim
		}
	}
	return ""
}

func checkCrawlerFailureAlerts(s *Stack, c *stacktest.Resource) []Violation {
	name := state(c, "name")
	fix := "components/monitoring.go: an EventRule on source aws.glue, detail-type \"Glue Crawler State Change\", state Failed, crawlerName, with an EventTarget on the alarm topic"
	for _, rule := range s.OfType(TypeEventRule) {
		var p struct {
			Source     []string `json:"source"`
			DetailType []string `json:"detail-type"`
			Detail     struct {
				State       []string `json:"state"`
				CrawlerName []string `json:"crawlerName"`
			} `json:"detail"`
		}
		if json.Unmarshal([]byte(rule.Str("eventPattern")), &p) != nil {
			continue
		}
		if !slices.Contains(p.Source, "aws.glue") || !slices.Contains(p.DetailType, "Glue Crawler State Change") || !slices.Contains(p.Detail.State, "Failed") || !slices.Contains(p.Detail.CrawlerName, name) {
			continue
		}
		ruleName := state(rule, "name")
		if s.first(TypeEventTarget, func(t *stacktest.Resource) bool { return t.Str("rule") == ruleName && s.TopicArn(t.Str("arn")) }) != nil {
			return nil
		}
		return []Violation{violation(c, "alerts", "event rule "+rule.Name+" matches this crawler's failures but targets no topic of this stack", fix)}
	}
	return []Violation{violation(c, "alerts", "no event rule reports failed runs of this crawler (Glue publishes no crawler metrics): new hours silently stop being queryable", fix)}
}

// --- API firewall ----------------------------------------------------------------------

func checkWAFLogging(s *Stack, acl *stacktest.Resource) []Violation {
	fix := wafFix + "newWAFLogging: a WebAclLoggingConfiguration to a log group from newLogGroup named aws-waf-logs-..., redacting authorization and x-api-key"
	cfg := s.first(TypeWebACLLogging, func(c *stacktest.Resource) bool { return c.Str("resourceArn") == arnOf(acl) })
	if cfg == nil {
		return []Violation{violation(acl, "logging", "the web ACL logs nothing: blocked producers and attacks leave no trace to tune the rules with", fix)}
	}
	var out []Violation
	for _, dest := range strList(cfg.In("logDestinationConfigs")) {
		g := s.first(TypeLogGroup, func(g *stacktest.Resource) bool { return arnOf(g) == dest })
		if g == nil || !strings.HasPrefix(state(g, "name"), awsrules.WAFLogGroupPrefix) {
			out = append(out, violation(acl, cfg.Name+".logDestinationConfigs", fmt.Sprintf("WAF logs go to %s, not a log group of this stack named %s... (retention and encryption unchecked; AWS WAF refuses other names)", dest, awsrules.WAFLogGroupPrefix), fix))
		}
	}
	redacted := map[string]bool{}
	for _, f := range cfg.List("redactedFields") {
		redacted[strings.ToLower(str(f, "singleHeader.name"))] = true
	}
	for _, h := range []string{strings.ToLower(apispec.AuthorizationHeader), apispec.APIKeyHeader} {
		if !redacted[h] {
			out = append(out, violation(acl, cfg.Name+".redactedFields", "WAF logs keep the "+h+" header: credentials in logs", fix))
		}
	}
	return out
}

func checkWAFBlockedAlarm(s *Stack, acl *stacktest.Resource) []Violation {
	for _, a := range s.OfType(TypeAlarm) {
		for _, m := range alarmMetrics(a) {
			if m.Namespace == "AWS/WAFV2" && m.Name == "BlockedRequests" && m.Dims["WebACL"] == state(acl, "name") &&
				m.Dims["Rule"] == "ALL" && m.Dims["Region"] == s.Region {
				return nil
			}
		}
	}
	return []Violation{violation(acl, "alarms", "no alarm on the web ACL's BlockedRequests (WebACL its name, Rule ALL, Region the stack's): an attack, or legitimate producers blocked, goes unnoticed",
		"components/monitoring.go AlarmSpecs (wafAlarm) with Targets.WAF and MonitoringArgs.WebACLName")}
}
