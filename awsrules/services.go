package awsrules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// LogRetentionDays are the only retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// CheckLogRetention checks a log group retention.
func CheckLogRetention(days int) error {
	if !slices.Contains(LogRetentionDays, days) {
		return fmt.Errorf("logRetentionDays must be one of %v (CloudWatch Logs accepts no other value), got %d", LogRetentionDays, days)
	}
	return nil
}

var cronField = regexp.MustCompile(`^[0-9A-Za-z*?,/#L W-]+$`)

// CheckSchedule checks an AWS cron(...) or rate(...) expression as Glue and EventBridge read
// it: six cron fields, with exactly one of day-of-month and day-of-week being '?'.
func CheckSchedule(expr string) error {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return fmt.Errorf("schedule %q: Glue crawlers take cron(...) only, not rate(...)", expr)
	case !strings.HasPrefix(expr, "cron(") || !strings.HasSuffix(expr, ")"):
		return fmt.Errorf("schedule %q must be cron(minutes hours day-of-month month day-of-week year)", expr)
	}
	fields := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
	if len(fields) != 6 {
		return fmt.Errorf("schedule %q has %d fields, AWS cron needs 6 (minutes hours day-of-month month day-of-week year)", expr, len(fields))
	}
	for _, f := range fields {
		if !cronField.MatchString(f) {
			return fmt.Errorf("schedule %q: field %q has characters AWS cron does not allow", expr, f)
		}
	}
	if (fields[2] == "?") == (fields[4] == "?") {
		return fmt.Errorf("schedule %q: exactly one of day-of-month (%s) and day-of-week (%s) must be '?'", expr, fields[2], fields[4])
	}
	if fields[0] == "*" || fields[0] == "0/1" || fields[0] == "*/1" {
		return fmt.Errorf("schedule %q runs every minute; Glue crawlers may run at most every 5 minutes", expr)
	}
	return nil
}

// S3 storage classes a lifecycle rule may transition to, with the minimum age in days AWS
// accepts for that transition from STANDARD.
var TransitionMinDays = map[string]int{
	"STANDARD_IA":         30,
	"ONEZONE_IA":          30,
	"INTELLIGENT_TIERING": 0,
	"GLACIER_IR":          0,
	"GLACIER":             0,
	"DEEP_ARCHIVE":        0,
}

// CheckTransition checks a lifecycle transition and the expiration that follows it
// (expireDays 0 means never).
func CheckTransition(key string, class string, days, expireDays int) error {
	min, ok := TransitionMinDays[class]
	switch {
	case !ok:
		return fmt.Errorf("%s: storage class %q is not one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE", key, class)
	case days < min:
		return fmt.Errorf("%s: objects must be at least %d days old to move to %s, got %d", key, min, class, days)
	case expireDays != 0 && expireDays <= days:
		return fmt.Errorf("%s: expiration (%d days) must come after the transition (%d days)", key, expireDays, days)
	}
	return nil
}

// MinBytesScannedCutoff is Athena's smallest per-query data usage control (10 MB).
const MinBytesScannedCutoff = 10_000_000

// CheckBytesScannedCutoffMB checks an Athena per-query cutoff given in MB (10^6 bytes).
func CheckBytesScannedCutoffMB(mb int) error {
	if int64(mb)*1_000_000 < MinBytesScannedCutoff {
		return fmt.Errorf("bytesScannedCutoffMb must be at least %d (Athena's minimum is 10 MB), got %d", MinBytesScannedCutoff/1_000_000, mb)
	}
	return nil
}

// API Gateway limits.
const (
	// MaxAccountRate and MaxAccountBurst are the default account-level throttle per region;
	// a stage or usage plan above them is silently capped, which hides capacity planning errors.
	MaxAccountRate  = 10000
	MaxAccountBurst = 5000
)

var stageNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// CheckStageName checks an API Gateway stage name.
func CheckStageName(name string) error {
	if !stageNameRE.MatchString(name) {
		return fmt.Errorf("apiStageName must be 1..128 letters, digits, _ or -, got %q", name)
	}
	return nil
}

var originRE = regexp.MustCompile(`^https://[a-z0-9.-]+(:[0-9]{1,5})?$|^http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?$`)

// CheckOrigins checks CORS origins: https origins (http only for localhost), or "*" alone.
func CheckOrigins(origins []string) error {
	for _, o := range origins {
		if o == "*" {
			if len(origins) > 1 {
				return fmt.Errorf("corsAllowOrigins: \"*\" must be the only origin when used")
			}
			continue
		}
		if !originRE.MatchString(o) {
			return fmt.Errorf("corsAllowOrigins: %q must be https://host[:port] (http only for localhost), lowercase, without a path", o)
		}
	}
	return nil
}

// CheckTags checks tag keys and values against AWS's tagging rules.
func CheckTags(tags map[string]string) error {
	if len(tags) > 40 {
		// 50 is AWS's cap; project, stack and component tags need room.
		return fmt.Errorf("tags: at most 40 tags, got %d", len(tags))
	}
	for k, v := range tags {
		switch {
		case k == "" || len(k) > 128:
			return fmt.Errorf("tags: key %q must be 1..128 characters", k)
		case len(v) > 256:
			return fmt.Errorf("tags: value of %q is longer than 256 characters", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tags: key %q uses the reserved aws: prefix", k)
		}
	}
	return nil
}
