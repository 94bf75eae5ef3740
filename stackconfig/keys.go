package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// UnitConvention is the one rule for sizes, stated in Pulumi.yaml and docs/config.md.
const UnitConvention = "Every size is in MiB (2^20 bytes): config keys spell it `Mb` (firehoseBufferMb), " +
	"Go identifiers `MiB` (FirehoseBufferMiB). lambdaMemoryMb is Lambda's \"MB\", which AWS defines as MiB."

// Key groups, in the order Pulumi.yaml lists them.
const (
	groupStream    = "Kinesis stream"
	groupAPI       = "Ingest API"
	groupWAF       = "API firewall (AWS WAF)"
	groupLake      = "Lake"
	groupAnalytics = "Catalog and analytics"
	groupDelivery  = "Delivery (Firehose) and the transform Lambda"
	groupAlarms    = "Alarms"
	groupOps       = "Operations"
	groupDatasets  = "Datasets (channels)"
)

// Live lookup policies (liveLookupErrors).
const (
	LookupWarn = "warn"
	LookupFail = "fail"
)

// Keys returns every configuration key the program reads, in the order of the docs. This is
// the one place a key is declared.
func Keys() []Key {
	var out []Key
	for _, g := range []struct {
		name string
		keys []Key
	}{
		{groupStream, streamKeys()}, {groupAPI, apiKeys()}, {groupWAF, wafKeys()}, {groupLake, lakeKeys()},
		{groupAnalytics, analyticsKeys()}, {groupDelivery, deliveryKeys()},
		{groupAlarms, alarmKeys()}, {groupOps, opsKeys()}, {groupDatasets, datasetKeys()},
	} {
		for _, k := range g.keys {
			k.Group = g.name
			out = append(out, k)
		}
	}
	return out
}

func streamKeys() []Key {
	mode := str("streamMode", awsrules.Provisioned, func(c *Config) *string { return &c.StreamMode },
		crossChecked[string]("PROVISIONED or ON_DEMAND"),
		"PROVISIONED (shardCount shards) or ON_DEMAND (AWS sizes the stream; leave shardCount unset).")
	shards := integer("shardCount", 0, func(c *Config) *int { return &c.ShardCount },
		crossChecked[int](fmt.Sprintf("1..%d with PROVISIONED; unset (or 0) with ON_DEMAND", awsrules.MaxShards)),
		"Provisioned shards. Each takes 1 MiB/s or 1000 records/s in. A deploy may at most double or halve the "+
			"live count; preview refuses bigger jumps and names the next safe step. Plan with `streamlake shards`; change it "+
			"one step per pull request (`streamlake shards --to N --stack S --write`).")
	shards.optional, shards.DefaultDoc, shards.ChangedByOps = true, "1 with PROVISIONED, unset with ON_DEMAND", true
	return []Key{
		perDataset(mode), perDataset(shards),
		perDataset(integer("retentionHours", 24, func(c *Config) *int { return &c.RetentionHours },
			checkedBy(fmt.Sprintf("%d..%d", awsrules.MinRetentionHours, awsrules.MaxRetentionHours), awsrules.CheckRetentionHours),
			"Hours records stay in the stream: how long the lake can fall behind without loss.")),
		perDataset(list("shardLevelMetrics", func(c *Config) *[]string { return &c.ShardLevelMetrics },
			checkedBy(strings.Join(awsrules.ShardLevelMetricNames, ", ")+" (each once)", awsrules.CheckShardLevelMetrics),
			"Enhanced shard-level metrics to enable (extra cost per shard).")),
		boolean("checkShardStep", true, func(c *Config) *bool { return &c.CheckShardStep },
			"Read the live shard count at preview and refuse a change AWS would reject in one step."),
		str("liveLookupErrors", LookupWarn, func(c *Config) *string { return &c.LiveLookupErrors },
			oneOf(LookupWarn, LookupFail),
			"What preview does when reading live state fails for any reason but \"not found\" (the stream's shard count "+
				"for checkShardStep, the Glue table's columns for the schema compatibility check): warn names the error "+
				"and skips the check; fail stops the preview or deploy (CI's previews and deploys set it)."),
	}
}

func apiKeys() []Key {
	return []Key{
		str("apiStageName", "api", func(c *Config) *string { return &c.APIStageName },
			checkedBy("1..128 letters, digits, _ or -", awsrules.CheckStageName),
			"API Gateway stage name; the events URL is https://<id>.execute-api.<region>.amazonaws.com/<stage>/v1/events."),
		number("apiRateLimit", 50, func(c *Config) *float64 { return &c.APIRateLimit },
			above(0, awsrules.MaxAccountRate, " requests/s (account default)"),
			"Steady-state requests per second for the stage and the API key (may be fractional)."),
		integer("apiBurstLimit", 100, func(c *Config) *int { return &c.APIBurstLimit },
			between(1, awsrules.MaxAccountBurst, ""), "Burst bucket size in requests; at least apiRateLimit."),
		integer("apiQuotaPerDay", 0, func(c *Config) *int { return &c.APIQuotaPerDay },
			zeroOrPositive("no quota"), "Requests per day per API key (apiAuth apiKey only: the other modes have no key)."),
		enum("apiAuth", apispec.AuthAPIKey, func(c *Config) *apispec.Auth { return &c.APIAuth }, apispec.AuthModes,
			"How producers authenticate: apiKey (x-api-key header, throttled and metered per key by the usage plan; identifies, "+
				"does not authorize: for webhooks that can only send a static header, behind the WAF), iam (SigV4 by an IAM principal "+
				"allowed execute-api:Invoke, see stack output producerPolicy: backend services), or jwt (a token of a Cognito user pool "+
				"of apiJwtUserPoolArns: browser and mobile players whose users sign in). See docs/api.md."),
		list("apiJwtUserPoolArns", func(c *Config) *[]string { return &c.APIJWTUserPoolArns },
			checkedBy("Cognito user pool ARNs (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>); at least one with apiAuth jwt, none otherwise",
				checkUserPoolArns),
			"User pools whose ID or access tokens the API accepts with apiAuth jwt (a COGNITO_USER_POOLS authorizer)."),
		list("apiJwtScopes", func(c *Config) *[]string { return &c.APIJWTScopes },
			checkedBy("OAuth scopes (e.g. events/write); apiAuth jwt only", awsrules.CheckOAuthScopes),
			"With apiAuth jwt: OAuth scopes of which a token must carry one. Empty: the API takes ID tokens; set: access tokens with one of the scopes."),
		list("corsAllowOrigins", func(c *Config) *[]string { return &c.CorsAllowOrigins },
			checkedBy(`https://host[:port] (http only for localhost), or "*" alone`, awsrules.CheckOrigins),
			"Browser origins allowed to POST; empty disables CORS."),
		perDataset(enum("unknownFields", schema.KeepUnknown, func(c *Config) *schema.UnknownFields { return &c.UnknownFields },
			[]schema.UnknownFields{schema.KeepUnknown, schema.RejectUnknown},
			"What happens to top-level fields the schema does not declare: keep (stored as strings in attributes) "+
				"or reject (400 at the API, error prefix in the lake).")),
		boolean("manageApiGatewayAccount", true, func(c *Config) *bool { return &c.ManageAPIGatewayAccount },
			"Set the region's API Gateway CloudWatch Logs role, without which no stage can log (one setting per "+
				"account and region). Role and setting are kept on destroy, so stacks sharing an account never break "+
				"each other: the last deploy's role is used, all are equivalent. Set false where another team manages the setting."),
	}
}

func wafKeys() []Key {
	return []Key{
		boolean("waf", true, func(c *Config) *bool { return &c.WAF },
			"Put an AWS WAF web ACL on the API stage: a rate limit per client address, the API's body limits, AWS managed rules, "+
				"logs of blocked requests and an alarm on them (from $5 + $1 per rule a month + $0.60 per million requests). On unless "+
				"a stack turns it off; protectData (production) requires it."),
		integer("wafRateLimitPer5Min", 3000, func(c *Config) *int { return &c.WAFRateLimitPer5Min },
			checkedBy(fmt.Sprintf("%d..%d", awsrules.MinWAFRateLimit, awsrules.MaxWAFRateLimit), awsrules.CheckWAFRateLimit),
			"Requests one client address may send in 5 minutes before the WAF answers 429 (players behind one school or office NAT share an "+
				"address; a backend producer should send batches)."),
		listOf("wafManagedRules", awsrules.DefaultManagedRuleGroups, func(c *Config) *[]string { return &c.WAFManagedRules },
			checkedBy(strings.Join(awsrules.ManagedRuleGroupNames(), ", ")+" (each once)", awsrules.CheckManagedRuleGroups),
			"AWS managed rule groups the WAF runs (each $1 a month; see docs/api.md for what each blocks and its capacity)."),
	}
}

// checkUserPoolArns checks every ARN of apiJwtUserPoolArns.
func checkUserPoolArns(arns []string) error {
	var errs []error
	for _, a := range arns {
		if err := awsrules.CheckUserPoolArn(a); err != nil {
			errs = append(errs, fmt.Errorf("apiJwtUserPoolArns: %w", err))
		}
	}
	return errors.Join(errs...)
}

func lakeKeys() []Key {
	return []Key{
		integer("rawTransitionDays", 30, func(c *Config) *int { return &c.RawTransitionDays },
			crossChecked[int]("0 (stay in STANDARD), or at least the class's minimum (30 for STANDARD_IA and ONEZONE_IA) and below rawExpirationDays"),
			"Days before raw/ backups move to rawStorageClass."),
		enum("rawStorageClass", "GLACIER_IR", func(c *Config) *string { return &c.RawStorageClass },
			awsrules.TransitionClasses, "Storage class for old raw backups."),
		integer("rawExpirationDays", 0, func(c *Config) *int { return &c.RawExpirationDays },
			days("keep them"), "Days before raw/ backups are deleted."),
		integer("errorsExpirationDays", 30, func(c *Config) *int { return &c.ErrorsExpirationDays },
			days(""), "Days before records in errors/ are deleted."),
		integer("athenaResultsExpirationDays", 7, func(c *Config) *int { return &c.AthenaResultsExpirationDays },
			days(""), "Days before Athena query results are deleted."),
		integer("noncurrentExpirationDays", 30, func(c *Config) *int { return &c.NoncurrentExpirationDays },
			days(""), "Days before overwritten or deleted object versions are removed (with versioning)."),
		boolean("versioning", false, func(c *Config) *bool { return &c.Versioning },
			"Keep object versions in the lake bucket (protectData needs it)."),
		boolean("protectData", false, func(c *Config) *bool { return &c.ProtectData },
			"Protect the bucket, stream and key from `pulumi destroy` and keep bucket and key if removed from the "+
				"program. Off: the bucket is force-destroyable (dev)."),
	}
}

// DefaultCrawlerSchedules are the crawler's schedules when crawlerSchedule is unset: hourly
// where Athena waits for the crawler, daily where projection serves Athena and the crawler only
// feeds engines that read the catalog's partitions.
var DefaultCrawlerSchedules = map[lakelayout.Discovery]string{
	lakelayout.CrawlerOnly:          "cron(15 * * * ? *)",
	lakelayout.ProjectionAndCrawler: "cron(15 0 * * ? *)",
}

func analyticsKeys() []Key {
	discovery := enum("partitionDiscovery", lakelayout.ProjectionAndCrawler,
		func(c *Config) *lakelayout.Discovery { return &c.PartitionDiscovery }, lakelayout.Discoveries,
		"How a new hour becomes queryable. projection: Athena partition projection finds it as soon as Firehose writes "+
			"(no crawler). crawler: the Glue crawler registers it in the catalog on crawlerSchedule, which engines that do "+
			"not read projection (Spark, Redshift Spectrum) need. projection+crawler: both. See docs/freshness.md.")
	schedule := str("crawlerSchedule", "", func(c *Config) *string { return &c.CrawlerSchedule },
		rule[string]{text: "AWS cron(...), at most every 5 minutes; unset with projection", check: func(key, v string) error {
			if v == "" {
				return nil // no crawler: checked with partitionDiscovery
			}
			if err := awsrules.CheckSchedule(v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		}},
		"AWS cron (UTC) for the Glue crawler that registers new hourly partitions.")
	schedule.optional = true
	schedule.DefaultDoc = fmt.Sprintf("%s (hourly) with crawler, %s (daily) with projection+crawler, unset with projection",
		DefaultCrawlerSchedules[lakelayout.CrawlerOnly], DefaultCrawlerSchedules[lakelayout.ProjectionAndCrawler])
	return []Key{
		perDataset(discovery), perDataset(schedule),
		integer("bytesScannedCutoffMb", 1024, func(c *Config) *int { return &c.BytesScannedCutoffMiB },
			checkedBy(fmt.Sprintf("%d..%d", awsrules.MinBytesScannedCutoffMiB, awsrules.MaxBytesScannedCutoffMiB), awsrules.CheckBytesScannedCutoffMiB),
			"Athena per-query scan cap in MiB (10 MiB is Athena's minimum)."),
		perDataset(list("allowBreakingSchemaChange", func(c *Config) *[]string { return &c.AllowBreakingSchemaChange },
			checkedBy("column or partition key names (lowercase letters, digits, _), each once", checkColumnList),
			"Columns whose breaking change (removed, renamed, retyped, partition key changed) preview lets through on purpose, "+
				"with a warning; every other breaking change to the deployed table is refused. See docs/schema-changes.md; "+
				"remove the entries after the deploy.")),
	}
}

// maxProcessorBufferMiB is the largest Firehose allows and the transform is proven to answer.
var maxProcessorBufferMiB = min(awsrules.MaxProcessorBufferMiB, transform.SafeProcessorBufferMiB)

func deliveryKeys() []Key {
	return eachPerDataset(
		enum("partitioning", lakelayout.EventTime, func(c *Config) *string { return &c.Partitioning },
			[]string{lakelayout.EventTime, lakelayout.ArrivalTime},
			"event-time (folders from each event's occurred_at, via dynamic partitioning) or arrival-time (folders "+
				"from delivery time). Changing it replaces the delivery stream: AWS only sets dynamic partitioning at creation."),
		integer("firehoseBufferMb", 128, func(c *Config) *int { return &c.FirehoseBufferMiB },
			between(awsrules.MinConversionBufferMiB, awsrules.MaxBufferMiB,
				fmt.Sprintf(": Parquet conversion needs a buffer of at least %d MiB", awsrules.MinConversionBufferMiB)),
			"Firehose buffer in MiB before a Parquet file is written."),
		integer("firehoseBufferSeconds", 300, func(c *Config) *int { return &c.FirehoseBufferSeconds },
			crossChecked[int](fmt.Sprintf("%d..%d with event-time partitioning or rawBackup, else 0..%d",
				awsrules.MinDynamicPartitioningBufferSeconds, awsrules.MaxBufferSeconds, awsrules.MaxBufferSeconds)),
			"Longest wait in seconds before a Parquet file is written."),
		number("processorBufferMb", 1, func(c *Config) *float64 { return &c.ProcessorBufferMiB },
			between(awsrules.MinProcessorBufferMiB, maxProcessorBufferMiB, " (a larger batch could make the Lambda's response exceed its 6 MB limit)"),
			"Data per Lambda call in MiB, up to the size proven to keep the Lambda's response under 6 MB."),
		integer("processorBufferSeconds", 60, func(c *Config) *int { return &c.ProcessorBufferSeconds },
			between(awsrules.MinProcessorBufferSeconds, awsrules.MaxProcessorBufferSeconds, ""),
			"Longest wait in seconds before Firehose calls the Lambda."),
		integer("processorRetries", 3, func(c *Config) *int { return &c.ProcessorRetries },
			between(0, awsrules.MaxProcessorRetries, ""), "Retries of a failed Lambda call before its records go to errors/."),
		boolean("rawBackup", true, func(c *Config) *bool { return &c.RawBackup },
			"Keep every source record, gzipped, under raw/ in the lake."),
		integer("deliveryRetrySeconds", 300, func(c *Config) *int { return &c.DeliveryRetrySeconds },
			between(0, 7200, ""), "With event-time partitioning, how long Firehose retries a partitioned delivery before "+
				"records go to errors/. Firehose retries S3 writes themselves for 24 h."),
		integer("lambdaMemoryMb", 512, func(c *Config) *int { return &c.LambdaMemoryMiB },
			between(awsrules.MinLambdaMemoryMiB, awsrules.MaxLambdaMemoryMiB, ""),
			"Transform Lambda memory in MiB (Lambda's MB); CPU scales with it."),
		integer("lambdaTimeoutSeconds", 120, func(c *Config) *int { return &c.LambdaTimeoutSeconds },
			between(awsrules.MinFirehoseLambdaTimeout, awsrules.MaxFirehoseLambdaTimeout, " for a Firehose transform"),
			"Transform Lambda timeout in seconds."),
		integer("lambdaReservedConcurrency", 0, func(c *Config) *int { return &c.LambdaReservedConcurrency },
			zeroOrPositive("unreserved"), "Reserved concurrency of the transform Lambda."),
		enum("lambdaLogLevel", "INFO", func(c *Config) *string { return &c.LambdaLogLevel },
			[]string{"DEBUG", "INFO", "WARN", "ERROR"}, "Log level of the transform Lambda."),
	)
}

func alarmKeys() []Key {
	return []Key{
		list("alarmEmails", func(c *Config) *[]string { return &c.AlarmEmails },
			checkedBy("plain e-mail addresses", checkEmails),
			"E-mail addresses subscribed to the alarm topic (each confirms by mail)."),
		list("alarmHttpsEndpoints", func(c *Config) *[]string { return &c.AlarmHTTPSEndpoints },
			checkedBy("https:// URLs", checkHTTPSEndpoints),
			"HTTPS endpoints (e.g. an incident tool) subscribed to the alarm topic."),
		integer("alarmApi5xxPerPeriod", 1, func(c *Config) *int { return &c.AlarmAPI5xxPerPeriod },
			atLeast(1), "API 5XX responses per 5 minutes that raise the alarm."),
		number("alarmApi4xxRatePercent", 5, func(c *Config) *float64 { return &c.AlarmAPI4xxRatePercent },
			above(0, 100, ""), "Share of 4XX responses (percent) sustained for 15 minutes that raises the alarm."),
		integer("alarmApiLatencyP99Ms", 2000, func(c *Config) *int { return &c.AlarmAPILatencyP99Ms },
			atLeast(1), "API p99 latency (ms) sustained for 15 minutes that raises the alarm."),
		perDataset(integer("alarmIteratorAgeMinutes", 0, func(c *Config) *int { return &c.AlarmIteratorAgeMinutes },
			crossChecked[int]("0 (derived) or below retentionHours"),
			"Stream iterator age that raises the alarm; 0 derives it from retentionHours (a quarter, at most 60 minutes).")),
		perDataset(integer("alarmFreshnessSeconds", 0, func(c *Config) *int { return &c.AlarmFreshnessSeconds },
			crossChecked[int]("0 (derived) or above firehoseBufferSeconds"),
			"Age of the oldest undelivered record that raises the alarm; 0 derives it from the buffer intervals.")),
		perDataset(integer("alarmSilentMinutes", 0, func(c *Config) *int { return &c.AlarmSilentMinutes },
			zeroOrAtLeast(5, "off"), "Raise the \"pipeline silent\" alarm when no record arrives for this long.")),
		perDataset(integer("alarmLambdaDurationPercent", 80, func(c *Config) *int { return &c.AlarmLambdaDurationPercent },
			between(10, 100, ""), "Transform p99 duration, as a percentage of its timeout, that raises the alarm.")),
		perDataset(integer("alarmThrottlePeriods", 3, func(c *Config) *int { return &c.AlarmThrottlePeriods },
			atLeast(1), "Consecutive 5-minute periods with throttling before the throttling alarms fire.")),
		integer("alarmWafBlockedPerPeriod", 100, func(c *Config) *int { return &c.AlarmWAFBlockedPerPeriod },
			atLeast(1), "Requests the WAF blocks in 5 minutes that raise the alarm (with waf on)."),
	}
}

func opsKeys() []Key {
	region := str("aws:region", "", func(c *Config) *string { return &c.Region },
		checkedBy("an AWS region, e.g. eu-west-1", func(r string) error {
			if r == "" {
				return nil // reported as not set
			}
			return awsrules.CheckRegion(r)
		}),
		"Region of every resource.")
	region.required = true
	return []Key{
		integer("logRetentionDays", 14, func(c *Config) *int { return &c.LogRetentionDays },
			checkedBy("one of "+joinInts(awsrules.LogRetentionDays), awsrules.CheckLogRetention),
			"Retention of every log group the pipeline creates."),
		object("tags", func(c *Config) *map[string]string { return &c.Tags },
			checkedBy("string values; keys without the aws: prefix, not project or stack", checkTags),
			"Tags for every taggable resource, added to project, stack and managed-by."),
		region,
	}
}

// perDataset marks a key a dataset may set for itself, under streamlake:datasets.<name>; the
// top-level value is the default of every dataset. Keys not marked are the pipeline's, shared
// by every dataset (the API, the firewall, the lake bucket, the workgroup, the alarm topic).
func perDataset(k Key) Key {
	k.PerDataset = true
	return k
}

// eachPerDataset marks every key of a group per dataset.
func eachPerDataset(keys ...Key) []Key {
	for i := range keys {
		keys[i].PerDataset = true
	}
	return keys
}

func datasetKeys() []Key {
	return []Key{
		declare("datasets", kindObject, map[string]map[string]json.RawMessage{},
			func(c *Config) *map[string]map[string]json.RawMessage { return &c.DatasetOverrides },
			(*reader).datasets, rule[map[string]map[string]json.RawMessage]{text: "an object of datasets, each an object of the keys marked per dataset"},
			"Settings of single datasets (docs/datasets.md): {<dataset>: {<key>: <value>}}. A dataset is the default events "+
				"(schema/events.yaml) or a file schema/datasets/<name>.yaml; the keys are those marked \"per dataset\", whose "+
				"top-level values are every dataset's defaults."),
		declare("accountQuotas", kindObject, map[string]int{}, func(c *Config) *map[string]int { return &c.AccountQuotas },
			(*reader).intObject, checkedBy(strings.Join(awsrules.QuotaNames, ", ")+": positive whole numbers", checkQuotas),
			"The account's quotas AWS raised, where the default would refuse the stack's datasets at preview (docs/datasets.md, "+
				"Limits): {<quota>: <value>}. Unset quotas are AWS's defaults in the stack's region."),
	}
}

// checkQuotas checks accountQuotas: known quota names, positive values.
func checkQuotas(q map[string]int) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(awsrules.QuotaNames, name):
			hint := ""
			if s := nearest(name, awsrules.QuotaNames); s != "" {
				hint = ": did you mean " + s + "?"
			}
			errs = append(errs, fmt.Errorf("accountQuotas: %q is not a quota streamlake checks (one of %s)%s", name, strings.Join(awsrules.QuotaNames, ", "), hint))
		case q[name] < 1:
			errs = append(errs, fmt.Errorf("accountQuotas: %s must be positive, got %d", name, q[name]))
		}
	}
	return errors.Join(errs...)
}

func checkEmails(emails []string) error {
	var errs []error
	for _, e := range emails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("alarmEmails: %q is not a plain e-mail address", e))
		}
	}
	return errors.Join(errs...)
}

// checkColumnList checks allowBreakingSchemaChange: Glue column names, each once.
func checkColumnList(cols []string) error {
	var errs []error
	seen := map[string]bool{}
	for _, c := range cols {
		switch {
		case !schema.IsColumnName(c):
			errs = append(errs, fmt.Errorf("allowBreakingSchemaChange: %q is not a column name (lowercase letters, digits and _)", c))
		case seen[c]:
			errs = append(errs, fmt.Errorf("allowBreakingSchemaChange: %s is listed twice", c))
		}
		seen[c] = true
	}
	return errors.Join(errs...)
}

func checkHTTPSEndpoints(urls []string) error {
	var errs []error
	for _, u := range urls {
		if !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t\n") {
			errs = append(errs, fmt.Errorf("alarmHttpsEndpoints: %q must be an https:// URL", u))
		}
	}
	return errors.Join(errs...)
}

func checkTags(tags map[string]string) error {
	errs := []error{awsrules.CheckTags(tags)}
	for _, k := range []string{"project", "stack"} {
		if _, ok := tags[k]; ok {
			errs = append(errs, fmt.Errorf("tags: key %q is set by streamlake itself", k))
		}
	}
	return errors.Join(errs...)
}

func joinInts(ns []int) string {
	words := make([]string, len(ns))
	for i, n := range ns {
		words[i] = strconv.Itoa(n)
	}
	return strings.Join(words, ", ")
}
