package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv"
)

// runCLI runs the command in-process from the module root.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = run(ctx, &env{stdout: &out, stderr: &errb, root: testenv.ModuleRoot(t)}, args)
	return code, out.String(), errb.String()
}

// Bad command lines exit 2 with a message naming the flag and the rule; nothing starts.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"launch"}, `unknown command "launch"`},
		{[]string{"run", "--count", "5"}, "--dir is required"},
		{[]string{"run", "--dir", dir}, "--count must be at least 1 without --input"},
		{[]string{"run", "--dir", dir, "--count", "5", "--input", "x.jsonl"}, "--input and --count exclude each other"},
		{[]string{"run", "--dir", dir, "--count", "5", "--route", "fast"}, `--route must be "batch" or "single", got "fast"`},
		{[]string{"run", "--dir", dir, "--count", "5", "--stack", "staging"}, "--stack staging: there is no Pulumi.staging.yaml; stacks: dev, prod"},
		{[]string{"run", "--dir", dir, "--count", "5", "--set", "shardcount=2"}, "--set streamlake:shardcount: no such key; did you mean streamlake:shardCount?"},
		{[]string{"run", "--dir", dir, "--count", "5", "--set", "noequals"}, "want key=value"},
		{[]string{"run", "--dir", dir, "--count", "5", "--rows", "-1"}, "--rows must be 0 or more"},
		{[]string{"run", "--dir", dir, "--count", "5", "extra"}, "run takes no arguments"},
		{[]string{"query", "SELECT 1"}, "--dir is required"},
		{[]string{"query", "--dir", dir}, "query takes one SQL statement"},
		{[]string{"query", "--dir", dir, "SELECT 1"}, "holds no lake"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	if code, stdout, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(stdout, "streamlake-local run --dir DIR") {
		t.Errorf("help: exit %d: %s", code, stdout)
	}
}

// A small run on the batch route: one line that is not JSON makes the API refuse its whole
// request (the three events share one), which the summary, the progress and
// api-rejected.jsonl say, naming --route single; query on that run says it stored nothing; a
// second file's events reach the lake; the saved queries print; query answers SQL on the
// table under Athena's names.
func TestRunAndQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole data path")
	}
	testenv.Node(t, "kinesalite")
	now := time.Now().UTC().Format(time.RFC3339)
	ev := func(id string) string {
		return `{"event_id":"` + id + `","event_type":"play","user_id":"u-1","occurred_at":"` + now + `","watched_sec":60}`
	}
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.jsonl", ev("a"), "{not json", ev("b"))
	code, stdout, stderr := runCLI(t, "run", "--dir", filepath.Join(dir, "bad"), "--input", bad)
	if code != exitOK || !strings.Contains(stdout, "api_rejected              3") || !strings.Contains(stdout, "Could not parse request body into json") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	rejected, _ := os.ReadFile(filepath.Join(dir, "bad", "api-rejected.jsonl"))
	if n := strings.Count(string(rejected), `"line":`); n != 3 {
		t.Errorf("api-rejected.jsonl has %d lines:\n%s", n, rejected)
	}
	// The summary and the progress say what the refused request took down, and what keeps the
	// good events.
	for _, want := range []string{"The batch route's API refused 1 request whole, 3 events with them: one bad event refuses its whole request",
		"       3  events, lines 1-3: HTTP 400: invalid request body: [Could not parse request body into json", "--route single sends each event on its own and keeps the good events"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run summary lacks %q:\n%s", want, stdout)
		}
	}
	if want := "the API refused 1 request whole, each with every event in it: 3 events (lines 1-3); --route single"; !strings.Contains(stderr, want) {
		t.Errorf("progress lacks %q:\n%s", want, stderr)
	}
	// A query after a run that stored nothing says so, and answers from the empty table.
	code, stdout, stderr = runCLI(t, "query", "--dir", filepath.Join(dir, "bad"), `SELECT count(*) AS n FROM "streamlake_dev"."events"`)
	if code != exitOK || !strings.Contains(stderr, "stored no events in the lake, so every table is empty: 3 sent, 3 refused by the API") ||
		!strings.Contains(stderr, "refused 1 request whole, 3 events with them") || strings.Contains(stderr, "holds no lake") || !regexp.MustCompile(`\n0\s*\n`).MatchString(stdout) {
		t.Errorf("query after a run that stored nothing: exit %d\n%s\n%s", code, stdout, stderr)
	}

	good := write("good.jsonl", ev("c"), "", ev("d"), ev("c"))
	run := filepath.Join(dir, "good")
	code, stdout, stderr = runCLI(t, "run", "--dir", run, "--input", good, "--route", "single")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Event c, sent twice, counts once: 2 minutes in 2 reports.
	for _, want := range []string{`parquet_rows +3 `, `== watch-time-per-user-per-day`, `\nu-1 +\d{4}-\d\d-\d\d +2 +2\n`, `== events-per-type-per-hour`, `== most-recent-events`} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("run output lacks %q:\n%s", want, stdout)
		}
	}
	var sum map[string]any
	b, _ := os.ReadFile(filepath.Join(run, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum["sent"] != 3.0 || sum["parquet_rows"] != 3.0 {
		t.Errorf("summary.json %s: %v", b, err)
	}
	code, stdout, stderr = runCLI(t, "query", "--dir", run, `SELECT count(DISTINCT event_id) AS ids, count(*) AS n FROM "streamlake_dev"."events"`)
	if code != exitOK || !strings.Contains(stdout, "2    3") || strings.Contains(stderr, "stored no events") {
		t.Errorf("query: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr = runCLI(t, "query", "--dir", run, "SELECT nope"); code != exitFail || !strings.Contains(stderr, "nope") {
		t.Errorf("bad SQL: exit %d, %s", code, stderr)
	}
	if code, _, stderr = runCLI(t, "run", "--dir", run, "--input", good); code != exitFail || !strings.Contains(stderr, "already holds a lake") {
		t.Errorf("second run into the same folder: exit %d, %s", code, stderr)
	}
}
