package stacks_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/stacks"
)

func TestFindUnknownKeys(t *testing.T) {
	tests := []struct {
		set  []string
		want []stacks.UnknownKey
	}{
		{[]string{"streamlake:shardCount", "aws:region", "aws:profile", "pulumi:tags"}, nil},
		{[]string{"streamlake:shardcount"}, []stacks.UnknownKey{{Key: "streamlake:shardcount", Suggestion: "streamlake:shardCount"}}},
		{[]string{"streamlake:shard_count"}, []stacks.UnknownKey{{Key: "streamlake:shard_count", Suggestion: "streamlake:shardCount"}}},
		{[]string{"streamlake:lambdaMemoryMiB"}, []stacks.UnknownKey{{Key: "streamlake:lambdaMemoryMiB", Suggestion: "streamlake:lambdaMemoryMb"}}},
		{[]string{"streamlake:xyzzy"}, []stacks.UnknownKey{{Key: "streamlake:xyzzy"}}},
		{[]string{"aws:regoin"}, []stacks.UnknownKey{{Key: "aws:regoin", Suggestion: "aws:region"}}},
		{[]string{"aws:profiles"}, []stacks.UnknownKey{{Key: "aws:profiles", Suggestion: "aws:profile"}}},
		{[]string{"aws:skipCredentialValidation"}, []stacks.UnknownKey{{Key: "aws:skipCredentialValidation", Suggestion: "aws:skipCredentialsValidation"}}},
		{[]string{"aws:assumeRole", "aws:defaultTags", "aws:someFutureSetting", "other:regoin"}, nil},
	}
	for _, tt := range tests {
		if got := stacks.FindUnknownKeys("streamlake", stacks.Keys(), tt.set); !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.set, got, tt.want)
		}
	}
}

// TestAWSProviderKeysMatchTheProvider: the list of valid aws:* keys is the provider's own
// (pulumi-aws's sdk/go/aws/config in the module cache, at the version go.mod requires).
func TestAWSProviderKeysMatchTheProvider(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi-aws/sdk/v6")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("locate pulumi-aws: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "go", "aws", "config", "config.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`"(aws:[A-Za-z0-9]+)"`).FindAllStringSubmatch(string(src), -1)
	var keys []string
	for _, m := range found {
		keys = append(keys, m[1])
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	if got := slices.Sorted(slices.Values(stacks.AWSProviderKeys)); !slices.Equal(got, keys) || len(keys) < 30 {
		t.Errorf("AWSProviderKeys %v\nthe provider reads %v", got, keys)
	}
}

// TestConfigKeysComeFromTheLanguageHostsVariable: the program lists the stack's keys from
// PULUMI_CONFIG, as the Go language host passes them; without it Load refuses to guess.
func TestConfigKeysComeFromTheLanguageHostsVariable(t *testing.T) {
	project, err := stacktest.Project()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stacktest.StackConfig("dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := os.LookupEnv(pulumi.EnvConfig); ok {
		t.Skip(pulumi.EnvConfig + " is set in the test's environment")
	}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := stacks.Load(ctx)
		return err
	}, pulumi.WithMocks(project, "dev", noResources{}), func(info *pulumi.RunInfo) { info.Config = cfg })
	if err == nil || !strings.Contains(err.Error(), "cannot list the stack's configuration keys: PULUMI_CONFIG is not set") {
		t.Errorf("got %v", err)
	}
	// Through the harness, which sets the variable, the same stack loads.
	if _, err := load(t, "dev", nil); err != nil {
		t.Errorf("through the harness: %v", err)
	}
}

// noResources is a mock monitor for a program that only loads its configuration.
type noResources struct{}

func (noResources) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name, args.Inputs, nil
}

func (noResources) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}
