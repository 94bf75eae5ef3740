package tests

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/transform"
)

// discoveryRun runs a stack with a partition discovery mode and partitioning. Without a
// crawler, the stack file's crawlerSchedule (prod sets one) is removed, as the mode requires.
func discoveryRun(t *testing.T, stack, mode, partitioning string) *stacktest.Result {
	t.Helper()
	opts := stacktest.Options{Stack: stack, Config: map[string]string{"partitionDiscovery": mode, "partitioning": partitioning}}
	if mode == "projection" {
		opts.Unset = []string{"crawlerSchedule"}
	}
	res, err := stacktest.Run(opts)
	if err != nil {
		t.Fatalf("%s %s %s: %v", stack, mode, partitioning, err)
	}
	return res
}

// folderExpr is one k=!{namespace:value} folder of a Firehose prefix.
var folderExpr = regexp.MustCompile(`([a-z_]+)=!\{(partitionKeyFromLambda|timestamp):([^}]*)\}`)

// templateOf is what the location template must be for a Firehose prefix: each
// !{partitionKeyFromLambda:x} and !{timestamp:...} replaced by ${x}, x its folder's name.
func templateOf(t *testing.T, prefix string) string {
	t.Helper()
	return folderExpr.ReplaceAllStringFunc(prefix, func(folder string) string {
		m := folderExpr.FindStringSubmatch(folder)
		if m[2] == "partitionKeyFromLambda" && m[3] != m[1] {
			t.Errorf("folder %s is filled by key %s", m[1], m[3])
		}
		return m[1] + "=${" + m[1] + "}"
	})
}

// TestPartitionDiscoveryModes: for every mode, both partitionings and both stack files, the
// table carries projection exactly when the mode projects (integer types with digits, the
// documented ranges, a template equal to Firehose's data prefix with its expressions replaced
// by placeholders), and the crawler with everything around it exists exactly when the mode
// crawls, on the mode's schedule.
func TestPartitionDiscoveryModes(t *testing.T) {
	wantRange := map[string][2]string{
		"year": {fmt.Sprintf("%d,2099", transform.DefaultMinEventTime.Year()), "4"}, "month": {"1,12", "2"}, "day": {"1,31", "2"}, "hour": {"0,23", "2"},
	}
	for _, stack := range stacks {
		for _, mode := range []string{"projection+crawler", "projection", "crawler"} {
			for _, partitioning := range []string{"event-time", "arrival-time"} {
				name := stack + "/" + mode + "/" + partitioning
				res := discoveryRun(t, stack, mode, partitioning)
				projects, crawls := mode != "crawler", mode != "projection"
				tbl := one(t, res, tTable)
				params := tbl.StrMap("parameters")
				prefix := one(t, res, tFirehose).Str("extendedS3Configuration.prefix")
				bucket := one(t, res, tBucket).State["bucket"].(string)
				if partitioning == "event-time" != strings.Contains(prefix, "!{partitionKeyFromLambda:") {
					t.Fatalf("%s: Firehose prefix %s", name, prefix)
				}
				checkProjection(t, name, params, projects, "s3://"+bucket+"/"+templateOf(t, prefix), wantRange)
				checkCrawler(t, name, res, crawls)
				if got := res.Exports["partitionDiscovery"]; got != mode {
					t.Errorf("%s: export partitionDiscovery %v", name, got)
				}
			}
		}
	}
}

func checkProjection(t *testing.T, name string, params map[string]string, projects bool, template string, ranges map[string][2]string) {
	t.Helper()
	if !projects {
		for k := range params {
			if strings.HasPrefix(k, "projection.") || k == "storage.location.template" {
				t.Errorf("%s: parameter %s without projection", name, k)
			}
		}
		return
	}
	if params["projection.enabled"] != "true" {
		t.Errorf("%s: projection.enabled %q", name, params["projection.enabled"])
	}
	if got := params["storage.location.template"]; got != template {
		t.Errorf("%s: storage.location.template\n %s\nwant (Firehose's data prefix, expressions replaced)\n %s", name, got, template)
	}
	for col, r := range ranges {
		p := "projection." + col + "."
		if params[p+"type"] != "integer" || params[p+"range"] != r[0] || params[p+"digits"] != r[1] {
			t.Errorf("%s: %s projected as %s %s digits %s, want integer %s digits %s", name, col, params[p+"type"], params[p+"range"], params[p+"digits"], r[0], r[1])
		}
	}
	if n := len(params); n != 3+2+3*len(ranges) {
		t.Errorf("%s: %d table parameters %v", name, n, params)
	}
}

// checkCrawler: the crawler, its role, log group, security configuration, failed-run rule
// and exports exist exactly when the mode crawls; dev runs on the mode's default schedule.
func checkCrawler(t *testing.T, name string, res *stacktest.Result, crawls bool) {
	t.Helper()
	present := map[string]bool{
		"crawler":                len(res.OfType(tCrawler)) == 1,
		"security configuration": len(res.OfType("aws:glue/securityConfiguration:SecurityConfiguration")) == 1,
		"crawler role":           res.Find(tRole, "catalog-crawler-role") != nil,
		"crawler log group":      res.Find(tLogGroup, "catalog-crawler-logs") != nil,
		"failed-crawl rule":      res.Find(tEventRule, "monitoring-crawler-failed") != nil,
		"failed-crawl target":    res.Find("aws:cloudwatch/eventTarget:EventTarget", "monitoring-crawler-failed-target") != nil,
		"crawlerName export":     res.Exports["crawlerName"] != nil,
		"crawlerLogGroup export": res.Exports["crawlerLogGroup"] != nil,
	}
	for what, ok := range present {
		if ok != crawls {
			t.Errorf("%s: %s present %t, want %t", name, what, ok, crawls)
		}
	}
	doc, err := iampolicy.Parse(find(t, res, "aws:sns/topicPolicy:TopicPolicy", "monitoring-alarms-policy").Str("policy"))
	if err != nil {
		t.Fatal(err)
	}
	if sids := fmt.Sprint(doc.Statement); strings.Contains(sids, "CrawlerRulePublishes") != crawls || !strings.Contains(sids, "AlarmsPublish") {
		t.Errorf("%s: topic policy statements %s", name, sids)
	}
	if !crawls {
		return
	}
	want := map[string]string{
		"dev/crawler": "cron(15 * * * ? *)", "dev/projection+crawler": "cron(15 0 * * ? *)",
		"prod/crawler": "cron(5 * * * ? *)", "prod/projection+crawler": "cron(5 * * * ? *)",
	}[strings.Join(strings.Split(name, "/")[:2], "/")]
	if got := one(t, res, tCrawler).Str("schedule"); got != want {
		t.Errorf("%s: crawler schedule %q, want %q", name, got, want)
	}
}

// TestSavedQueriesBoundTheirDates: with partition projection a query bounded only from below
// makes Athena list every projected hour up to 2099, so each saved query bounds the lake's
// date partitions on both sides.
func TestSavedQueriesBoundTheirDates(t *testing.T) {
	between := regexp.MustCompile(`concat\(year, '-', month, '-', day\) BETWEEN date_format\(current_date - INTERVAL '\d+' DAY, '%Y-%m-%d'\) ` +
		`AND date_format\(current_date \+ INTERVAL '1' DAY, '%Y-%m-%d'\)`)
	for _, stack := range stacks {
		for _, q := range run(t, stack, nil).OfType(tNamedQuery) {
			if !between.MatchString(q.Str("query")) {
				t.Errorf("%s: saved query %s does not bound its dates on both sides:\n%s", stack, q.Name, q.Str("query"))
			}
		}
	}
}
