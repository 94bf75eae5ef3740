package costplan

import (
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/stackconfig"
)

// FromConfig is a stack's validated configuration as the plan's plain values.
func FromConfig(c *stackconfig.Config) Stack {
	s := Stack{
		Name: c.Stack, Region: c.Region,
		StreamMode: c.StreamMode, ShardCount: c.ShardCount, RetentionHours: c.RetentionHours, ShardLevelMetrics: len(c.ShardLevelMetrics),
		APIRateLimit: c.APIRateLimit, APIQuotaPerDay: c.APIQuotaPerDay, WAF: c.WAF,
		Discovery: string(c.PartitionDiscovery), Projection: c.PartitionDiscovery.Projects(), CrawlerSchedule: c.CrawlerSchedule,
		EventTimePartitioning: c.Partitioning == lakelayout.EventTime,
		FirehoseBufferMiB:     c.FirehoseBufferMiB, FirehoseBufferSeconds: c.FirehoseBufferSeconds,
		ProcessorBufferMiB: c.ProcessorBufferMiB, ProcessorBufferSeconds: c.ProcessorBufferSeconds,
		RawBackup: c.RawBackup, LambdaMemoryMiB: c.LambdaMemoryMiB,
		RawTransitionDays: c.RawTransitionDays, RawStorageClass: c.RawStorageClass, RawExpirationDays: c.RawExpirationDays,
		ErrorsExpirationDays: c.ErrorsExpirationDays, Versioning: c.Versioning, NoncurrentExpirationDays: c.NoncurrentExpirationDays,
		BytesScannedCutoffMiB: c.BytesScannedCutoffMiB, LogRetentionDays: c.LogRetentionDays, SilentAlarm: c.AlarmSilentMinutes > 0,
	}
	if c.WAF {
		s.WAFManagedRules = len(c.WAFManagedRules)
	}
	return s
}

// FromDatasets is each dataset of a stack's validated configuration as the plan's plain
// values, the default first: the stack's values with the dataset's own (streamlake:datasets).
func FromDatasets(c *stackconfig.Config) []Stack {
	out := make([]Stack, len(c.Datasets))
	for i, d := range c.Datasets {
		out[i] = FromConfig(d.Config)
		out[i].Dataset = d.Name
	}
	return out
}
