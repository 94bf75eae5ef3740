package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Config is the stack's typed configuration; package stackconfig declares, reads and
// validates it without Pulumi, so the local lake reads the same keys.
type Config = stackconfig.Config

// Names are the physical names the stack chooses itself (stackconfig.NamesFor).
type Names = stackconfig.Names

// Load reads the configuration of a stack that deploys the datasets ds (nil: the ones built
// into the binary) from the program's context (config.Try, which sees what the Pulumi CLI
// passes) and validates it with stackconfig.Load.
func Load(ctx *pulumi.Context, ds []schema.Dataset) (*Config, error) {
	return stackconfig.Load(stackconfig.Source{
		Datasets: ds,
		Project:  ctx.Project(),
		Stack:    ctx.Stack(),
		Lookup: func(key string) (string, bool) {
			v, err := config.Try(ctx, key)
			return v, err == nil
		},
		Keys: stackConfigKeys,
	})
}

// stackConfigKeys lists every key of the stack's configuration. The Go SDK has no accessor for
// the whole set: pulumi.Run fills the context from the PULUMI_CONFIG environment variable, a
// JSON object of every key that the Go language host sets (sdk v3.263.0: getEnvInfo in
// go/pulumi/run.go; pulumi-language-go constructEnv). The program reads the same variable;
// the mocks harness passes configuration the same way.
func stackConfigKeys() ([]string, error) {
	raw, ok := os.LookupEnv(pulumi.EnvConfig)
	if !ok {
		return nil, fmt.Errorf("cannot list the stack's configuration keys: %s is not set (the Go language host sets it; run the program through pulumi)", pulumi.EnvConfig)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil, fmt.Errorf("cannot list the stack's configuration keys: %s: %w", pulumi.EnvConfig, err)
	}
	return slices.Sorted(maps.Keys(cfg)), nil
}
