package stackconfig

import (
	"fmt"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/lakelayout"
)

// delivery checks the Firehose rules that depend on other keys, with the limits AWS applies
// at deploy time. The delivery component checks the assembled stream again.
func (v *validation) delivery(c *Config) {
	minInterval, why := 0, ""
	switch {
	case c.Partitioning == lakelayout.EventTime:
		minInterval, why = awsrules.MinDynamicPartitioningBufferSeconds, "with partitioning event-time"
	case c.RawBackup:
		minInterval, why = awsrules.MinBackupBufferSeconds, "with rawBackup (the S3 backup has no zero buffering)"
	}
	if c.FirehoseBufferSeconds < minInterval || c.FirehoseBufferSeconds > awsrules.MaxBufferSeconds {
		v.check(fmt.Errorf("firehoseBufferSeconds must be between %d and %d %s, got %d", minInterval, awsrules.MaxBufferSeconds, why, c.FirehoseBufferSeconds))
	}
}

// alarms checks the alarm thresholds that depend on the resources they watch.
func (v *validation) alarms(c *Config) {
	if c.AlarmIteratorAgeMinutes < 0 || c.AlarmIteratorAgeMinutes >= c.RetentionHours*60 {
		v.check(fmt.Errorf("alarmIteratorAgeMinutes must be 0 (derived from retention) or below the retention of %d minutes, got %d: an alarm at retention fires after data is lost", c.RetentionHours*60, c.AlarmIteratorAgeMinutes))
	}
	if c.AlarmFreshnessSeconds < 0 || (c.AlarmFreshnessSeconds > 0 && c.AlarmFreshnessSeconds <= c.FirehoseBufferSeconds) {
		v.check(fmt.Errorf("alarmFreshnessSeconds must be 0 (derived) or above firehoseBufferSeconds (%d), got %d: data is normally that old", c.FirehoseBufferSeconds, c.AlarmFreshnessSeconds))
	}
}
