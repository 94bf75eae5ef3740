package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/schema"
)

// Config is the typed, validated configuration of one stack. It is loaded once by Load; every
// key lives in the project namespace ("streamlake:shardCount") and is declared, with its
// default, in Pulumi.yaml.
type Config struct {
	Project string
	Stack   string
	Region  string

	// Stream
	StreamMode        string
	ShardCount        int
	RetentionHours    int
	ShardLevelMetrics []string
	CheckShardStep    bool

	// Ingest API
	APIStageName            string
	APIRateLimit            float64
	APIBurstLimit           int
	APIQuotaPerDay          int
	CorsAllowOrigins        []string
	UnknownFields           schema.UnknownFields
	ManageAPIGatewayAccount bool

	// Lake
	RawTransitionDays           int
	RawStorageClass             string
	RawExpirationDays           int
	ErrorsExpirationDays        int
	AthenaResultsExpirationDays int
	NoncurrentExpirationDays    int
	Versioning                  bool
	ProtectData                 bool

	// Catalog and analytics
	CrawlerSchedule      string
	BytesScannedCutoffMb int

	// Delivery (Firehose) and the transform Lambda
	Partitioning              string
	FirehoseBufferMb          int
	FirehoseBufferSeconds     int
	ProcessorBufferMb         float64
	ProcessorBufferSeconds    int
	ProcessorRetries          int
	RawBackup                 bool
	DeliveryRetrySeconds      int
	LambdaMemoryMb            int
	LambdaTimeoutSeconds      int
	LambdaReservedConcurrency int
	LambdaLogLevel            string

	// Alarms
	AlarmEmails                []string
	AlarmHTTPSEndpoints        []string
	AlarmAPI5xxPerPeriod       int
	AlarmAPI4xxRatePercent     float64
	AlarmAPILatencyP99Ms       int
	AlarmIteratorAgeMinutes    int
	AlarmFreshnessSeconds      int
	AlarmSilentMinutes         int
	AlarmLambdaDurationPercent int
	AlarmThrottlePeriods       int

	// Operations
	LogRetentionDays int
	Tags             map[string]string

	keys []string // every key Load read, for the test that Pulumi.yaml declares them all
}

// Keys returns the configuration keys Load reads, in order.
func (c *Config) Keys() []string { return c.keys }

// Defaults returns the configuration used for every key a stack file does not set. Pulumi.yaml
// declares the same defaults (a test keeps the two equal).
func Defaults() Config {
	return Config{
		StreamMode:                  awsrules.Provisioned,
		ShardCount:                  1,
		RetentionHours:              24,
		ShardLevelMetrics:           []string{},
		CheckShardStep:              true,
		APIStageName:                "api",
		APIRateLimit:                50,
		APIBurstLimit:               100,
		APIQuotaPerDay:              0,
		CorsAllowOrigins:            []string{},
		UnknownFields:               schema.KeepUnknown,
		ManageAPIGatewayAccount:     true,
		RawTransitionDays:           30,
		RawStorageClass:             "GLACIER_IR",
		RawExpirationDays:           0,
		ErrorsExpirationDays:        30,
		AthenaResultsExpirationDays: 7,
		NoncurrentExpirationDays:    30,
		Versioning:                  false,
		ProtectData:                 false,
		CrawlerSchedule:             "cron(15 * * * ? *)",
		BytesScannedCutoffMb:        1024,
		Partitioning:                components.EventTime,
		FirehoseBufferMb:            128,
		FirehoseBufferSeconds:       300,
		ProcessorBufferMb:           1,
		ProcessorBufferSeconds:      60,
		ProcessorRetries:            3,
		RawBackup:                   true,
		DeliveryRetrySeconds:        300,
		LambdaMemoryMb:              512,
		LambdaTimeoutSeconds:        120,
		LambdaReservedConcurrency:   0,
		LambdaLogLevel:              "INFO",
		AlarmEmails:                 []string{},
		AlarmHTTPSEndpoints:         []string{},
		AlarmAPI5xxPerPeriod:        1,
		AlarmAPI4xxRatePercent:      5,
		AlarmAPILatencyP99Ms:        2000,
		AlarmIteratorAgeMinutes:     0,
		AlarmFreshnessSeconds:       0,
		AlarmSilentMinutes:          0,
		AlarmLambdaDurationPercent:  80,
		AlarmThrottlePeriods:        3,
		LogRetentionDays:            14,
		Tags:                        map[string]string{},
	}
}

// Load reads the stack's configuration once, applies defaults and validates everything. The
// error lists every bad key, not just the first.
func Load(ctx *pulumi.Context) (*Config, error) {
	c := Defaults()
	c.Project, c.Stack = ctx.Project(), ctx.Stack()
	r := reader{cfg: config.New(ctx, "")}

	region, err := config.New(ctx, "aws").Try("region")
	if err != nil {
		r.errs = append(r.errs, errors.New("aws:region is not set: run `pulumi config set aws:region <region>`"))
	}
	c.Region = region

	r.str("streamMode", &c.StreamMode)
	r.int("shardCount", &c.ShardCount)
	r.int("retentionHours", &c.RetentionHours)
	r.list("shardLevelMetrics", &c.ShardLevelMetrics)
	r.bool("checkShardStep", &c.CheckShardStep)

	r.str("apiStageName", &c.APIStageName)
	r.float("apiRateLimit", &c.APIRateLimit)
	r.int("apiBurstLimit", &c.APIBurstLimit)
	r.int("apiQuotaPerDay", &c.APIQuotaPerDay)
	r.list("corsAllowOrigins", &c.CorsAllowOrigins)
	unknown := string(c.UnknownFields)
	r.str("unknownFields", &unknown)
	c.UnknownFields = schema.UnknownFields(unknown)
	r.bool("manageApiGatewayAccount", &c.ManageAPIGatewayAccount)

	r.int("rawTransitionDays", &c.RawTransitionDays)
	r.str("rawStorageClass", &c.RawStorageClass)
	r.int("rawExpirationDays", &c.RawExpirationDays)
	r.int("errorsExpirationDays", &c.ErrorsExpirationDays)
	r.int("athenaResultsExpirationDays", &c.AthenaResultsExpirationDays)
	r.int("noncurrentExpirationDays", &c.NoncurrentExpirationDays)
	r.bool("versioning", &c.Versioning)
	r.bool("protectData", &c.ProtectData)

	r.str("crawlerSchedule", &c.CrawlerSchedule)
	r.int("bytesScannedCutoffMb", &c.BytesScannedCutoffMb)

	r.str("partitioning", &c.Partitioning)
	r.int("firehoseBufferMb", &c.FirehoseBufferMb)
	r.int("firehoseBufferSeconds", &c.FirehoseBufferSeconds)
	r.float("processorBufferMb", &c.ProcessorBufferMb)
	r.int("processorBufferSeconds", &c.ProcessorBufferSeconds)
	r.int("processorRetries", &c.ProcessorRetries)
	r.bool("rawBackup", &c.RawBackup)
	r.int("deliveryRetrySeconds", &c.DeliveryRetrySeconds)
	r.int("lambdaMemoryMb", &c.LambdaMemoryMb)
	r.int("lambdaTimeoutSeconds", &c.LambdaTimeoutSeconds)
	r.int("lambdaReservedConcurrency", &c.LambdaReservedConcurrency)
	r.str("lambdaLogLevel", &c.LambdaLogLevel)

	r.list("alarmEmails", &c.AlarmEmails)
	r.list("alarmHttpsEndpoints", &c.AlarmHTTPSEndpoints)
	r.int("alarmApi5xxPerPeriod", &c.AlarmAPI5xxPerPeriod)
	r.float("alarmApi4xxRatePercent", &c.AlarmAPI4xxRatePercent)
	r.int("alarmApiLatencyP99Ms", &c.AlarmAPILatencyP99Ms)
	r.int("alarmIteratorAgeMinutes", &c.AlarmIteratorAgeMinutes)
	r.int("alarmFreshnessSeconds", &c.AlarmFreshnessSeconds)
	r.int("alarmSilentMinutes", &c.AlarmSilentMinutes)
	r.int("alarmLambdaDurationPercent", &c.AlarmLambdaDurationPercent)
	r.int("alarmThrottlePeriods", &c.AlarmThrottlePeriods)

	r.int("logRetentionDays", &c.LogRetentionDays)
	r.object("tags", &c.Tags)

	c.keys = r.keys
	// Values that did not parse keep their default, so validation still reports the rest.
	if err := c.Validate(); err != nil {
		r.errs = append(r.errs, err)
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("stack %s: invalid configuration:\n  %w", c.Stack, joinLines(r.errs))
	}
	return &c, nil
}

// Validate checks every value against its rule and returns all problems at once, each naming
// the key, the value and the rule.
func (c *Config) Validate() error {
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.Region != "" {
		check(awsrules.CheckRegion(c.Region))
	}
	check(awsrules.CheckStreamMode(c.StreamMode, c.ShardCount))
	check(awsrules.CheckRetentionHours(c.RetentionHours))
	check(awsrules.CheckShardLevelMetrics(c.ShardLevelMetrics))

	check(awsrules.CheckStageName(c.APIStageName))
	if c.APIRateLimit <= 0 || c.APIRateLimit > awsrules.MaxAccountRate {
		check(fmt.Errorf("apiRateLimit must be > 0 and <= %d requests/s (account default), got %g", awsrules.MaxAccountRate, c.APIRateLimit))
	}
	if c.APIBurstLimit < 1 || c.APIBurstLimit > awsrules.MaxAccountBurst {
		check(fmt.Errorf("apiBurstLimit must be between 1 and %d, got %d", awsrules.MaxAccountBurst, c.APIBurstLimit))
	} else if float64(c.APIBurstLimit) < c.APIRateLimit {
		check(fmt.Errorf("apiBurstLimit (%d) must be at least apiRateLimit (%g): a bucket smaller than one second of traffic throttles steady load", c.APIBurstLimit, c.APIRateLimit))
	}
	if c.APIQuotaPerDay < 0 {
		check(fmt.Errorf("apiQuotaPerDay must be 0 (no quota) or positive, got %d", c.APIQuotaPerDay))
	}
	check(awsrules.CheckOrigins(c.CorsAllowOrigins))
	if c.UnknownFields != schema.KeepUnknown && c.UnknownFields != schema.RejectUnknown {
		check(fmt.Errorf("unknownFields must be %q or %q, got %q", schema.KeepUnknown, schema.RejectUnknown, c.UnknownFields))
	}

	if _, ok := awsrules.TransitionMinDays[c.RawStorageClass]; !ok {
		check(fmt.Errorf("rawStorageClass must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, got %q", c.RawStorageClass))
	} else if c.RawTransitionDays < 0 {
		check(fmt.Errorf("rawTransitionDays must be 0 (stay in STANDARD) or positive, got %d", c.RawTransitionDays))
	} else if c.RawTransitionDays > 0 {
		check(awsrules.CheckTransition("rawTransitionDays/rawStorageClass", c.RawStorageClass, c.RawTransitionDays, c.RawExpirationDays))
	}
	for _, d := range []struct {
		key  string
		days int
		zero bool
	}{
		{"rawExpirationDays", c.RawExpirationDays, true},
		{"errorsExpirationDays", c.ErrorsExpirationDays, false},
		{"athenaResultsExpirationDays", c.AthenaResultsExpirationDays, false},
		{"noncurrentExpirationDays", c.NoncurrentExpirationDays, false},
	} {
		if d.days < 0 || (d.days == 0 && !d.zero) {
			check(fmt.Errorf("%s must be a positive number of days, got %d", d.key, d.days))
		}
	}
	if c.ProtectData && !c.Versioning {
		check(errors.New("protectData is true but versioning is false: a protected lake keeps object versions so a bad write or delete can be undone"))
	}

	if err := awsrules.CheckSchedule(c.CrawlerSchedule); err != nil {
		check(fmt.Errorf("crawlerSchedule: %w", err))
	}
	check(awsrules.CheckBytesScannedCutoffMiB(c.BytesScannedCutoffMb))
	c.validateDelivery(check)
	c.validateAlarms(check)
	check(awsrules.CheckLogRetention(c.LogRetentionDays))
	check(awsrules.CheckTags(c.Tags))
	for _, k := range []string{"project", "stack"} {
		if _, ok := c.Tags[k]; ok {
			check(fmt.Errorf("tags: key %q is set by streamlake itself", k))
		}
	}
	return joinLines(errs)
}

// joinLines joins errors one per line, so a long list reads well in `pulumi preview`.
func joinLines(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, strings.ReplaceAll(e.Error(), "\n", "\n  "))
	}
	return errors.New(strings.Join(msgs, "\n  "))
}

// reader reads typed keys, keeping the default when a key is unset and recording a parse
// error (naming the key and the value) otherwise.
type reader struct {
	cfg  *config.Config
	errs []error
	keys []string
}

func (r *reader) raw(key string) (string, bool) {
	r.keys = append(r.keys, key)
	v, err := r.cfg.Try(key)
	if err != nil {
		return "", false // unset: keep the default
	}
	return v, true
}

func (r *reader) fail(key, want, got string) {
	r.errs = append(r.errs, fmt.Errorf("%s must be %s, got %q", key, want, got))
}

func (r *reader) str(key string, dst *string) {
	if v, ok := r.raw(key); ok {
		*dst = v
	}
}

func (r *reader) int(key string, dst *int) {
	if v, ok := r.raw(key); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "an integer", v)
			return
		}
		*dst = n
	}
}

func (r *reader) float(key string, dst *float64) {
	if v, ok := r.raw(key); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			r.fail(key, "a number", v)
			return
		}
		*dst = f
	}
}

func (r *reader) bool(key string, dst *bool) {
	if v, ok := r.raw(key); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "true or false", v)
			return
		}
		*dst = b
	}
}

func (r *reader) list(key string, dst *[]string) {
	if v, ok := r.raw(key); ok {
		var out []string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			r.fail(key, "a list of strings", v)
			return
		}
		if out == nil {
			out = []string{}
		}
		*dst = out
	}
}

func (r *reader) object(key string, dst *map[string]string) {
	if v, ok := r.raw(key); ok {
		var out map[string]string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			r.fail(key, "an object of string values", v)
			return
		}
		if out == nil {
			out = map[string]string{}
		}
		*dst = out
	}
}
