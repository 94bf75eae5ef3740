package ciaccess

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const workflowsDir = "../../.github/workflows"

// notFromBootstrap are the repository variables the workflows read that the bootstrap does not
// produce: optional settings of the repository itself.
var notFromBootstrap = map[string]string{
	"PULUMI_STACK_PREFIX": "Pulumi Cloud organisation prefix of the stack names",
	"VERIFY_PROD":         "opt-in smoke test of prod",
}

var contextRef = regexp.MustCompile(`\b(vars|secrets)\.([A-Za-z0-9_]+)`)

// workflow is a parsed workflow file: its YAML, the comment block at its top, and the
// variables and secrets its expressions read (comments excluded).
type workflow struct {
	Name    string
	Header  string
	Root    map[string]any
	Vars    map[string]bool
	Secrets map[string]bool
}

func readWorkflows(t *testing.T) []*workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(workflowsDir, "*.yml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	var out []*workflow
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w := &workflow{Name: filepath.Base(f), Vars: map[string]bool{}, Secrets: map[string]bool{}}
		var node yaml.Node
		if err := yaml.Unmarshal(b, &node); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := node.Decode(&w.Root); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		scalars(&node, func(s string) {
			for _, m := range contextRef.FindAllStringSubmatch(s, -1) {
				map[string]map[string]bool{"vars": w.Vars, "secrets": w.Secrets}[m[1]][m[2]] = true
			}
		})
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "#") {
				break
			}
			w.Header += line + "\n"
		}
		out = append(out, w)
	}
	return out
}

// scalars calls f with every scalar value of the document (keys and comments are not values).
func scalars(n *yaml.Node, f func(string)) {
	if n.Kind == yaml.ScalarNode {
		f(n.Value)
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		scalars(c, f)
	}
}

// The bootstrap's outputs are exactly the variables the workflows read (besides the
// repository's own optional settings): no output nobody reads, no variable nobody sets.
func TestOutputsAreTheVariablesTheWorkflowsRead(t *testing.T) {
	read := map[string]bool{}
	for _, w := range readWorkflows(t) {
		for v := range w.Vars {
			if notFromBootstrap[v] == "" {
				read[v] = true
			}
		}
	}
	o := runBootstrap(t, nil)
	outputs, vars := slices.Sorted(maps.Keys(o.Exports)), slices.Sorted(maps.Keys(read))
	if !sameSet(outputs, vars) {
		t.Errorf("bootstrap outputs %v\nworkflow variables %v", outputs, vars)
	}
}

// Every workflow names, in the comment at its top, every variable and secret it reads.
func TestWorkflowHeadersNameEveryVariable(t *testing.T) {
	for _, w := range readWorkflows(t) {
		for name := range w.Vars {
			if !strings.Contains(w.Header, name) {
				t.Errorf("%s reads vars.%s but its header comment does not name it", w.Name, name)
			}
		}
		for name := range w.Secrets {
			if name != "GITHUB_TOKEN" && !strings.Contains(w.Header, name) {
				t.Errorf("%s reads secrets.%s but its header comment does not name it", w.Name, name)
			}
		}
		if strings.Contains(w.Header+strings.Join(keys(w.Secrets), " "), "PASSPHRASE") {
			t.Errorf("%s still mentions a passphrase; secrets use the KMS provider", w.Name)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func workflowNamed(t *testing.T, name string) *workflow {
	t.Helper()
	for _, w := range readWorkflows(t) {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no workflow %s", name)
	return nil
}

// mapAt walks nested maps.
func mapAt(v any, path ...string) map[string]any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	m, _ := v.(map[string]any)
	return m
}

// bootstrapVarsIn returns the bootstrap variables a piece of workflow reads.
func bootstrapVarsIn(v any) []string {
	b, _ := yaml.Marshal(v)
	var out []string
	for _, m := range contextRef.FindAllStringSubmatch(string(b), -1) {
		if m[1] == "vars" && notFromBootstrap[m[2]] == "" {
			out = append(out, m[2])
		}
	}
	return out
}

// Each deploy job runs in the GitHub environment its deploy role trusts (the example stack
// file), reads only its own stack's variables, never runs twice at once, and creates a
// missing stack with the stack's secrets provider.
func TestDeployJobsMatchTheBootstrap(t *testing.T) {
	jobs := mapAt(workflowNamed(t, "deploy.yml").Root, "jobs")
	for stack, s := range exampleAppStacks(t) {
		job := mapAt(jobs, stack)
		if job == nil {
			t.Errorf("deploy.yml has no job %q for app stack %s", stack, stack)
			continue
		}
		if want := s.DeployEnvironment; job["environment"] != want {
			t.Errorf("deploy.yml job %s runs in environment %v, but its deploy role trusts environment %v", stack, job["environment"], want)
		}
		for _, name := range bootstrapVarsIn(job) {
			if !strings.HasSuffix(name, "_"+VariableSuffix(stack)) {
				t.Errorf("deploy.yml job %s reads %s, another stack's variable", stack, name)
			}
		}
		if c := mapAt(job, "concurrency"); c == nil || c["cancel-in-progress"] != false || !strings.Contains(c["group"].(string), stack) {
			t.Errorf("deploy.yml job %s: concurrency %v, want a group per stack that never cancels a running deploy", stack, c)
		}
		checkPulumiStep(t, "deploy.yml job "+stack, job, "vars.PULUMI_SECRETS_PROVIDER_"+VariableSuffix(stack))
	}
}

// The preview matrix has one entry per app stack, each in the GitHub environment its preview
// role trusts (the example stack file's previewEnvironment, none for a stack without one),
// reading only its own variables, and creates a missing stack with its secrets provider.
func TestPreviewMatrixMatchesTheBootstrap(t *testing.T) {
	job := mapAt(workflowNamed(t, "pull-request.yml").Root, "jobs", "preview")
	include, _ := mapAt(job, "strategy", "matrix")["include"].([]any)
	stacks := exampleAppStacks(t)
	if len(include) != len(stacks) {
		t.Fatalf("preview matrix include = %v, want one entry per app stack of the example file %v", include, stacks)
	}
	if job["environment"] != "${{ matrix.environment }}" {
		t.Errorf("preview job environment = %v, want ${{ matrix.environment }}", job["environment"])
	}
	for _, e := range include {
		entry := mapAt(e)
		stack, _ := entry["stack"].(string)
		s, ok := stacks[stack]
		if !ok {
			t.Errorf("matrix entry %s: no such app stack in the example file", stack)
		}
		if env, set := entry["environment"].(string); !set || env != s.PreviewEnvironment {
			t.Errorf("matrix entry %s: environment %v, but its preview role trusts %v", stack, entry["environment"], PreviewSubjects("<repo>", s))
		}
		if entry["suffix"] != VariableSuffix(stack) {
			t.Errorf("matrix entry %s: suffix %v, want %s", stack, entry["suffix"], VariableSuffix(stack))
		}
		names := bootstrapVarsIn(entry)
		if len(names) != 4 {
			t.Errorf("matrix entry %s reads %v, want role, region, backend and secrets provider", stack, names)
		}
		for _, name := range names {
			if !strings.HasSuffix(name, "_"+VariableSuffix(stack)) || strings.HasPrefix(name, VarDeployRole) {
				t.Errorf("matrix entry %s reads %s", stack, name)
			}
		}
	}
	checkPulumiStep(t, "pull-request.yml preview", job, "matrix.secrets-provider")
}

// liveLookupErrorsKey is the stack config key that makes a failed live lookup (the stream's
// shard count, the deployed Glue table) stop the run instead of skipping its guard.
const liveLookupErrorsKey = "streamlake:liveLookupErrors"

// checkPulumiStep finds the job's pulumi/actions step: it must upsert with the stack's KMS
// secrets provider, and set liveLookupErrors to fail, so that a preview or deploy that cannot
// read live state stops rather than skip the shard-step and schema guards.
func checkPulumiStep(t *testing.T, where string, job map[string]any, provider string) {
	t.Helper()
	steps, _ := job["steps"].([]any)
	for _, s := range steps {
		step := mapAt(s)
		if u, _ := step["uses"].(string); !strings.HasPrefix(u, "pulumi/actions@") {
			continue
		}
		with := mapAt(step, "with")
		if with["upsert"] != true || with["secrets-provider"] != "${{ "+provider+" }}" {
			t.Errorf("%s: pulumi step upsert=%v secrets-provider=%v, want true and ${{ %s }}", where, with["upsert"], with["secrets-provider"], provider)
		}
		var config map[string]struct {
			Value  string `yaml:"value"`
			Secret bool   `yaml:"secret"`
		}
		cm, _ := with["config-map"].(string)
		if err := yaml.Unmarshal([]byte(cm), &config); err != nil {
			t.Errorf("%s: pulumi step config-map %q: %v", where, cm, err)
		}
		if c, ok := config[liveLookupErrorsKey]; !ok || c.Value != "fail" || c.Secret {
			t.Errorf("%s: pulumi step config-map %q, want %s: {value: fail, secret: false}", where, cm, liveLookupErrorsKey)
		}
		return
	}
	t.Errorf("%s: no pulumi/actions step", where)
}

// docs/ci.md lists every variable a workflow reads and says how to require reviewers on prod's
// deploys and previews.
func TestSetupGuideNamesEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	names := VariableNames("dev")
	for n := range notFromBootstrap {
		names = append(names, n)
	}
	for _, n := range append(names, "Required reviewers", "PULUMI_ACCESS_TOKEN", "gh variable set", "pulumi stack output --json",
		"appStacks.<stack>.previewEnvironment", "environments/prod-preview") {
		if !strings.Contains(doc, n) {
			t.Errorf("docs/ci.md does not mention %s", n)
		}
	}
	for a := range Unscoped {
		if !strings.Contains(doc, "`"+a+"`") {
			t.Errorf("docs/ci.md does not explain why %s is granted on Resource \"*\"", a)
		}
	}
}

// The jobs' first check names exactly the variables that are missing.
func TestCheckVariablesScript(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		fail bool
		want string
	}{
		{[]string{"ROLE=r", "REGION=eu-west-1", "PULUMI_BACKEND_URL=s3://b", "SECRETS_PROVIDER=awskms://alias/k"}, false, "are set"},
		{[]string{"REGION=eu-west-1", "PULUMI_BACKEND_URL=s3://b", "SECRETS_PROVIDER=awskms://alias/k"}, true, "not set: AWS_DEPLOY_ROLE_ARN_PROD."},
		{[]string{"ROLE=r", "REGION=eu-west-1"}, true, "not set: PULUMI_BACKEND_URL_PROD PULUMI_SECRETS_PROVIDER_PROD."},
		{[]string{"ROLE=r", "REGION=eu-west-1", "PULUMI_ACCESS_TOKEN=pul-x"}, false, "are set"},
		{[]string{"PULUMI_ACCESS_TOKEN=pul-x"}, true, "not set: AWS_DEPLOY_ROLE_ARN_PROD AWS_REGION_PROD."},
	} {
		cmd := exec.Command("bash", "../check-variables.sh", "AWS_DEPLOY_ROLE_ARN", "PROD")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fail || !strings.Contains(string(out), tc.want) {
			t.Errorf("env %v: err=%v output %q, want failure=%v and %q", tc.env, err, out, tc.fail, tc.want)
		}
	}
}

// smokeStep is the step of a deploy.yml job that runs streamlake verify.
func smokeStep(t *testing.T, job string) map[string]any {
	t.Helper()
	steps, _ := mapAt(workflowNamed(t, "deploy.yml").Root, "jobs", job)["steps"].([]any)
	for _, s := range steps {
		step := mapAt(s)
		if run, _ := step["run"].(string); strings.Contains(run, "./cmd/streamlake verify") {
			return step
		}
	}
	t.Fatalf("deploy.yml job %s has no step that runs streamlake verify", job)
	return nil
}

// Stubs of the commands the smoke steps call: each logs its arguments to $LOG; pulumi answers
// $API_AUTH and $DATASETS (failing without them), aws says every crawler is READY and its last
// run SUCCEEDED unless it is in $FAILED_CRAWLERS, go exits $GO_EXIT; sleep returns at once.
var smokeStubs = map[string]string{
	"go": `echo "go $*" >>"$LOG"; exit "${GO_EXIT:-0}"`,
	"pulumi": `echo "pulumi $*" >>"$LOG"
case "$*" in
  "stack output apiAuth --stack $STACK") [ -n "$API_AUTH" ] && echo "$API_AUTH" ;;
  "stack output datasets --json --stack $STACK") [ -n "$DATASETS" ] && echo "$DATASETS" ;;
  *) echo "unexpected: pulumi $*" >&2; exit 1 ;;
esac`,
	"aws": `echo "aws $*" >>"$LOG"
case "$1 $2 $6" in
  "glue get-crawler Crawler.State") echo READY ;;
  "glue get-crawler Crawler.LastCrawl.Status") case " $FAILED_CRAWLERS " in *" $4 "*) echo FAILED ;; *) echo SUCCEEDED ;; esac ;;
esac`,
	"sleep": `echo "sleep $*" >>"$LOG"`,
}

// runSmokeStep runs a smoke step's script as GitHub runs it (bash -e) with the stubs first on
// the PATH and jq real, in stack STACK; it returns the stubs' log, the output and the exit error.
func runSmokeStep(t *testing.T, script, stack string, env ...string) (log, out string, err error) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jq is not installed (the deploy workflow's smoke step uses it; GitHub's runners have it)")
		}
		t.Skip("jq is not installed (the deploy workflow's smoke step uses it; GitHub's runners have it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range smokeStubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logFile := filepath.Join(dir, "log")
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "LOG=" + logFile, "STACK=" + stack}, env...)
	b, err := cmd.CombinedOutput()
	logged, _ := os.ReadFile(logFile) // no call, no log
	return string(logged), string(b), err
}

// Each deploy job's smoke test verifies every dataset of the stack, through the API when it
// takes an API key and else straight to the streams (CI has no user pool token for a jwt API,
// as prod's); dev's starts every dataset's crawler once Firehose has written and fails if one
// run did not succeed. The steps run here with stubs of pulumi, go, aws and sleep.
func TestDeploySmokeTestsVerifyEveryDataset(t *testing.T) {
	const twoCrawlers = `{"events":{"crawlerName":"c-events"},"quiz_answers":{"crawlerName":"c-quiz"},"clicks":{"streamName":"s"}}`
	dev, prod := smokeStep(t, "dev"), smokeStep(t, "prod")
	if prod["if"] != "vars.VERIFY_PROD == 'true'" {
		t.Errorf("prod's smoke test runs if %v, want vars.VERIFY_PROD == 'true'", prod["if"])
	}
	for _, tc := range []struct {
		name, job string
		env       []string
		fail      bool
		// log: calls the stubs logged, in this order (verify runs in the background, so its
		// call is anywhere).
		log, out []string
		notLog   []string
	}{
		{"dev with an API key", "dev", []string{"API_AUTH=apiKey", "DATASETS=" + twoCrawlers}, false,
			[]string{"sleep 420\n", "aws glue start-crawler --name c-events\n", "aws glue start-crawler --name c-quiz\n",
				"aws glue get-crawler --name c-events --query Crawler.LastCrawl.Status", "aws glue get-crawler --name c-quiz --query Crawler.LastCrawl.Status"},
			[]string{"crawler c-events: last run SUCCEEDED", "crawler c-quiz: last run SUCCEEDED"}, nil},
		{"dev with an API key: verify", "dev", []string{"API_AUTH=apiKey", "DATASETS=" + twoCrawlers}, false,
			[]string{"go run ./cmd/streamlake verify --stack dev --dataset all --via api --timeout 25m --add-partitions=false\n"}, nil, nil},
		{"dev with a jwt API, no crawler", "dev", []string{"API_AUTH=jwt", `DATASETS={"events":{"streamName":"s"}}`}, false,
			[]string{"verify --stack dev --dataset all --via stream "}, nil, []string{"sleep 420", "aws glue"}},
		{"a crawler run failed", "dev", []string{"API_AUTH=apiKey", "DATASETS=" + twoCrawlers, "FAILED_CRAWLERS=c-quiz"}, true,
			[]string{"aws glue get-crawler --name c-events --query Crawler.LastCrawl.Status"},
			[]string{"crawler c-quiz: last run FAILED", "crawler runs that did not succeed: c-quiz\n"}, nil},
		{"verify failed", "dev", []string{"API_AUTH=apiKey", "DATASETS=" + twoCrawlers, "GO_EXIT=1"}, true, []string{"verify --stack dev --dataset all"}, nil, nil},
		{"no datasets output", "dev", []string{"API_AUTH=apiKey"}, true, nil, nil, []string{"go run"}},
		{"prod with a jwt API", "prod", []string{"API_AUTH=jwt"}, false,
			[]string{"go run ./cmd/streamlake verify --stack prod --dataset all --via stream --timeout 20m\n"}, nil, []string{"aws glue"}},
		{"prod with an API key", "prod", []string{"API_AUTH=apiKey"}, false, []string{"verify --stack prod --dataset all --via api "}, nil, nil},
		// A failed or odd apiAuth lookup stops the step: never a silent switch past the API.
		{"dev: apiAuth cannot be read", "dev", []string{"DATASETS=" + twoCrawlers}, true, nil, nil, []string{"go run"}},
		{"prod: apiAuth cannot be read", "prod", nil, true, nil, nil, []string{"go run"}},
		{"dev: unknown apiAuth", "dev", []string{"API_AUTH=basic", "DATASETS=" + twoCrawlers}, true, nil,
			[]string{"stack output apiAuth is 'basic': want apiKey, iam or jwt"}, []string{"go run"}},
	} {
		step := map[string]map[string]any{"dev": dev, "prod": prod}[tc.job]
		log, out, err := runSmokeStep(t, step["run"].(string), tc.job, tc.env...)
		if (err != nil) != tc.fail {
			t.Errorf("%s: exit %v, want failure %v\n%s%s", tc.name, err, tc.fail, log, out)
		}
		rest := log
		for _, want := range tc.log {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Errorf("%s: the step did not call %q (after the calls before it):\n%s", tc.name, want, log)
				break
			}
			rest = rest[i+len(want):]
		}
		for _, want := range tc.out {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the step did not print %q:\n%s", tc.name, want, out)
			}
		}
		for _, bad := range tc.notLog {
			if strings.Contains(log, bad) {
				t.Errorf("%s: the step called %q:\n%s", tc.name, bad, log)
			}
		}
	}
}

// Pull requests and deploys test with test.yml, and test.yml runs .ci/run: GitHub's checks are
// the CI machines' (go mod verify, gofmt, vet, actionlint, golangci-lint, the tests), so a pull
// request cannot pass one and fail the other.
func TestWorkflowsTestAsCIRunDoes(t *testing.T) {
	for _, name := range []string{"pull-request.yml", "deploy.yml"} {
		if uses := mapAt(workflowNamed(t, name).Root, "jobs", "test")["uses"]; uses != "./.github/workflows/test.yml" {
			t.Errorf("%s: job test uses %v, want ./.github/workflows/test.yml", name, uses)
		}
	}
	steps, _ := mapAt(workflowNamed(t, "test.yml").Root, "jobs", "test")["steps"].([]any)
	var runs []string
	for _, s := range steps {
		if run, ok := mapAt(s)["run"].(string); ok {
			runs = append(runs, run)
		}
	}
	if !slices.Contains(runs, "bash .ci/run") {
		t.Errorf("test.yml runs %q, not bash .ci/run", runs)
	}
}
