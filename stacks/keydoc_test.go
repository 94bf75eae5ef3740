package stacks_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stacks"
)

var update = flag.Bool("update", false, "rewrite the generated config blocks of Pulumi.yaml and the README")

// configTableFile is where the README's configuration table lives (relative to the module root).
const configTableFile = "README.md"

// TestConfigDocsAreGenerated: Pulumi.yaml's config block and the README's configuration table
// are exactly what the table of keys renders; `go test ./stacks -run TestConfigDocs -update`
// rewrites them.
func TestConfigDocsAreGenerated(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	values := stackValues(t, root)
	for _, target := range []struct {
		file, begin, end, content string
	}{
		{"Pulumi.yaml", stacks.ProjectConfigBegin, stacks.ProjectConfigEnd, stacks.ProjectConfig(stacks.Keys())},
		{configTableFile, stacks.ConfigTableBegin, stacks.ConfigTableEnd, stacks.ConfigTable(stacks.Keys(), values)},
	} {
		path := filepath.Join(root, target.file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := stacks.ReplaceBlock(string(b), target.begin, target.end, target.content)
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
		t.Errorf("%s differs from the table of keys in stacks/keys.go: run `go test ./stacks -run TestConfigDocs -update`\n%s",
			target.file, firstDifference(string(b), want))
	}
}

// stackValues reads what each stack file sets, keyed as the table declares keys.
func stackValues(t *testing.T, root string) []stacks.StackValues {
	t.Helper()
	project, err := stacktest.Project()
	if err != nil {
		t.Fatal(err)
	}
	names, err := stacktest.Stacks()
	if err != nil {
		t.Fatal(err)
	}
	var out []stacks.StackValues
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
		out = append(out, stacks.StackValues{Name: name, Values: v})
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

// TestSchemaDocsAreGenerated: the README's schema table is what schema/events.yaml renders;
// `go test ./stacks -run TestSchemaDocs -update` rewrites it.
func TestSchemaDocsAreGenerated(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, configTableFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := stacks.ReplaceBlock(string(b), schema.DocTableBegin, schema.DocTableEnd, schema.Default().DocTable(schema.EmbeddedFile))
	if err != nil {
		t.Fatalf("%s: %v", configTableFile, err)
	}
	switch {
	case want == string(b):
	case *update:
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s's schema table differs from %s: run `go test ./stacks -run TestSchemaDocs -update`\n%s",
			configTableFile, schema.EmbeddedFile, firstDifference(string(b), want))
	}
}

// A key routine operations change (shardCount, by `streamlake shards --to N --write`) is not
// copied into the README table: a resharding pull request then changes the stack file alone
// and TestConfigDocsAreGenerated still passes.
func TestChangedByOpsValuesNotCopied(t *testing.T) {
	var keys []stacks.Key
	for _, k := range stacks.Keys() {
		if k.Name == "shardCount" || k.Name == "retentionHours" {
			keys = append(keys, k)
		}
	}
	a := stacks.ConfigTable(keys, []stacks.StackValues{{Name: "prod", Values: map[string]any{"shardCount": 4, "retentionHours": 168}}})
	b := stacks.ConfigTable(keys, []stacks.StackValues{{Name: "prod", Values: map[string]any{"shardCount": 8, "retentionHours": 168}}})
	if a != b || !strings.Contains(a, "| set in the file |") || !strings.Contains(a, "| `168` |") {
		t.Errorf("tables:\n%s\n%s", a, b)
	}
}
