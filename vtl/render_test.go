package vtl_test

// The harness that executes mapping templates: testdata/render.js renders them with velocityjs
// (tools/standins) and API Gateway's variables, through testenv.RenderVTL. One node process
// renders a whole batch of jobs.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
)

// job is one template to render (testenv.VTLJob), named for failure messages.
type job struct {
	testenv.VTLJob
	name string
}

// result is what render.js answers for a job, and whether render already reported a problem.
type result struct {
	testenv.VTLResult
	bad bool
}

const testRequestID = "c0ffee00-1234-4d2e-9abc-0123456789ab"

// renderRaw renders the jobs as given, in one node process. Without node or velocityjs the
// template tests skip locally and fail in CI (CI=true), where a skip would hide that nothing
// was tested.
func renderRaw(t testing.TB, jobs []job) []result {
	t.Helper()
	return testenv.RenderVTL[job, result](t, jobs)
}

// render renders every job twice, with null references rendered as their text (Velocity) and
// as "" (a lenient engine), and fails a job that errs, warns, or whose output depends on
// how nulls render. It returns the results in job order.
func render(t testing.TB, jobs ...job) []result {
	t.Helper()
	both := make([]job, 0, 2*len(jobs))
	for _, j := range jobs {
		vtl := j.Mode == "" || j.Mode == "request" || j.Mode == "response"
		if j.Context == nil && vtl {
			j.Context = map[string]any{"requestId": testRequestID}
		}
		if vtl && (strings.Contains(j.Template, `\$`) || strings.Contains(j.Template, `\#`)) {
			t.Errorf("%s: template escapes $ or # with a backslash, which velocityjs and Velocity treat differently", j.name)
		}
		j.Nulls = "literal"
		both = append(both, j)
		j.Nulls = "empty"
		both = append(both, j)
	}
	raw := renderRaw(t, both)
	out := make([]result, len(jobs))
	shown := map[string]bool{} // print each failing template once
	for i, j := range jobs {
		lit, empty := raw[2*i], raw[2*i+1]
		problem := ""
		switch {
		case lit.Error != "":
			problem = "template failed: " + lit.Error
		case len(lit.Warnings) > 0:
			problem = "template relies on engine-specific behaviour:\n  " + strings.Join(lit.Warnings, "\n  ")
		case !reflect.DeepEqual(lit, empty):
			problem = fmt.Sprintf("output depends on how null references render:\nVelocity: %q\nlenient:  %q", lit.Output, empty.Output)
		}
		if problem != "" {
			if !shown[j.Template] {
				shown[j.Template] = true
				problem += "\n--- template:\n" + j.Template + "\n--- output:\n" + lit.Output
			}
			t.Errorf("%s: %s", j.name, problem)
			lit.bad = true
		}
		out[i] = lit
	}
	return out
}

// decodeStrict decodes exactly one JSON value, rejecting unknown fields when v is a struct.
func decodeStrict(s string, v any) error {
	if !json.Valid([]byte(s)) {
		return fmt.Errorf("not valid JSON:\n%s", s)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w in:\n%s", err, s)
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value:\n%s", s)
	}
	return nil
}

// TestRendererEmulation pins the API Gateway behaviours render.js emulates, so that a change
// to the shim that would make the template tests pass for the wrong reason fails here.
func TestRendererEmulation(t *testing.T) {
	t.Parallel()
	body := `{"s": "a'b\"c\\d/é😀\u0001\u007f\t", "n": 3, "list": ["x", "y"], "obj": {"k": "v"}, "nul": null}`
	cases := []struct {
		name, template string
		headers        map[string]string
		want           string
		wantWarning    string // a substring of one warning
		wantError      string
	}{
		{name: "escapeJavaScript is commons-lang's", template: `$util.escapeJavaScript($input.path('$.s'))`,
			want: `a\'b\"c\\d\/\u00E9\uD83D\uDE00\u0001` + "\u007f" + `\t`},
		{name: "AWS's documented fix for \\' gives JSON", template: `$util.escapeJavaScript($input.path('$.s')).replaceAll("\\'", "'")`,
			want: `a'b\"c\\d\/\u00E9\uD83D\uDE00\u0001` + "\u007f" + `\t`},
		{name: "replaceAll is a Java regex with Java replacement", template: `$input.path('$.list').toString().replaceAll("([a-z])", "<$1\\>")`, want: `[<x\>, <y\>]`},
		{name: "replace is literal and replaces all", template: `#set($v = "a.b.c")$v.replace(".", "$")`, want: `a$b$c`},
		{name: "String methods", template: `#set($v = "Hello")$v.contains("ell") $v.startsWith("He") $v.length() $v.toLowerCase() $v.substring(1, 3) $v.isEmpty() $v.empty`, want: `true true 5 hello el false false`},
		{name: "List and Map methods", template: `$input.path('$.list').size() $input.path('$.list').contains("y") $input.path('$.obj').get("k") $input.path('$.obj').containsKey("z") $input.path('$.obj').keySet()`, want: `2 true v false [k]`},
		{name: "foreach index and hasNext", template: `#foreach($x in $input.path('$.list'))$foreach.index$x#if($foreach.hasNext),#end#end`, want: `0x,1y`},
		{name: "input.json is JSON", template: `$input.json('$.obj') $input.json('$.list[1]')`, want: `{"k":"v"} "y"`},
		{name: "base64 round trip in UTF-8", template: `$util.base64Encode("é") $util.base64Decode("w6k=")`, want: `w6k= é`},
		{name: "urlEncode is URLEncoder", template: `$util.urlEncode("a b/é*~")`, want: `a+b%2F%C3%A9*%7E`},
		{name: "parseJson", template: `$util.parseJson('{"a": [1, 2]}').a.get(1)`, want: `2`},
		{name: "empty string and 0 are true in #if", template: `#if("")T#end#if(0)T#end#if($input.path('$.nul'))F#end#if(false)F#end`, want: `TT`},
		{name: "== compares across types by toString", template: `#if($input.path('$.n') == "3")eq#end`, want: `eq`},
		{name: "integer division", template: `#set($x = 7 / 2)$x`, want: `3`},
		{name: "header map lookup is case-sensitive", template: `[$!input.params().header.get('origin')][$!input.params().header.get('Origin')]`, headers: map[string]string{"Origin": "o"}, want: `[][o]`},
		{name: "params(x) searches headers", template: `$input.params('Origin')`, headers: map[string]string{"Origin": "o"}, want: `o`},
		{name: "#set with a null value keeps the old value", template: `#set($x = "old")#set($x = $input.path('$.nul'))$x`, want: `old`, wantWarning: "keeps the old value"},
		{name: "null reference renders as its text", template: `$input.path('$.missing')`, want: `$input.path('$.missing')`, wantWarning: "null reference"},
		{name: "a JavaScript-only method is not Java", template: `$input.path('$.list').join(",")`, want: `$input.path('$.list').join(",")`, wantWarning: "no method join"},
		{name: "Java exceptions fail the request", template: `$input.path('$.list').get(5)`, wantError: "IndexOutOfBounds"},
		{name: "an override set twice fails the request", template: `#set($context.responseOverride.status = 429)#set($context.responseOverride.status = 503)`, wantError: "overridden twice"},
	}
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{name: c.name, VTLJob: testenv.VTLJob{Template: c.template, Body: body, Headers: c.headers, Context: map[string]any{"requestId": testRequestID}}}
	}
	got := renderRaw(t, jobs)
	for i, c := range cases {
		r := got[i]
		if c.wantError != "" {
			if !strings.Contains(r.Error, c.wantError) {
				t.Errorf("%s: error %q, want one containing %q", c.name, r.Error, c.wantError)
			}
			continue
		}
		if r.Error != "" {
			t.Errorf("%s: %s", c.name, r.Error)
			continue
		}
		if r.Output != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, r.Output, c.want)
		}
		warned := strings.Join(r.Warnings, "\n")
		if c.wantWarning == "" && warned != "" {
			t.Errorf("%s: unexpected warnings:\n%s", c.name, warned)
		}
		if c.wantWarning != "" && !strings.Contains(warned, c.wantWarning) {
			t.Errorf("%s: warnings %q, want one containing %q", c.name, warned, c.wantWarning)
		}
	}

	// Overrides are captured; a lenient engine renders nulls as "".
	got = renderRaw(t, []job{
		{VTLJob: testenv.VTLJob{Template: `#set($context.responseOverride.status = 429)#set($context.responseOverride.header.Retry-After = "1")ok`, Mode: "response"}},
		{VTLJob: testenv.VTLJob{Template: `[$nothing]`, Nulls: "empty"}},
		{VTLJob: testenv.VTLJob{Template: `{"m": $context.error.messageString, "id": "$context.requestId"}`, Mode: "gateway", Context: map[string]any{"requestId": "r", "error": map[string]any{"messageString": `"Forbidden"`}}}},
		{VTLJob: testenv.VTLJob{Template: `$context.error.message`, Mode: "gateway", Context: map[string]any{}}},
	})
	if r := got[0]; r.Output != "ok" || r.Status == nil || *r.Status != "429" || r.Headers["Retry-After"] != "1" {
		t.Errorf("overrides: %+v", r)
	}
	if r := got[1]; r.Output != "[]" {
		t.Errorf("nulls=empty: %q", r.Output)
	}
	if r := got[2]; r.Output != `{"m": "Forbidden", "id": "r"}` {
		t.Errorf("gateway substitution: %q %s", r.Output, r.Error)
	}
	if r := got[3]; !strings.Contains(r.Error, "not given") {
		t.Errorf("a variable the job does not give must fail the job, got %+v", r)
	}
}
