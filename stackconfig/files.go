package stackconfig

import (
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackfile"
)

// StackNames lists the stacks that have a Pulumi.<stack>.yaml file in root.
func StackNames(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(out)
	return out, nil
}

// FromFiles reads and validates a stack's configuration from the project's files in root, as
// `pulumi preview` would pass it to the program (stackfile.Config), with the values of set on
// top (keys as `pulumi config set` takes them: unqualified ones are in the project namespace).
func FromFiles(root, stack string, set map[string]string) (*Config, error) {
	return FromFilesWith(root, stack, set, nil)
}

// FromFilesWith is FromFiles for a stack that deploys the datasets ds (nil: the ones built
// into this binary), as tests and the local lake run the example dataset.
func FromFilesWith(root, stack string, set map[string]string, ds []schema.Dataset) (*Config, error) {
	project, err := stackfile.ProjectName(root)
	if err != nil {
		return nil, err
	}
	values, err := stackfile.Config(root, stack)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		values[stackfile.Qualify(project, k)] = v
	}
	return Load(Source{
		Project:  project,
		Stack:    stack,
		Lookup:   func(key string) (string, bool) { v, ok := values[key]; return v, ok },
		Keys:     func() ([]string, error) { return slices.Sorted(maps.Keys(values)), nil },
		Datasets: ds,
	})
}
