package ciaccess

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// The account the mocks report, and the repository the tests configure in place of the
// example file's placeholder.
const (
	testAccount    = "123456789012"
	testRepository = "acme/streamlake"
	exampleStack   = "main-account"
)

// bootstrapDir is bootstrap/, which holds Pulumi.yaml and the stack files.
const bootstrapDir = ".."

// stackConfig is what the CLI passes the program for a bootstrap stack: Pulumi.yaml defaults,
// the stack file's values and overrides (unqualified keys are in the project namespace).
func stackConfig(t *testing.T, stack string, overrides map[string]string) map[string]string {
	t.Helper()
	var project struct {
		Name   string                    `yaml:"name"`
		Config map[string]map[string]any `yaml:"config"`
	}
	readYAML(t, filepath.Join(bootstrapDir, "Pulumi.yaml"), &project)
	qualify := func(k string) string {
		if strings.Contains(k, ":") {
			return k
		}
		return project.Name + ":" + k
	}
	out := map[string]string{}
	for k, decl := range project.Config {
		if def, ok := decl["default"]; ok {
			out[qualify(k)] = configString(t, def)
		}
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	readYAML(t, filepath.Join(bootstrapDir, "Pulumi."+stack+".yaml"), &file)
	for k, v := range file.Config {
		out[qualify(k)] = configString(t, v)
	}
	for k, v := range overrides {
		out[qualify(k)] = v
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func configString(t *testing.T, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any, map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

// runBootstrap runs Run under mocks for the example stack file with the test repository.
func runBootstrap(t *testing.T, overrides map[string]string) *stacktest.Result {
	t.Helper()
	cfg := map[string]string{"repository": testRepository}
	for k, v := range overrides {
		cfg[k] = v
	}
	o, err := tryBootstrap(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func tryBootstrap(t *testing.T, overrides map[string]string) (*stacktest.Result, error) {
	t.Helper()
	cfg := stackConfig(t, exampleStack, overrides)
	m := &mocks{region: cfg["aws:region"]}
	o := &stacktest.Result{Stack: exampleStack, Exports: map[string]any{}, SecretExports: map[string]bool{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := Run(ctx); err != nil {
			return err
		}
		return stacktest.CollectExports(ctx, o)
	}, pulumi.WithMocks("streamlake-bootstrap", exampleStack, m), func(info *pulumi.RunInfo) { info.Config = cfg })
	m.mu.Lock()
	o.Resources = m.resources
	m.mu.Unlock()
	sort.Slice(o.Resources, func(i, j int) bool { return o.Resources[i].Name < o.Resources[j].Name })
	return o, err
}

type mocks struct {
	mu        sync.Mutex
	resources []*stacktest.Resource
	region    string
}

// NewResource records the resource and returns its inputs plus the outputs AWS computes.
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &stacktest.Resource{Type: args.TypeToken, Name: args.Name, Inputs: stacktest.Plain(args.Inputs)}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Protect, r.RetainOnDelete, r.DependsOn = rpc.GetProtect(), rpc.GetRetainOnDelete(), rpc.GetDependencies()
	}
	state := args.Inputs.Copy()
	id := args.Name + "-id"
	name, _ := r.Inputs["name"].(string)
	if name == "" {
		name = args.Name + "-0a1b2c3"
	}
	set := func(k, v string) { state[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	switch args.TypeToken {
	case "aws:iam/role:Role":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", testAccount, name))
	case "aws:iam/policy:Policy":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:policy/%s", testAccount, name))
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", testAccount, GitHubOIDCHost))
	case "aws:kms/key:Key":
		set("keyId", "key-"+args.Name)
		set("arn", fmt.Sprintf("arn:aws:kms:%s:%s:key/key-%s", m.region, testAccount, args.Name))
	case "aws:s3/bucketV2:BucketV2":
		id = name
		set("bucket", name)
		set("arn", "arn:aws:s3:::"+name)
	}
	r.State = stacktest.Plain(state)
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, state, nil
}

// Call answers the program's invokes.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if args.Token == "aws:index/getCallerIdentity:getCallerIdentity" {
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": testAccount, "arn": "arn:aws:iam::" + testAccount + ":user/admin", "userId": "AIDA0000", "id": testAccount,
		}), nil
	}
	return nil, fmt.Errorf("mock: unexpected invoke %s", args.Token)
}

// policyOf parses a JSON policy input of a recorded resource.
func policyOf(t *testing.T, r *stacktest.Resource, key string) iampolicy.Document {
	t.Helper()
	s, ok := r.Inputs[key].(string)
	if !ok {
		t.Fatalf("%s %s: %s is not a known string: %v", r.Type, r.Name, key, r.Inputs[key])
	}
	d, err := iampolicy.Parse(s)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Type, r.Name, err)
	}
	return d
}

// exampleAppStacks are the example stack file's appStacks, as Load decodes them.
func exampleAppStacks(t *testing.T) map[string]AppStack {
	t.Helper()
	var example struct {
		Config map[string]any `yaml:"config"`
	}
	readYAML(t, filepath.Join(bootstrapDir, "Pulumi."+exampleStack+".yaml"), &example)
	var out map[string]AppStack
	if err := json.Unmarshal([]byte(configString(t, example.Config["streamlake-bootstrap:appStacks"])), &out); err != nil || len(out) == 0 {
		t.Fatalf("the example stack file's appStacks: %v %v", out, err)
	}
	return out
}
