package stacks_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stacks"
)

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
		_, err := stacks.Load(ctx, nil)
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

// TestFilesAndProgramReadTheSameConfig: stackconfig.FromFiles (the local lake's reader) gives
// exactly what Load gives the program under the Pulumi CLI's configuration, for every stack,
// with and without overrides.
func TestFilesAndProgramReadTheSameConfig(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	names, err := stacktest.Stacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range names {
		for _, set := range []map[string]string{nil, {"unknownFields": "reject", "aws:region": "us-east-2"}} {
			fromProgram, err := load(t, stack, set)
			if err != nil {
				t.Fatal(err)
			}
			fromFiles, err := stackconfig.FromFiles(root, stack, set)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromFiles, fromProgram) {
				t.Errorf("%s %v: from the files\n %+v\nfrom the program\n %+v", stack, set, fromFiles, fromProgram)
			}
		}
	}
	// Errors are the program's too: a bad value and an unknown key, all at once.
	_, err = stackconfig.FromFiles(root, "dev", map[string]string{"shardCount": "0", "shardcount": "2"})
	for _, want := range []string{"streamlake:shardcount: did you mean streamlake:shardCount?", "shardCount must be between 1 and 500"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %q", err, want)
		}
	}
}
