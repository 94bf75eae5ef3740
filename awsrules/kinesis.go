package awsrules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kinesis stream capacity modes.
const (
	Provisioned = "PROVISIONED"
	OnDemand    = "ON_DEMAND"
)

// Kinesis limits used by validation and the shard planner.
const (
	// MaxShards is the default per-account shard quota in the largest regions; a stack asking
	// for more needs a quota increase first, which we want to be a deliberate decision.
	MaxShards = 500
	// MinRetentionHours and MaxRetentionHours bound a stream's retention period.
	MinRetentionHours = 24
	MaxRetentionHours = 8760
	// MaxReshardsPerDay is how many UpdateShardCount calls AWS allows per rolling 24 hours.
	MaxReshardsPerDay = 10
	// Per-shard throughput limits.
	ShardWriteBytesPerSec   = 1 << 20
	ShardWriteRecordsPerSec = 1000
	ShardReadBytesPerSec    = 2 << 20
	// MaxRecordBytes is the largest data blob plus partition key of one record.
	MaxRecordBytes = 1 << 20
	// MaxPutRecordsCount and MaxPutRecordsBytes bound one PutRecords request.
	MaxPutRecordsCount = 500
	MaxPutRecordsBytes = 5 << 20
)

// ShardLevelMetricNames are the enhanced (shard-level) metrics a stream can enable.
var ShardLevelMetricNames = []string{
	"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
	"IteratorAgeMilliseconds",
}

// CheckStreamMode checks the capacity mode and the shard count that goes with it.
func CheckStreamMode(mode string, shardCount int) error {
	switch mode {
	case Provisioned:
		if shardCount < 1 || shardCount > MaxShards {
			return fmt.Errorf("shardCount must be between 1 and %d for streamMode %s, got %d", MaxShards, Provisioned, shardCount)
		}
	case OnDemand:
		// AWS rejects a shard count on an on-demand stream; it sizes itself.
		if shardCount != 0 {
			return fmt.Errorf("shardCount must be unset (0) for streamMode %s, got %d: on-demand streams size themselves", OnDemand, shardCount)
		}
	default:
		return fmt.Errorf("streamMode must be %s or %s, got %q", Provisioned, OnDemand, mode)
	}
	return nil
}

// CheckRetentionHours checks a stream's retention period.
func CheckRetentionHours(h int) error {
	if h < MinRetentionHours || h > MaxRetentionHours {
		return fmt.Errorf("retentionHours must be between %d and %d, got %d", MinRetentionHours, MaxRetentionHours, h)
	}
	return nil
}

// CheckShardLevelMetrics checks enhanced metric names (each once).
func CheckShardLevelMetrics(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(ShardLevelMetricNames, n) {
			return fmt.Errorf("shardLevelMetrics: %q is not a shard-level metric (one of %v)", n, ShardLevelMetricNames)
		}
		if seen[n] {
			return fmt.Errorf("shardLevelMetrics: %q listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// ShardRange returns the shard counts one UpdateShardCount call may move current to:
// at least half (rounded up) and at most double, within [1, MaxShards].
func ShardRange(current int) (lo, hi int) {
	lo = (current + 1) / 2
	hi = current * 2
	if lo < 1 {
		lo = 1
	}
	if hi > MaxShards {
		hi = MaxShards
	}
	return lo, hi
}

// CheckShardStep reports whether AWS accepts changing a provisioned stream from current to
// target shards in one step. Its error names the allowed range and the next safe step.
func CheckShardStep(current, target int) error {
	if current <= 0 || current == target {
		return nil
	}
	lo, hi := ShardRange(current)
	if target >= lo && target <= hi {
		return nil
	}
	path := ReshardPath(current, target)
	next := target
	if len(path) > 0 {
		next = path[0]
	}
	steps := []string{strconv.Itoa(current)}
	for _, n := range path {
		steps = append(steps, strconv.Itoa(n))
	}
	return fmt.Errorf("shardCount %d -> %d is more than one step: UpdateShardCount may at most double or halve, so from %d the allowed range is %d..%d; "+
		"set shardCount to %d, deploy, then continue (path %s, at most %d changes per rolling 24 h; `streamlake shards --to %d --stack <stack>` plans the pull requests)",
		current, target, current, lo, hi, next, strings.Join(steps, " -> "), MaxReshardsPerDay, target)
}

// ReshardPath returns the shard counts to apply, one deploy each, to get from current to
// target while respecting the one-step limits. The last element is target.
func ReshardPath(current, target int) []int {
	var path []int
	for current != target && current > 0 {
		lo, hi := ShardRange(current)
		switch {
		case target > hi:
			current = hi
		case target < lo:
			current = lo
		default:
			current = target
		}
		path = append(path, current)
	}
	return path
}
