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
