package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

// Two datasets: the default (events, schema/events.yaml) and the example quiz_answers
// (schema/examples/quiz_answers.yaml: bigint, boolean, no extras), in every stack file.
const quiz = "quiz_answers"

func runTwo(t *testing.T, stack string, cfg map[string]string) *stacktest.Result {
	t.Helper()
	res, err := runTwoErr(stack, cfg)
	if err != nil {
		t.Fatalf("stack %s with two datasets: %v", stack, err)
	}
	return res
}

func runTwoErr(stack string, cfg map[string]string) (*stacktest.Result, error) {
	ds, err := stacktest.ExampleDatasets()
	if err != nil {
		return nil, err
	}
	c := map[string]string{"datasets": stacktest.ExampleDatasetConfig}
	for k, v := range cfg {
		c[k] = v
	}
	return stacktest.Run(stacktest.Options{Stack: stack, Config: c, Datasets: ds})
}

// exampleDatasets are the module's root and the datasets that deploy the example beside the
// default.
func exampleDatasets(t *testing.T) (root string, ds []schema.Dataset) {
	t.Helper()
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	if ds, err = stacktest.ExampleDatasets(); err != nil {
		t.Fatal(err)
	}
	return root, ds
}

// byName returns the resources of a type by logical name.
func byName(res *stacktest.Result, typ string) map[string]*stacktest.Resource {
	out := map[string]*stacktest.Resource{}
	for _, r := range res.OfType(typ) {
		out[r.Name] = r
	}
	return out
}

// TestTwoDatasetsShareThePipeline: what a pipeline has once stays once (key, bucket, database,
// workgroup, topic, API with one usage plan and key, account settings, firewall, dashboard),
// and each dataset has its own stream, table, function and delivery stream.
func TestTwoDatasetsShareThePipeline(t *testing.T) {
	for _, stack := range stacks {
		res := runTwo(t, stack, nil)
		once := []string{tKey, tBucket, tDatabase, tWorkgroup, tTopic, tRestAPI, tStage, tDashboard,
			"aws:apigateway/account:Account"}
		if authMode(t, res) == "apiKey" {
			once = append(once, tUsagePlan, tAPIKey)
		}
		if stack == "prod" {
			once = append(once, tWebACL)
		}
		for _, typ := range once {
			if n := len(res.OfType(typ)); n != 1 {
				t.Errorf("%s: %d of %s, want one shared by both datasets", stack, n, typ)
			}
		}
		for _, typ := range []string{tStream, tTable, tFunction, tFirehose} {
			if n := len(res.OfType(typ)); n != 2 {
				t.Errorf("%s: %d of %s, want one per dataset", stack, n, typ)
			}
		}
		ds, ok := res.Exports[stackconfig.OutputDatasets].(map[string]any)
		if !ok || len(ds) != 2 || ds["events"] == nil || ds[quiz] == nil {
			t.Fatalf("%s: output %s %v", stack, stackconfig.OutputDatasets, res.Exports[stackconfig.OutputDatasets])
		}
		for name, outs := range ds {
			for _, k := range stackconfig.DatasetOutputs {
				if _, ok := outs.(map[string]any)[k]; !ok {
					t.Errorf("%s: output datasets.%s lacks %s (stackconfig.DatasetOutputs, which the CLI reads)", stack, name, k)
				}
			}
		}
		q := ds[quiz].(map[string]any)
		if q["streamName"] != "streamlake-"+stack+"-quiz_answers" || q["glueTable"] != quiz || q["dataPrefix"] != "data/quiz_answers/" ||
			!strings.HasSuffix(fmt.Sprint(q["eventsUrl"]), "/v1/quiz_answers/events") || !strings.HasSuffix(fmt.Sprint(q["batchUrl"]), "/v1/quiz_answers/events/batch") {
			t.Errorf("%s: quiz_answers outputs %v", stack, q)
		}
		if res.Exports["streamName"] != ds["events"].(map[string]any)["streamName"] || res.Exports["glueTable"] != "events" {
			t.Errorf("%s: the top-level outputs must stay the default dataset's: %v %v", stack, res.Exports["streamName"], res.Exports["glueTable"])
		}
	}
}

// TestTwoDatasetsRoutesAreIsolated: each dataset's routes validate against its own models and
// put to its own stream, keyed by its own partition key; the API role may put to both streams
// and nothing else.
func TestTwoDatasetsRoutesAreIsolated(t *testing.T) {
	for _, stack := range stacks {
		res := runTwo(t, stack, nil)
		streams := byName(res, tStream)
		evStream, qStream := streams["stream-stream"].Str("name"), streams[quiz+"-stream-stream"].Str("name")
		paths := map[string]bool{}
		for _, r := range res.OfType("aws:apigateway/resource:Resource") {
			paths[r.Str("pathPart")] = true
		}
		for _, p := range []string{"v1", "events", "batch", quiz} {
			if !paths[p] {
				t.Errorf("%s: no API resource %q (have %v)", stack, p, paths)
			}
		}
		integrations := byName(res, tIntegration)
		for name, want := range map[string]struct{ stream, key string }{
			"ingest-put-record": {evStream, ".user_id"}, "ingest-put-records": {evStream, ".user_id"},
			"ingest-" + quiz + "-put-record": {qStream, ".user_id"}, "ingest-" + quiz + "-put-records": {qStream, ".user_id"},
		} {
			in := integrations[name+"-integration"]
			if in == nil {
				t.Fatalf("%s: no integration %s", stack, name)
			}
			tpl := in.Str("requestTemplates.application/json")
			if !strings.Contains(tpl, `"StreamName": "`+want.stream+`"`) || !strings.Contains(tpl, want.key) {
				t.Errorf("%s: %s must put to %s:\n%s", stack, name, want.stream, tpl)
			}
		}
		methods := byName(res, tMethod)
		for name, model := range map[string]string{"ingest-put-record": "Event", "ingest-put-records": "EventBatch",
			"ingest-" + quiz + "-put-record": "QuizAnswersEvent", "ingest-" + quiz + "-put-records": "QuizAnswersEventBatch"} {
			if m := methods[name]; m == nil || m.Str("requestModels.application/json") != model {
				t.Errorf("%s: method %s must validate with model %s", stack, name, model)
			}
		}
		models := byName(res, tModel)
		qm, em := models["ingest-model-QuizAnswersEvent"].Str("schema"), models["ingest-model-Event"].Str("schema")
		if !strings.Contains(qm, `"attempt"`) || !strings.Contains(qm, `"correct"`) || strings.Contains(qm, `"watched_sec"`) ||
			strings.Contains(em, `"attempt"`) || !strings.Contains(em, `"watched_sec"`) {
			t.Errorf("%s: each model must carry its own dataset's fields:\nquiz %s\nevents %s", stack, qm, em)
		}
		doc, err := iampolicy.Parse(find(t, res, tRolePolicy, "ingest-role-policy").Str("policy"))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range doc.Statement {
			if st.Sid == "PutToThisStream" {
				got := append([]string(nil), st.Resource...)
				want := []string{fmt.Sprint(streams["stream-stream"].State["arn"]), fmt.Sprint(streams[quiz+"-stream-stream"].State["arn"])}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: the API role may put to %v, want exactly the two streams %v", stack, got, want)
				}
			}
		}
	}
}

// TestTwoDatasetsTablesAndPrefixesAreIsolated: each table has its own columns and location,
// each delivery stream reads its own stream, calls its own function (told its dataset),
// converts with its own table and writes under its own folders; no folder of one dataset lies
// in another's; the default crawler may only see its own partition folders.
func TestTwoDatasetsTablesAndPrefixesAreIsolated(t *testing.T) {
	for _, stack := range stacks {
		res := runTwo(t, stack, nil)
		tables := byName(res, tTable)
		ev, q := tables["catalog-table"], tables[quiz+"-catalog-table"]
		if ev == nil || q == nil || ev.Str("name") != "events" || q.Str("name") != quiz {
			t.Fatalf("%s: tables %v", stack, tables)
		}
		bucket := one(t, res, tBucket).State["bucket"]
		if ev.Str("storageDescriptor.location") != fmt.Sprintf("s3://%s/data/", bucket) || q.Str("storageDescriptor.location") != fmt.Sprintf("s3://%s/data/quiz_answers/", bucket) {
			t.Errorf("%s: locations %s %s", stack, ev.Str("storageDescriptor.location"), q.Str("storageDescriptor.location"))
		}
		if tmpl := q.StrMap("parameters")["storage.location.template"]; !strings.Contains(tmpl, "/data/quiz_answers/year=${year}/") {
			t.Errorf("%s: quiz projection template %q", stack, tmpl)
		}
		if cols := fmt.Sprint(q.In("storageDescriptor.columns")); !strings.Contains(cols, "bigint") || !strings.Contains(cols, "boolean") || strings.Contains(cols, "watched_sec") {
			t.Errorf("%s: quiz columns %s", stack, cols)
		}
		streams, functions := byName(res, tStream), byName(res, tFunction)
		deliveries := byName(res, tFirehose)
		prefixes := map[string]string{}
		for dataset, names := range map[string][4]string{
			"events": {"delivery-stream", "stream-stream", "transform-function", "events"},
			quiz:     {quiz + "-delivery-stream", quiz + "-stream-stream", quiz + "-transform-function", quiz},
		} {
			fh := deliveries[names[0]]
			s3 := "extendedS3Configuration."
			if fh == nil || fh.Str("kinesisSourceConfiguration.kinesisStreamArn") != streams[names[1]].State["arn"] ||
				!strings.HasPrefix(fh.Str(s3+"processingConfiguration.processors[0].parameters[0].parameterValue"), fmt.Sprint(functions[names[2]].State["arn"])) ||
				fh.Str(s3+"dataFormatConversionConfiguration.schemaConfiguration.tableName") != names[3] {
				t.Errorf("%s: %s's delivery must read its stream, call its function and convert with its table: %v", stack, dataset, fh)
				continue
			}
			for _, k := range []string{"prefix", "errorOutputPrefix", "s3BackupConfiguration.prefix"} {
				if p := fh.Str(s3 + k); p != "" {
					prefixes[dataset+" "+k] = p
				}
			}
		}
		if env := functions[quiz+"-transform-function"].StrMap("environment.variables"); env["DATASET"] != quiz || env["UNKNOWN_FIELDS"] != "reject" {
			t.Errorf("%s: quiz function environment %v", stack, env)
		}
		if _, ok := functions["transform-function"].StrMap("environment.variables")["DATASET"]; ok {
			t.Errorf("%s: the default function keeps its environment (no DATASET)", stack)
		}
		checkDisjoint(t, stack, prefixes)
		if crawler := res.Find(tRolePolicy, "catalog-crawler-role-policy"); crawler != nil {
			if p := crawler.Str("policy"); strings.Contains(p, `data/*"`) || !strings.Contains(p, "data/year=*") {
				t.Errorf("%s: the default crawler must not see data/quiz_answers/: %s", stack, p)
			}
		}
	}
}

// checkDisjoint fails when an object one dataset's delivery writes could lie under another
// dataset's prefix: the prefixes with their expressions filled in (an error output type,
// which always has a '-', and digits for time and partition values) must not start with each
// other. A dataset's name has neither '-' nor '=', so it never reads as the default's error
// type or partition folder.
func checkDisjoint(t *testing.T, stack string, prefixes map[string]string) {
	t.Helper()
	fill := regexp.MustCompile(`!\{[^}]*\}`)
	concrete := func(p string) string {
		p = strings.ReplaceAll(p, "!{firehose:error-output-type}", "processing-failed")
		return fill.ReplaceAllString(p, "07")
	}
	for a, pa := range prefixes {
		for b, pb := range prefixes {
			if strings.Fields(a)[0] == strings.Fields(b)[0] {
				continue
			}
			if ca, cb := concrete(pa), concrete(pb); strings.HasPrefix(cb, ca) {
				t.Errorf("%s: %s (%s) lies under %s (%s)", stack, b, cb, a, ca)
			}
		}
	}
	if len(prefixes) != 6 {
		t.Errorf("%s: prefixes %v, want data, errors and raw of both datasets", stack, prefixes)
	}
}

// TestTwoDatasetsQueriesAlarmsAndDashboard: the example gets the saved queries its columns
// allow, alarms on its own resources and a dashboard row.
func TestTwoDatasetsQueriesAlarmsAndDashboard(t *testing.T) {
	res := runTwo(t, "prod", nil)
	queries := byName(res, tNamedQuery)
	if q := queries["analytics-"+quiz+"-most-recent-events"]; q == nil || !strings.Contains(q.Str("query"), `FROM "streamlake_prod"."quiz_answers"`) ||
		q.Str("name") != "quiz_answers: Most recent events" {
		t.Errorf("quiz query %v", q)
	}
	if len(queries) != 4 || queries["analytics-"+quiz+"-events-per-type-per-hour"] != nil {
		t.Errorf("queries %v: the default's three and the example's one (it has no event_type or watched_sec)", slices.Sorted(maps.Keys(queries)))
	}
	stream := byName(res, tStream)[quiz+"-stream-stream"].Str("name")
	var quizAlarms int
	for _, a := range res.OfType(tAlarm) {
		if strings.HasPrefix(a.Name, "monitoring-"+quiz+"-") {
			quizAlarms++
			if d := a.StrMap("dimensions"); d["StreamName"] != "" && d["StreamName"] != stream {
				t.Errorf("alarm %s watches %s", a.Name, d["StreamName"])
			}
			if strings.Contains(a.Name, "api-") || strings.Contains(a.Name, "waf-") {
				t.Errorf("alarm %s: the API's alarms are the pipeline's", a.Name)
			}
		}
	}
	if quizAlarms < 10 {
		t.Errorf("%d alarms on quiz_answers' resources", quizAlarms)
	}
	var body struct {
		Widgets []struct {
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(one(t, res, tDashboard).Str("dashboardBody")), &body); err != nil {
		t.Fatal(err)
	}
	row := false
	for _, w := range body.Widgets {
		row = row || w.Properties["markdown"] == "## Dataset quiz_answers"
	}
	if !row {
		t.Error("the dashboard has no row for quiz_answers")
	}
	if n := len(res.OfType(tEventRule)); n != 2 {
		t.Errorf("%d crawler-failed rules, want one per crawler", n)
	}
}

// TestTwoDatasetsNoPhysicalNameClashes: no two resources of a type share a physical name,
// within a stack with two datasets or across the stack files (dev and prod may share an
// account). (Each fits AWS's rules for its type: the policy suite's deploy-names, with the
// two-datasets variant.)
func TestTwoDatasetsNoPhysicalNameClashes(t *testing.T) {
	owner := map[string]string{} // type + name -> stack and logical name
	for _, stack := range stacks {
		for _, r := range runTwo(t, stack, nil).Resources {
			if !r.Custom {
				continue
			}
			name := physicalName(r)
			if name == "" {
				continue
			}
			key := r.Type + " " + name
			if other, ok := owner[key]; ok {
				t.Errorf("%s %s and %s both have the physical name %q", stack, r.Name, other, name)
			}
			owner[key] = stack + " " + r.Name
		}
	}
	if len(owner) < 100 {
		t.Errorf("only %d named resources: the check looks at nothing", len(owner))
	}
}

// physicalName is the name AWS knows a resource by, as the mocks computed it, for types whose
// names are unique in an account and region; "" for others (sub-resources keyed by their
// parent, resources AWS identifies by id).
func physicalName(r *stacktest.Resource) string {
	switch r.Type {
	case tBucket:
		return fmt.Sprint(r.State["bucket"])
	case tDashboard:
		return r.Str("dashboardName")
	case tTable:
		return r.Str("databaseName") + "." + r.Str("name") // unique in its database
	case tNamedQuery, tModel, tStage, tMethod, tIntegration, tIntResponse, "aws:apigateway/methodResponse:MethodResponse",
		"aws:apigateway/resource:Resource", tGatewayResp, tValidator, tDeployment, tMethodSetting, tRolePolicy,
		"aws:cloudwatch/logStream:LogStream", "aws:cloudwatch/eventTarget:EventTarget":
		return "" // names scoped to a parent (API, role, log group, rule), or not unique by design
	}
	if n, ok := r.State["name"].(string); ok {
		return n
	}
	return ""
}

// TestDatasetOpsAgreeWithLoad: what the ops CLI reads of a dataset's stream in a stack file
// (stackfile.ReadDatasetOps) is what the program's Load makes of it, with and without the
// dataset's own streamMode and shardCount.
func TestDatasetOpsAgreeWithLoad(t *testing.T) {
	root, ds := exampleDatasets(t)
	for _, datasets := range []string{
		`{"quiz_answers": {"unknownFields": "reject"}}`,
		`{"quiz_answers": {"unknownFields": "reject", "shardCount": 3}}`,
		`{"quiz_answers": {"unknownFields": "reject", "streamMode": "ON_DEMAND"}, "events": {"shardCount": 2}}`,
		`{"quiz_answers": {"unknownFields": "reject", "streamMode": "PROVISIONED"}}`,
	} {
		for _, stack := range stacks {
			config := map[string]string{"datasets": datasets}
			dir := variantProject(t, stack, config, nil)
			cfg, err := stackconfig.FromFilesWith(root, stack, config, ds)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range cfg.Datasets {
				ops, err := stackfile.ReadDatasetOps(dir, stack, d.Name)
				if err != nil {
					t.Fatal(err)
				}
				if ops.StreamMode != d.StreamMode || ops.ShardCount != d.ShardCount {
					t.Errorf("%s %s with %s: the CLI reads %s/%d, Load %s/%d", stack, d.Name, datasets, ops.StreamMode, ops.ShardCount, d.StreamMode, d.ShardCount)
				}
			}
		}
	}
}
