package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/testenv"
)

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkJSON decodes out into map[string]any and walks it: every key is snake_case and no value
// is null (an empty list is [], a missing object is left out).
func checkJSON(t *testing.T, what, out string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Errorf("%s: not a JSON object: %v\n%s", what, err, out)
		return
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case nil:
			t.Errorf("%s: %s is null", what, path)
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !snakeKey.MatchString(k) {
					t.Errorf("%s: key %q at %s is not snake_case", what, k, path)
				}
				walk(path+"."+k, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("$", v)
}

// Every JSON output of every command, in its success and failure shapes.
func TestEveryJSONOutputIsSnakeCaseWithoutNull(t *testing.T) {
	fakeAWS(t)
	moto := testenv.Moto(t)
	kinesalite := testenv.Kinesalite(t)
	testenv.CreateStream(t, testenv.KinesisClient(kinesalite), "json-stream", 1)
	now := time.Now().UTC()
	seedStatus(t, moto, now)
	api := testenv.NewAPI(t, "k", testenv.APIFaults{}, 1)
	lake := []string{"--bucket", "lake", "--database", "db", "--table", "events", "--workgroup", "primary", "--region", testenv.Region, "--endpoint-url", moto, "--partition-discovery", "crawler"}
	outputs := stackPulumi(statusOutputs("crawler-prod"))
	// The recovery commands' lake: a clean error object and a raw backup to send again, and a
	// corrupt object of the other output type that errors cannot read.
	l := newLakeStandins(t)
	l.errorObject(firehoserec.ProcessingFailed, firehoserec.CodeFunctionError, firehoserec.MessageFunctionError, "a", "j-1", "j-2")
	corrupt := l.errorObject(firehoserec.FormatConversionFailed, "c", "m", "bad", "j-3")
	l.put(corrupt, []byte(`{"rawData":"not base64!"}`+"\n"))
	l.rawObject(incident, "j-4")
	afterIncident := func() time.Time { return incident.Add(2 * time.Hour) }
	redrive := l.args("redrive", "--prefix", "errors/processing-failed/", "--to-stream", testStream)
	replay := l.args("replay", "--from", "2026-11-25T10", "--to", "2026-11-25T11", "--to-stream", testStream)
	stubStack(t, "prod", testStack())
	plan := []string{"plan", "--stack", "prod", "--avg-eps", "1500", "--peak-eps", "4000", "--event-bytes", "362"}
	runs := []struct {
		name string
		c    cli
		args []string
	}{
		{"send ok", cli{}, []string{"send", "--stream", "json-stream", "--endpoint-url", kinesalite, "--region", testenv.Region, "--count", "20"}},
		{"send failed", cli{}, []string{"send", "--api-url", api.URL, "--api-key", "wrong", "--count", "3"}},
		{"verify failed", cli{}, append([]string{"verify", "--api-url", api.URL, "--api-key", "k", "--count", "2", "--poll", "100ms", "--timeout", "500ms"}, lake...)},
		{"verify not sent", cli{}, append([]string{"verify", "--api-url", api.URL, "--api-key", "wrong", "--count", "2"}, lake...)},
		{"shards size", cli{}, []string{"shards", "--peak-eps", "100"}},
		{"shards size with stack", cli{}, []string{"shards", "--peak-eps", "4000", "--stack", "prod", "--batch-size", "2"}},
		{"shards to", cli{}, []string{"shards", "--to", "8", "--stack", "prod"}},
		{"shards from metrics", cli{pulumi: outputs}, []string{"shards", "--from-metrics", "--stack", "prod", "--window", "2h", "--endpoint-url", moto}},
		{"status", cli{pulumi: outputs, now: func() time.Time { return now }}, []string{"status", "--stack", "prod", "--endpoint-url", moto}},
		{"status failing", cli{pulumi: stackPulumi(statusOutputs("ghost"))}, []string{"status", "--stack", "prod", "--endpoint-url", moto}},
		{"errors with an unreadable object", cli{now: afterIncident}, l.args("errors")},
		{"errors, none in the window", cli{now: afterIncident}, l.args("errors", "--since", "30m")},
		{"redrive dry run", cli{}, append(redrive, "--dry-run")},
		{"redrive dry run with a corrupt object", cli{}, l.args("redrive", "--prefix", "errors/", "--to-stream", testStream, "--dry-run")},
		{"redrive", cli{}, redrive},
		{"redrive, already done", cli{}, redrive},
		{"replay to a missing stream", cli{}, l.args("replay", "--from", "2026-11-25T10", "--to", "2026-11-25T11", "--to-stream", "no-such-stream", "--max-attempts", "1")},
		{"replay", cli{}, replay},
		{"plan", cli{}, plan},
		{"plan with queries", cli{}, append(plan, "--queries-per-day", "10", "--scan-mb", "100")},
		{"plan of every dataset", cli{}, append(plan, "--dataset", "all")},
		{"version", cli{buildInfo: func() (*debug.BuildInfo, bool) { return nil, false }}, []string{"version"}},
	}
	seen := map[string]bool{}
	for _, run := range runs {
		run.c.t = t
		r := run.c.run(append(run.args, "--json")...)
		if strings.TrimSpace(r.stdout) == "" {
			t.Errorf("%s: no JSON (exit %d)\n%s", run.name, r.code, r.stderr)
			continue
		}
		checkJSON(t, run.name, r.stdout)
		seen[run.args[0]] = true
	}
	for _, c := range commands {
		if c.flags != nil && c.flags(&env{}).Lookup("json") != nil && !seen[c.name] {
			t.Errorf("command %s has --json but no run in this test", c.name)
		}
	}
}
