package stackfile

import (
	"encoding/json"
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
	// Region is the stack's aws:region ("" when the file does not set it).
	Region string
	// Dataset is the dataset whose stream the settings are ("": the default dataset read by
	// ReadOps); ShardCountPath is where its shardCount is set: nested keys under the
	// project's datasets key when the dataset sets its own, else nil (the top-level key).
	Dataset        string
	ShardCountPath []string
}

// KeyDatasets is the key whose value holds the datasets' own settings (stackconfig).
const KeyDatasets = "datasets"

// ReadDatasetOps reads a dataset's ops settings: the stack's, with the dataset's own
// streamMode and shardCount (streamlake:datasets.<dataset>) over them, as stackconfig reads
// them (a dataset that sets streamMode alone gets its shard count default).
func ReadDatasetOps(root, stack, dataset string) (Ops, error) {
	o, err := ReadOps(root, stack)
	if err != nil {
		return Ops{}, err
	}
	o.Dataset = dataset
	cfg, err := Config(root, stack)
	if err != nil {
		return Ops{}, err
	}
	raw := cfg[Qualify(o.Project, KeyDatasets)]
	if raw == "" {
		return o, nil
	}
	var all map[string]map[string]any
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return Ops{}, fmt.Errorf("%s: %s must be an object of datasets, each an object of keys: %w", o.File, KeyDatasets, err)
	}
	own := all[dataset]
	mode, modeSet := own[KeyStreamMode].(string)
	if modeSet {
		if mode != provisioned && mode != onDemand {
			return Ops{}, fmt.Errorf("%s: %s.%s.%s must be %s or %s, got %q", o.File, KeyDatasets, dataset, KeyStreamMode, provisioned, onDemand, mode)
		}
		o.StreamMode, o.ShardCount, o.ShardCountSet = mode, 0, false
		if mode == provisioned {
			o.ShardCount = 1
		}
	}
	if v, ok := own[KeyShardCount]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil || n < 0 {
			return Ops{}, fmt.Errorf("%s: %s.%s.%s must be a whole number, got %v", o.File, KeyDatasets, dataset, KeyShardCount, v)
		}
		o.ShardCount, o.ShardCountSet, o.ShardCountPath = n, true, []string{dataset, KeyShardCount}
	}
	return o, nil
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
	o := Ops{Project: project, File: FileName(stack), StreamMode: cfg[Qualify(project, KeyStreamMode)], Region: cfg["aws:region"]}
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
