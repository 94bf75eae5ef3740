package stackfile

import (
	"fmt"
	"strconv"
	"strings"
)

// Keys the ops CLI reads, in the project's namespace (stackconfig/keys.go declares them; a test in
// tests/ checks the names and that Ops agrees with the program's Load for every stack).
const (
	KeyStreamMode   = "streamMode"
	KeyShardCount   = "shardCount"
	KeyAPIRateLimit = "apiRateLimit"
)

// Stream capacity modes (awsrules.Provisioned and awsrules.OnDemand).
const (
	provisioned = "PROVISIONED"
	onDemand    = "ON_DEMAND"
)

// Ops is what the ops CLI needs of a stack's configuration, with the program's defaults.
type Ops struct {
	Project string
	// File is the stack file's name (Pulumi.<stack>.yaml).
	File       string
	StreamMode string
	// ShardCount is the provisioned shard count: the stack file's, else 1 with PROVISIONED;
	// 0 with ON_DEMAND.
	ShardCount int
	// ShardCountSet reports whether the stack file sets shardCount.
	ShardCountSet bool
	// APIRateLimit is the stage's steady-state requests per second.
	APIRateLimit float64
}

// ReadOps reads a stack's ops settings from the project directory root.
func ReadOps(root, stack string) (Ops, error) {
	project, err := ProjectName(root)
	if err != nil {
		return Ops{}, err
	}
	cfg, err := Config(root, stack)
	if err != nil {
		return Ops{}, err
	}
	o := Ops{Project: project, File: FileName(stack), StreamMode: cfg[Qualify(project, KeyStreamMode)]}
	bad := func(key, want string) error {
		return fmt.Errorf("%s: %s must be %s, got %q", o.File, key, want, cfg[Qualify(project, key)])
	}
	if o.StreamMode == "" {
		o.StreamMode = provisioned
	}
	if o.StreamMode != provisioned && o.StreamMode != onDemand {
		return Ops{}, bad(KeyStreamMode, provisioned+" or "+onDemand)
	}
	if v := strings.TrimSpace(cfg[Qualify(project, KeyShardCount)]); v != "" && v != "0" {
		if o.ShardCount, err = strconv.Atoi(v); err != nil || o.ShardCount < 0 {
			return Ops{}, bad(KeyShardCount, "a whole number")
		}
		o.ShardCountSet = true
	} else if o.StreamMode == provisioned {
		o.ShardCount = 1
	}
	if v := cfg[Qualify(project, KeyAPIRateLimit)]; v != "" {
		if o.APIRateLimit, err = strconv.ParseFloat(v, 64); err != nil || !(o.APIRateLimit > 0) {
			return Ops{}, bad(KeyAPIRateLimit, "a positive number")
		}
	}
	return o, nil
}

// OnDemand reports whether the stack's stream sizes itself.
func (o Ops) OnDemand() bool { return o.StreamMode == onDemand }
