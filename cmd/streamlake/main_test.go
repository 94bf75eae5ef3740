package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv"
)

// cli runs the command in-process, as main would.
type cli struct {
	t      *testing.T
	pulumi pulumiRunner
	now    func() time.Time
	env    map[string]string
	// dir is the project directory shards reads stack files from ("": the working directory).
	dir       string
	buildInfo func() (*debug.BuildInfo, bool)
}

type result struct {
	code           int
	stdout, stderr string
}

func (c cli) run(args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	pulumi := c.pulumi
	if pulumi == nil {
		pulumi = func(context.Context, ...string) ([]byte, error) {
			return nil, errors.New("no pulumi in tests")
		}
	}
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }, pulumi: pulumi, now: c.now, dir: c.dir, buildInfo: c.buildInfo}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, e, args)
	return result{code, out.String(), errb.String()}
}

// fakeAWS gives the SDK credentials and no machine configuration, for stand-ins.
func fakeAWS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTANDIN")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "standin-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestExitCodesAndHelp(t *testing.T) {
	c := cli{t: t}
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, exitUsage, "", "Usage: streamlake <command>"},
		{[]string{"--help"}, exitOK, "Commands:", ""},
		{[]string{"nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"send", "--help"}, exitOK, "Usage: streamlake send", ""},
		{[]string{"verify", "-h"}, exitOK, "Usage: streamlake verify", ""},
		{[]string{"shards", "--help"}, exitOK, "Usage: streamlake shards", ""},
		{[]string{"send", "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{[]string{"send", "extra"}, exitUsage, "", "unexpected arguments"},
		{[]string{"send", "--count", "-1"}, exitUsage, "", "--count -1 is out of range: allowed 1..100000000"},
		{[]string{"send", "--stream", "s", "--api-url", "http://x"}, exitUsage, "", "--api-url and --api-key are for --via api"},
		{[]string{"send", "--via", "carrier-pigeon"}, exitUsage, "", "--via must be api or stream"},
		{[]string{"verify", "--count", "501"}, exitUsage, "", "--count 501 is out of range: allowed 1..500"},
		{[]string{"verify", "--run-id", "Bad ID"}, exitUsage, "", "--run-id"},
		{[]string{"shards"}, exitUsage, "", "--peak-eps is required"},
		{[]string{"shards", "--peak-eps", "10", "--event-bytes", "2000000"}, exitUsage, "", "--event-bytes 2000000 is out of range: allowed 1..1048576"},
		// Nothing given and no stack outputs: a clear error naming the flag, exit 1.
		{[]string{"send", "--count", "1"}, exitFail, "", "--api-url not given, and stack outputs are unavailable"},
		{[]string{"send", "--via", "stream"}, exitFail, "", "--stream not given, and stack outputs are unavailable"},
		{[]string{"verify", "--api-url", "http://127.0.0.1:1/api", "--api-key", "k"}, exitFail, "", "--bucket not given"},
	}
	for _, tt := range tests {
		r := c.run(tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("streamlake %s: exit %d, want %d\nstdout: %s\nstderr: %s\n(want stdout ~ %q, stderr ~ %q)",
				strings.Join(tt.args, " "), r.code, tt.code, r.stdout, r.stderr, tt.stdout, tt.stderr)
		}
	}
}

func TestStackOutputsFlagsWin(t *testing.T) {
	var calls [][]string
	c := cli{t: t, pulumi: func(_ context.Context, args ...string) ([]byte, error) {
		calls = append(calls, args)
		return []byte(`{"eventsUrl": "http://127.0.0.1:1/api/v1/events", "batchUrl": "http://127.0.0.1:1/api/v1/events/batch",
			"apiKey": "from-stack", "streamName": "s", "region": "eu-west-1", "shardCount": 4}`), nil
	}}
	ctx := context.Background()
	e := &env{getenv: func(k string) string { return map[string]string{"STREAMLAKE_API_KEY": "from-env"}[k] }, pulumi: c.pulumi}
	so := newStackOutputs(e, "prod", "")
	// A flag wins without running pulumi at all.
	if v, err := so.pick(ctx, e, "flag", "api-key", "STREAMLAKE_API_KEY", outAPIKey); v != "flag" || err != nil || len(calls) != 0 {
		t.Fatalf("flag: %q %v, %d pulumi calls", v, err, len(calls))
	}
	if so.region(ctx, "") != "" {
		t.Error("region read stack outputs although nothing else needed them")
	}
	// Then the environment, then the stack.
	if v, _ := so.pick(ctx, e, "", "api-key", "STREAMLAKE_API_KEY", outAPIKey); v != "from-env" {
		t.Errorf("env: %q", v)
	}
	if v, _ := so.pick(ctx, e, "", "stream", "", outStream); v != "s" {
		t.Errorf("stack: %q", v)
	}
	if got := strings.Join(calls[0], " "); got != "stack output --json --show-secrets --stack prod" {
		t.Errorf("pulumi called with %q", got)
	}
	if so.region(ctx, "") != "eu-west-1" || so.region(ctx, "us-east-2") != "us-east-2" {
		t.Error("region: the flag must win, else the stack's")
	}
	if v, _ := so.get(ctx, "shardCount"); v != "4" {
		t.Errorf("non-string output: %q", v)
	}
	if _, err := so.pick(ctx, e, "", "bucket", "", outBucket); err == nil || !strings.Contains(err.Error(), `"bucketName" is missing of stack prod`) {
		t.Errorf("missing output: %v", err)
	}
	if len(calls) != 1 {
		t.Errorf("pulumi ran %d times, want once", len(calls))
	}

	// --outputs FILE instead of pulumi.
	file := filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(file, []byte(`{"streamName": "from-file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	so = newStackOutputs(e, "", file)
	if v, _ := so.get(ctx, outStream); v != "from-file" || len(calls) != 1 {
		t.Errorf("outputs file: %q (pulumi calls %d)", v, len(calls))
	}
}

// The CLI reads stack outputs by name; the Pulumi program exports them. The CLI does not
// import the program (it would pull the Pulumi SDKs into an ops tool), so this test reads the
// program's source instead and fails when a name drifts. (Lake folders and partition
// discovery modes the CLI takes from lakelayout itself.)
func TestNamesMatchThePulumiProgram(t *testing.T) {
	root := testenv.ModuleRoot(t)
	exports := map[string]bool{}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "stacks/run.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if n, ok := n.(*ast.CallExpr); ok {
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Export" && len(n.Args) > 0 {
				if lit, ok := n.Args[0].(*ast.BasicLit); ok {
					name, _ := strconv.Unquote(lit.Value)
					exports[name] = true
				}
			}
		}
		return true
	})
	for _, k := range []string{outRegion, outAPIURL, outEventsURL, outBatchURL, outAPIKey, outAPIAuth, outStream, outBucket, outDatabase, outTable, outWorkgroup, outDiscovery, outDelivery, outCrawler, outTopic} {
		if !exports[k] {
			t.Errorf("the CLI reads stack output %q, which stacks/run.go does not export (exports: %v)", k, exports)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b, total: 100, start: time.Now()}
	p.update(summaryWith(50, 2, 1))
	p.done()
	out := b.String()
	for _, want := range []string{"[##############..............]", " 51%", "50 delivered", "retries 2", "failed 1", "\r\x1b[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress %q lacks %q", out, want)
		}
	}
	var nilBar *progressBar
	nilBar.update(summaryWith(1, 0, 0)) // no terminal: no bar, no panic
	nilBar.done()
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}

// The real runner executes the pulumi on the PATH (here a stand-in script) and passes its
// error through, so the operator sees why there are no outputs.
func TestPulumiCLIFromPath(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
if [ "$*" = "stack output --json --show-secrets --stack dev" ]; then
  echo '{"streamName": "from-pulumi", "region": "eu-west-1"}'
  exit 0
fi
echo "error: no stack named '$6' found" >&2
exit 255
`
	if err := os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx := context.Background()
	e := &env{getenv: func(string) string { return "" }}
	if v, err := newStackOutputs(e, "dev", "").get(ctx, outStream); v != "from-pulumi" || err != nil {
		t.Errorf("dev: %q, %v", v, err)
	}
	r := cli{t: t, pulumi: execPulumi}.run("send", "--via", "stream", "--stack", "nope", "--count", "1")
	if r.code != exitFail || !strings.Contains(r.stderr, "no stack named 'nope' found") || !strings.Contains(r.stderr, "--stream not given") {
		t.Errorf("missing stack: exit %d, stderr %s", r.code, r.stderr)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := newStackOutputs(e, "dev", "").get(ctx, outStream); err == nil || !strings.Contains(err.Error(), "pulumi CLI is not in PATH") {
		t.Errorf("no pulumi: %v", err)
	}
}
