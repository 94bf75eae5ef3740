package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
)

func TestIngestAPIWritesToKinesisWithoutLambda(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		stream := one(t, res, tStream).Str("name")
		api := one(t, res, tRestAPI)
		if api.Str("endpointConfiguration.types") != "REGIONAL" || api.Str("apiKeySource") != "HEADER" {
			t.Errorf("%s: api %v", stack, api.Inputs)
		}
		actions := map[string]string{}
		for _, in := range res.OfType(tIntegration) {
			if in.Str("type") == "MOCK" {
				continue
			}
			if in.Str("type") != "AWS" || in.Str("passthroughBehavior") != "NEVER" || in.Str("integrationHttpMethod") != "POST" {
				t.Errorf("%s: integration %s: %v", stack, in.Name, in.Inputs)
			}
			uri := in.Str("uri")
			actions[uri[strings.LastIndex(uri, "/")+1:]] = in.Str("requestTemplates.application/json")
			if !strings.HasPrefix(uri, "arn:aws:apigateway:eu-west-1:kinesis:action/") {
				t.Errorf("%s: uri %s", stack, uri)
			}
			if in.StrMap("requestParameters")["integration.request.header.Content-Type"] != "'application/x-amz-json-1.1'" {
				t.Errorf("%s: Kinesis content type missing: %v", stack, in.In("requestParameters"))
			}
		}
		for _, action := range []string{"PutRecord", "PutRecords"} {
			tpl, ok := actions[action]
			if !ok {
				t.Fatalf("%s: no %s integration (have %v)", stack, action, actions)
			}
			if !strings.Contains(tpl, `"StreamName": "`+stream+`"`) || !strings.Contains(tpl, "$util.base64Encode(") || !strings.Contains(tpl, ".user_id") {
				t.Errorf("%s: %s template does not put base64 records keyed by user_id to %s:\n%s", stack, action, stream, tpl)
			}
		}
		want := authorizationOf[authMode(t, res)]
		for _, m := range res.OfType(tMethod) {
			if m.Str("httpMethod") != "POST" {
				continue
			}
			if m.Bool("apiKeyRequired") != want.key || m.Str("authorization") != want.authorization || (want.authorizer != (m.Str("authorizerId") != "")) ||
				m.Str("requestValidatorId") == "" || m.Str("requestModels.application/json") == "" {
				t.Errorf("%s: POST %s must authenticate as %+v and validate its body: %v", stack, m.Name, want, m.Inputs)
			}
		}
		v := one(t, res, tValidator)
		if !v.Bool("validateRequestBody") {
			t.Errorf("%s: validator %v", stack, v.Inputs)
		}
	}
}

func TestRequestModelsComeFromTheSchema(t *testing.T) {
	s := schema.Default()
	for _, stack := range stacks {
		res := run(t, stack, nil)
		event, _ := s.EventModel(schema.KeepUnknown)
		batch, _ := s.BatchModel(schema.KeepUnknown)
		want := map[string]string{"Event": event, "EventBatch": batch}
		for _, m := range res.OfType(tModel) {
			if m.Str("schema") != want[m.Str("name")] {
				t.Errorf("%s: model %s differs from the schema's", stack, m.Str("name"))
			}
		}
		// unknownFields=reject closes the model.
		res = run(t, stack, map[string]string{"unknownFields": "reject"})
		for _, m := range res.OfType(tModel) {
			if m.Str("name") == "Event" && !strings.Contains(m.Str("schema"), `"additionalProperties":false`) {
				t.Errorf("%s: reject model still accepts unknown fields", stack)
			}
		}
	}
}

func TestKinesisErrorsBecomeHonestStatusCodes(t *testing.T) {
	res := run(t, "prod", nil)
	byStatus := map[string]map[string]string{}
	for _, ir := range res.OfType(tIntResponse) {
		if strings.Contains(ir.Name, "options") {
			continue
		}
		route := "single"
		if strings.Contains(ir.Name, "put-records") {
			route = "batch"
		}
		if byStatus[route] == nil {
			byStatus[route] = map[string]string{}
		}
		byStatus[route][ir.Str("statusCode")+"|"+ir.Str("selectionPattern")] = ir.Str("responseTemplates.application/json")
	}
	for _, route := range []string{"single", "batch"} {
		r := byStatus[route]
		if _, ok := r["200|"]; !ok {
			t.Errorf("%s: no default 200 response: %v", route, keys(r))
		}
		if tpl := r[`400|4\d{2}`]; !strings.Contains(tpl, "ProvisionedThroughputExceeded") || !strings.Contains(tpl, "responseOverride.status = 429") || !strings.Contains(tpl, "responseOverride.status = 500") {
			t.Errorf("%s: 4xx template must map throttling to 429 and pipeline faults to 500:\n%s", route, tpl)
		}
		if _, ok := r[`503|5\d{2}`]; !ok {
			t.Errorf("%s: no 5xx -> 503 response: %v", route, keys(r))
		}
	}
	if !strings.Contains(byStatus["batch"]["200|"], "FailedRecordCount") {
		t.Errorf("batch 200 must check FailedRecordCount (PutRecords reports partial failure with HTTP 200)")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAPIThrottlingQuotaLogsAndKey(t *testing.T) {
	want := map[string]struct {
		rate, burst, quota float64
		logDays            float64
	}{"dev": {20, 40, 200000, 7}, "prod": {2000, 4000, 0, 90}}
	for _, stack := range stacks {
		res := run(t, stack, nil)
		w := want[stack]
		if authMode(t, res) == apispec.AuthAPIKey {
			plan := one(t, res, tUsagePlan)
			if plan.Num("throttleSettings.rateLimit") != w.rate || plan.Num("throttleSettings.burstLimit") != w.burst {
				t.Errorf("%s: usage plan throttle %v", stack, plan.In("throttleSettings"))
			}
			if got := plan.Num("quotaSettings.limit"); got != w.quota {
				t.Errorf("%s: quota %v, want %v", stack, got, w.quota)
			}
		} else if n := len(res.OfType(tUsagePlan)) + len(res.OfType(tAPIKey)); n != 0 || w.quota != 0 {
			// Without keys a usage plan meters nothing: the stage throttle below limits callers.
			t.Errorf("%s: %d usage plans and API keys, quota %v, with apiAuth %s", stack, n, w.quota, authMode(t, res))
		}
		ms := one(t, res, tMethodSetting)
		if ms.Num("settings.throttlingRateLimit") != w.rate || !ms.Bool("settings.metricsEnabled") || ms.Bool("settings.dataTraceEnabled") {
			t.Errorf("%s: method settings %v", stack, ms.In("settings"))
		}
		stage := one(t, res, tStage)
		format := parseJSON(t, stage.Str("accessLogSettings.format"))
		if format["requestId"] != "$context.requestId" || format["status"] != "$context.status" {
			t.Errorf("%s: access log format %v", stack, format)
		}
		access := find(t, res, tLogGroup, "ingest-access-logs")
		if stage.Str("accessLogSettings.destinationArn") != access.State["arn"] {
			t.Errorf("%s: access logs go to %v", stack, stage.In("accessLogSettings.destinationArn"))
		}
		for _, lg := range res.OfType(tLogGroup) {
			if lg.Num("retentionInDays") != w.logDays || lg.Str("kmsKeyId") == "" {
				t.Errorf("%s: log group %s retention %v key %q", stack, lg.Name, lg.In("retentionInDays"), lg.Str("kmsKeyId"))
			}
		}
		exec := find(t, res, tLogGroup, "ingest-execution-logs")
		if exec.Str("name") != "API-Gateway-Execution-Logs_"+one(t, res, tRestAPI).State["id"].(string)+"/api" {
			t.Errorf("%s: execution log group %q (API Gateway would create it without retention)", stack, exec.Str("name"))
		}
	}
}

func TestAPIRoleMayOnlyPutToItsStream(t *testing.T) {
	res := run(t, "dev", nil)
	streamArn := one(t, res, tStream).State["arn"]
	doc, err := iampolicy.Parse(find(t, res, tRolePolicy, "ingest-role-policy").Str("policy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			switch a {
			case "kinesis:PutRecord", "kinesis:PutRecords":
				if len(st.Resource) != 1 || st.Resource[0] != streamArn {
					t.Errorf("put allowed on %v", st.Resource)
				}
			case "kms:GenerateDataKey":
				if st.Condition["StringEquals"]["kms:ViaService"][0] != "kinesis.eu-west-1.amazonaws.com" {
					t.Errorf("kms not limited to Kinesis: %v", st.Condition)
				}
			default:
				t.Errorf("API role may also %s", a)
			}
		}
	}
}

func TestCORS(t *testing.T) {
	res := run(t, "dev", nil)
	if n := countMethods(res.OfType(tMethod), "OPTIONS"); n != 2 {
		t.Errorf("dev allows http://localhost:5173: want OPTIONS on both routes, got %d", n)
	}
	for _, m := range res.OfType(tMethod) {
		if m.Str("httpMethod") == "OPTIONS" && m.Bool("apiKeyRequired") {
			t.Error("preflights carry no API key")
		}
	}
	for _, ir := range res.OfType(tIntResponse) {
		if !strings.Contains(ir.Str("responseTemplates.application/json"), `"http://localhost:5173"`) {
			t.Errorf("response %s does not echo allowed origins", ir.Name)
		}
	}
	res = run(t, "dev", map[string]string{"corsAllowOrigins": "[]"})
	if n := countMethods(res.OfType(tMethod), "OPTIONS"); n != 0 {
		t.Errorf("no origins: %d OPTIONS methods", n)
	}
}

func countMethods(ms []*stacktest.Resource, verb string) int {
	n := 0
	for _, m := range ms {
		if m.Str("httpMethod") == verb {
			n++
		}
	}
	return n
}

// TestDeploymentFollowsTheDefinition: the deployment's trigger is a hash of everything the
// stage serves, so a changed template or model reaches the stage, and nothing else moves it.
func TestDeploymentFollowsTheDefinition(t *testing.T) {
	trigger := func(cfg map[string]string) string {
		return one(t, run(t, "dev", cfg), tDeployment).Str("triggers.definition")
	}
	base := trigger(nil)
	if len(base) != 64 {
		t.Fatalf("trigger %q is not a sha256", base)
	}
	if trigger(nil) != base {
		t.Error("trigger is not stable across runs")
	}
	if trigger(map[string]string{"shardCount": "2"}) != base {
		t.Error("a shard change must not redeploy the API")
	}
	for _, change := range []map[string]string{
		{"unknownFields": "reject"},
		{"corsAllowOrigins": `["https://other.example.com"]`},
	} {
		if trigger(change) == base {
			t.Errorf("changing %v did not change the deployment trigger", change)
		}
	}
	d := one(t, run(t, "dev", nil), tDeployment)
	if len(d.DependsOn) < 20 {
		t.Errorf("deployment depends on %d resources: it must wait for every method, integration and response", len(d.DependsOn))
	}
}

func TestGatewayResponsesExplainErrors(t *testing.T) {
	res := run(t, "dev", nil)
	got := map[string]string{}
	for _, r := range res.OfType(tGatewayResp) {
		got[r.Str("responseType")] = r.Str("responseTemplates.application/json")
	}
	if !strings.Contains(got["BAD_REQUEST_BODY"], "$context.error.validationErrorString") {
		t.Errorf("a bad body must return the validation message: %q", got["BAD_REQUEST_BODY"])
	}
	for _, typ := range []string{"THROTTLED", "QUOTA_EXCEEDED", "INVALID_API_KEY", "DEFAULT_4XX", "DEFAULT_5XX"} {
		if got[typ] == "" {
			t.Errorf("no gateway response for %s", typ)
		}
	}
	var probe map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(got["THROTTLED"], "$context.requestId", "r")), &probe); err != nil {
		t.Errorf("THROTTLED body is not JSON: %v", err)
	}
}
