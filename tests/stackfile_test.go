package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
	slstacks "github.com/streamlake/streamlake/stacks"
)

// TestOpsSettingsAgreeWithLoad: what the ops CLI reads of a stack (stackfile.ReadOps, without
// the Pulumi SDK) is what the program's Load makes of the same configuration, for every stack
// file and for the shardCount/streamMode variants whose defaults differ.
func TestOpsSettingsAgreeWithLoad(t *testing.T) {
	var names []string
	for _, k := range stackconfig.Keys() {
		names = append(names, k.Name)
	}
	for _, k := range []string{stackfile.KeyStreamMode, stackfile.KeyShardCount, stackfile.KeyAPIRateLimit} {
		if !slices.Contains(names, k) {
			t.Errorf("stackfile reads %q, which stackconfig/keys.go does not declare", k)
		}
	}
	stacks, err := stacktest.Stacks()
	if err != nil {
		t.Fatal(err)
	}
	type variant struct {
		stack  string
		config map[string]string
		unset  []string
	}
	variants := []variant{
		{stack: "prod", unset: []string{"shardCount"}},
		{stack: "dev", config: map[string]string{"streamMode": "ON_DEMAND"}, unset: []string{"shardCount"}},
		{stack: "dev", config: map[string]string{"apiRateLimit": "7.5", "shardCount": "3"}},
	}
	for _, s := range stacks {
		variants = append(variants, variant{stack: s})
	}
	for _, v := range variants {
		cfg := loadConfig(t, v.stack, v.config, v.unset)
		ops := readOpsOf(t, v.stack, v.config, v.unset)
		if ops.StreamMode != cfg.StreamMode || ops.ShardCount != cfg.ShardCount || ops.APIRateLimit != cfg.APIRateLimit {
			t.Errorf("%+v: stackfile reads mode %s, %d shards, rate %g; Load: %s, %d, %g", v, ops.StreamMode, ops.ShardCount, ops.APIRateLimit, cfg.StreamMode, cfg.ShardCount, cfg.APIRateLimit)
		}
	}
}

func loadConfig(t *testing.T, stack string, config map[string]string, unset []string) *slstacks.Config {
	t.Helper()
	cfg, err := loadConfigErr(stack, config, unset)
	if err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	return cfg
}

// readOpsOf writes the stack file with the variant applied into a copy of the project and
// reads it as the CLI does.
func readOpsOf(t *testing.T, stack string, config map[string]string, unset []string) stackfile.Ops {
	t.Helper()
	ops, err := stackfile.ReadOps(variantProject(t, stack, config, unset), stack)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// variantProject writes the project file and the stack file with the variant applied into a
// temporary directory.
func variantProject(t *testing.T, stack string, config map[string]string, unset []string) string {
	t.Helper()
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(root, stackfile.ProjectFile))
	if err != nil {
		t.Fatal(err)
	}
	var sf struct {
		Config map[string]any `yaml:"config"`
	}
	b, err := os.ReadFile(stackfile.Path(root, stack))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &sf); err != nil {
		t.Fatal(err)
	}
	for _, k := range unset {
		delete(sf.Config, "streamlake:"+k)
	}
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = "streamlake:" + k
		}
		sf.Config[k] = v
	}
	out, err := yaml.Marshal(sf)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{stackfile.ProjectFile: project, stackfile.FileName(stack): out} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
