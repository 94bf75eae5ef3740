package stacks

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/transform"
)

// validateDelivery checks the Firehose and Lambda keys with the rules AWS applies at deploy
// time, naming the key. The delivery component checks the assembled stream again.
func (c *Config) validateDelivery(check func(error)) {
	if c.Partitioning != components.EventTime && c.Partitioning != components.ArrivalTime {
		check(fmt.Errorf("partitioning must be %q or %q, got %q", components.EventTime, components.ArrivalTime, c.Partitioning))
	}
	if c.FirehoseBufferMb < awsrules.MinConversionBufferMiB || c.FirehoseBufferMb > awsrules.MaxBufferMiB {
		check(fmt.Errorf("firehoseBufferMb must be between %d and %d: Parquet conversion needs a buffer of at least %d MiB, got %d",
			awsrules.MinConversionBufferMiB, awsrules.MaxBufferMiB, awsrules.MinConversionBufferMiB, c.FirehoseBufferMb))
	}
	minInterval, why := 0, ""
	switch {
	case c.Partitioning == components.EventTime:
		minInterval, why = awsrules.MinDynamicPartitioningBufferSeconds, "with partitioning event-time"
	case c.RawBackup:
		minInterval, why = awsrules.MinBackupBufferSeconds, "with rawBackup (the S3 backup has no zero buffering)"
	}
	if c.FirehoseBufferSeconds < minInterval || c.FirehoseBufferSeconds > awsrules.MaxBufferSeconds {
		check(fmt.Errorf("firehoseBufferSeconds must be between %d and %d %s, got %d", minInterval, awsrules.MaxBufferSeconds, why, c.FirehoseBufferSeconds))
	}
	maxProc := min(awsrules.MaxProcessorBufferMiB, transform.SafeProcessorBufferMiB)
	if c.ProcessorBufferMb < awsrules.MinProcessorBufferMiB || c.ProcessorBufferMb > maxProc {
		check(fmt.Errorf("processorBufferMb must be between %g and %g (a larger batch could make the Lambda's response exceed its 6 MB limit), got %g",
			awsrules.MinProcessorBufferMiB, maxProc, c.ProcessorBufferMb))
	}
	if c.ProcessorBufferSeconds < awsrules.MinProcessorBufferSeconds || c.ProcessorBufferSeconds > awsrules.MaxProcessorBufferSeconds {
		check(fmt.Errorf("processorBufferSeconds must be between %d and %d, got %d", awsrules.MinProcessorBufferSeconds, awsrules.MaxProcessorBufferSeconds, c.ProcessorBufferSeconds))
	}
	if c.ProcessorRetries < 0 || c.ProcessorRetries > awsrules.MaxProcessorRetries {
		check(fmt.Errorf("processorRetries must be between 0 and %d, got %d", awsrules.MaxProcessorRetries, c.ProcessorRetries))
	}
	if c.DeliveryRetrySeconds < 0 || c.DeliveryRetrySeconds > 7200 {
		check(fmt.Errorf("deliveryRetrySeconds must be between 0 and 7200, got %d", c.DeliveryRetrySeconds))
	}
	if c.LambdaMemoryMb < components.MinLambdaMemoryMB || c.LambdaMemoryMb > components.MaxLambdaMemoryMB {
		check(fmt.Errorf("lambdaMemoryMb must be between %d and %d, got %d", components.MinLambdaMemoryMB, components.MaxLambdaMemoryMB, c.LambdaMemoryMb))
	}
	if c.LambdaTimeoutSeconds < components.MinFirehoseLambdaTimeout || c.LambdaTimeoutSeconds > components.MaxFirehoseLambdaTimeout {
		check(fmt.Errorf("lambdaTimeoutSeconds must be between %d and %d for a Firehose transform, got %d", components.MinFirehoseLambdaTimeout, components.MaxFirehoseLambdaTimeout, c.LambdaTimeoutSeconds))
	}
	if c.LambdaReservedConcurrency < 0 {
		check(fmt.Errorf("lambdaReservedConcurrency must be 0 (unreserved) or positive, got %d", c.LambdaReservedConcurrency))
	}
	switch c.LambdaLogLevel {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		check(fmt.Errorf("lambdaLogLevel must be DEBUG, INFO, WARN or ERROR, got %q", c.LambdaLogLevel))
	}
}

// validateAlarms checks the alarm keys.
func (c *Config) validateAlarms(check func(error)) {
	for _, e := range c.AlarmEmails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			check(fmt.Errorf("alarmEmails: %q is not a plain e-mail address", e))
		}
	}
	for _, u := range c.AlarmHTTPSEndpoints {
		if !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t\n") {
			check(fmt.Errorf("alarmHttpsEndpoints: %q must be an https:// URL", u))
		}
	}
	positive := []struct {
		key string
		v   int
	}{
		{"alarmApi5xxPerPeriod", c.AlarmAPI5xxPerPeriod},
		{"alarmApiLatencyP99Ms", c.AlarmAPILatencyP99Ms},
		{"alarmThrottlePeriods", c.AlarmThrottlePeriods},
	}
	for _, p := range positive {
		if p.v < 1 {
			check(fmt.Errorf("%s must be at least 1, got %d", p.key, p.v))
		}
	}
	if c.AlarmAPI4xxRatePercent <= 0 || c.AlarmAPI4xxRatePercent > 100 {
		check(fmt.Errorf("alarmApi4xxRatePercent must be > 0 and <= 100, got %g", c.AlarmAPI4xxRatePercent))
	}
	if c.AlarmLambdaDurationPercent < 10 || c.AlarmLambdaDurationPercent > 100 {
		check(fmt.Errorf("alarmLambdaDurationPercent must be between 10 and 100, got %d", c.AlarmLambdaDurationPercent))
	}
	if c.AlarmIteratorAgeMinutes < 0 || c.AlarmIteratorAgeMinutes >= c.RetentionHours*60 {
		check(fmt.Errorf("alarmIteratorAgeMinutes must be 0 (derived from retention) or below the retention of %d minutes, got %d: an alarm at retention fires after data is lost", c.RetentionHours*60, c.AlarmIteratorAgeMinutes))
	}
	if c.AlarmFreshnessSeconds < 0 || (c.AlarmFreshnessSeconds > 0 && c.AlarmFreshnessSeconds <= c.FirehoseBufferSeconds) {
		check(fmt.Errorf("alarmFreshnessSeconds must be 0 (derived) or above firehoseBufferSeconds (%d), got %d: data is normally that old", c.FirehoseBufferSeconds, c.AlarmFreshnessSeconds))
	}
	if c.AlarmSilentMinutes < 0 || (c.AlarmSilentMinutes > 0 && c.AlarmSilentMinutes < 5) {
		check(fmt.Errorf("alarmSilentMinutes must be 0 (off) or at least 5, got %d", c.AlarmSilentMinutes))
	}
}
