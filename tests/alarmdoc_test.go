package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
	slstacks "github.com/streamlake/streamlake/stacks"
)

// The generated alarm table's file and markers.
const (
	alarmFile  = "docs/alarms.md"
	alarmBegin = "<!-- BEGIN alarm-table -->"
	alarmEnd   = "<!-- END alarm-table -->"
)

// alarmDocStack is the stack file whose alarms docs/alarms.md lists: prod has every optional
// alarm (WAF, silence, event-time partitioning, raw backup).
const alarmDocStack = "prod"

// TestAlarmDocsAreGenerated: docs/alarms.md's table is components.AlarmSpecs of prod's
// configuration (`go test ./tests -run TestAlarmDocs -update` rewrites it).
func TestAlarmDocsAreGenerated(t *testing.T) {
	table := alarmTable(components.AlarmSpecs(slstacks.AlarmSettings(loadConfig(t, alarmDocStack, nil, nil))))
	testenv.Generated(t, alarmFile, func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, alarmBegin, alarmEnd, table)
	}, *update, "go test ./tests -run TestAlarmDocs -update")
}

// comparisons are CloudWatch's comparison operators as the table writes them.
var comparisons = map[string]string{
	"GreaterThanOrEqualToThreshold": "≥", "GreaterThanThreshold": ">",
	"LessThanThreshold": "<", "LessThanOrEqualToThreshold": "≤",
}

// alarmTable renders one row per alarm: metric, statistic and dimensions, when it fires, and
// what on-call checks first.
func alarmTable(specs []components.AlarmSpec) string {
	var b strings.Builder
	b.WriteString("<!-- generated from components.AlarmSpecs for Pulumi.prod.yaml: go test ./tests -run TestAlarmDocs -update -->\n")
	b.WriteString("| alarm | metric (statistic) by dimensions | fires when | meaning and first thing to check |\n|---|---|---|---|\n")
	for _, s := range specs {
		stat := s.Statistic + s.ExtendedStatistic
		when := fmt.Sprintf("%s %g for %d of %d × %d s", comparisons[s.Comparison], s.Threshold, s.DatapointsToAlarm, s.EvaluationPeriods, s.Period)
		if s.TreatMissing == "breaching" {
			when += "; no data counts"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` %s (%s) by %s | %s | %s |\n", s.ID, s.Namespace, s.Metric, stat,
			strings.Join(s.Dims, ", "), when, strings.ReplaceAll(s.Description, "|", `\|`))
	}
	return b.String()
}
