package stackconfig_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/stackconfig"
)

func TestFindUnknownKeys(t *testing.T) {
	tests := []struct {
		set  []string
		want []stackconfig.UnknownKey
	}{
		{[]string{"streamlake:shardCount", "aws:region", "aws:profile", "pulumi:tags"}, nil},
		{[]string{"streamlake:shardcount"}, []stackconfig.UnknownKey{{Key: "streamlake:shardcount", Suggestion: "streamlake:shardCount"}}},
		{[]string{"streamlake:shard_count"}, []stackconfig.UnknownKey{{Key: "streamlake:shard_count", Suggestion: "streamlake:shardCount"}}},
		{[]string{"streamlake:lambdaMemoryMiB"}, []stackconfig.UnknownKey{{Key: "streamlake:lambdaMemoryMiB", Suggestion: "streamlake:lambdaMemoryMb"}}},
		{[]string{"streamlake:xyzzy"}, []stackconfig.UnknownKey{{Key: "streamlake:xyzzy"}}},
		{[]string{"aws:regoin"}, []stackconfig.UnknownKey{{Key: "aws:regoin", Suggestion: "aws:region"}}},
		{[]string{"aws:profiles"}, []stackconfig.UnknownKey{{Key: "aws:profiles", Suggestion: "aws:profile"}}},
		{[]string{"aws:skipCredentialValidation"}, []stackconfig.UnknownKey{{Key: "aws:skipCredentialValidation", Suggestion: "aws:skipCredentialsValidation"}}},
		{[]string{"aws:assumeRole", "aws:defaultTags", "aws:someFutureSetting", "other:regoin"}, nil},
	}
	for _, tt := range tests {
		if got := stackconfig.FindUnknownKeys("streamlake", stackconfig.Keys(), tt.set); !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.set, got, tt.want)
		}
	}
}

// TestAWSProviderKeysMatchTheProvider: the list of valid aws:* keys is the provider's own
// (pulumi-aws's sdk/go/aws/config in the module cache, at the version go.mod requires).
func TestAWSProviderKeysMatchTheProvider(t *testing.T) {
	root := moduleRoot(t)
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
	if got := slices.Sorted(slices.Values(stackconfig.AWSProviderKeys)); !slices.Equal(got, keys) || len(keys) < 30 {
		t.Errorf("AWSProviderKeys %v\nthe provider reads %v", got, keys)
	}
}
