package stackconfig_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

var update = flag.Bool("update", false, "rewrite the generated config blocks of Pulumi.yaml and docs/config.md")

// configTableFile is where the configuration table lives (relative to the module root).
const configTableFile = "docs/config.md"

// TestConfigDocsAreGenerated: Pulumi.yaml's config block and docs/config.md's configuration table
// are exactly what the table of keys renders; `go test ./stackconfig -run TestConfigDocs -update`
// rewrites them.
func TestConfigDocsAreGenerated(t *testing.T) {
	root := moduleRoot(t)
	values := stackValues(t, root)
	for _, target := range []struct {
		file, begin, end, content string
	}{
		{"Pulumi.yaml", stackconfig.ProjectConfigBegin, stackconfig.ProjectConfigEnd, stackconfig.ProjectConfig(stackconfig.Keys())},
		{configTableFile, stackconfig.ConfigTableBegin, stackconfig.ConfigTableEnd, stackconfig.ConfigTable(stackconfig.Keys(), values)},
		{"docs/datasets.md", stackconfig.DatasetKeysBegin, stackconfig.DatasetKeysEnd, stackconfig.DatasetKeys(stackconfig.Keys())},
	} {
		path := filepath.Join(root, target.file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := stackconfig.ReplaceBlock(string(b), target.begin, target.end, target.content)
		if err != nil {
			t.Fatalf("%s: %v", target.file, err)
		}
		if want == string(b) {
			continue
		}
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s differs from the table of keys in stackconfig/keys.go: run `go test ./stackconfig -run TestConfigDocs -update`\n%s",
			target.file, firstDifference(string(b), want))
	}
}

// stackValues reads what each stack file sets, keyed as the table declares keys.
func stackValues(t *testing.T, root string) []stackconfig.StackValues {
	t.Helper()
	project, err := stackfile.ProjectName(root)
	if err != nil {
		t.Fatal(err)
	}
	names, err := stackconfig.StackNames(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []stackconfig.StackValues
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(root, "Pulumi."+name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		v := map[string]any{}
		for k, val := range f.Config {
			v[strings.TrimPrefix(k, project+":")] = val
		}
		out = append(out, stackconfig.StackValues{Name: name, Values: v})
	}
	return out
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  file:      " + g[i] + "\n  generated: " + w[i]
		}
	}
	return "the files differ in length"
}

// moduleRoot is the module root, which holds Pulumi.yaml and the stack files.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := lambdapkg.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// A key routine operations change (shardCount, by `streamlake shards --to N --write`) is not
// copied into the configuration table: a resharding pull request then changes the stack file alone
// and TestConfigDocsAreGenerated still passes.
func TestChangedByOpsValuesNotCopied(t *testing.T) {
	var keys []stackconfig.Key
	for _, k := range stackconfig.Keys() {
		if k.Name == "shardCount" || k.Name == "retentionHours" {
			keys = append(keys, k)
		}
	}
	a := stackconfig.ConfigTable(keys, []stackconfig.StackValues{{Name: "prod", Values: map[string]any{"shardCount": 4, "retentionHours": 168}}})
	b := stackconfig.ConfigTable(keys, []stackconfig.StackValues{{Name: "prod", Values: map[string]any{"shardCount": 8, "retentionHours": 168}}})
	if a != b || !strings.Contains(a, "| set in the file |") || !strings.Contains(a, "| `168` |") {
		t.Errorf("tables:\n%s\n%s", a, b)
	}
}
