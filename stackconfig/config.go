package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// Config is the typed, validated configuration of one stack. Every field but Project and
// Stack is bound to a key in keys.go, which declares the key's name, default, rule and doc.
type Config struct {
	Project string
	Stack   string
	Region  string

	// Stream
	StreamMode        string
	ShardCount        int // 0 with ON_DEMAND
	RetentionHours    int
	ShardLevelMetrics []string
	CheckShardStep    bool
	LiveLookupErrors  string

	// Ingest API
	APIStageName            string
	APIRateLimit            float64
	APIBurstLimit           int
	APIQuotaPerDay          int
	CorsAllowOrigins        []string
	UnknownFields           schema.UnknownFields
	ManageAPIGatewayAccount bool
	APIAuth                 apispec.Auth
	APIJWTUserPoolArns      []string
	APIJWTScopes            []string

	// API firewall (AWS WAF)
	WAF                 bool
	WAFRateLimitPer5Min int
	WAFManagedRules     []string

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
	PartitionDiscovery        lakelayout.Discovery
	CrawlerSchedule           string // "" without a crawler
	BytesScannedCutoffMiB     int
	AllowBreakingSchemaChange []string

	// Delivery (Firehose) and the transform Lambda
	Partitioning              string
	FirehoseBufferMiB         int
	FirehoseBufferSeconds     int
	ProcessorBufferMiB        float64
	ProcessorBufferSeconds    int
	ProcessorRetries          int
	RawBackup                 bool
	DeliveryRetrySeconds      int
	LambdaMemoryMiB           int
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
	AlarmWAFBlockedPerPeriod   int

	// Operations
	LogRetentionDays int
	Tags             map[string]string

	// Datasets (channels)
	// DatasetOverrides are the datasets key's values: per dataset, its keys as JSON.
	DatasetOverrides map[string]map[string]json.RawMessage
	// AccountQuotas are the quotas AWS raised for the account, by awsrules quota name.
	AccountQuotas map[string]int
	// Datasets are the datasets the stack deploys, the default first, each with its
	// configuration (Load fills it; nil in a Config that was not loaded).
	Datasets []*Dataset

	keys []string // every project key Load read, for the test that Pulumi.yaml declares them all
}

// Keys returns the project keys Load read, in order.
func (c *Config) Keys() []string { return c.keys }

// Defaults returns the configuration of a stack that sets no key, derived from the table of
// keys (Pulumi.yaml's defaults are generated from the same table).
func Defaults() Config {
	var c Config
	for _, k := range Keys() {
		k.setDefault(&c)
	}
	c.deriveDefaults(true)
	return c
}

// deriveDefaults fills the defaults that depend on other keys: shardCount's 1 applies only to
// a provisioned stream, so that ON_DEMAND needs nothing else from the user; crawlerSchedule's
// depends on partitionDiscovery (none without a crawler).
func (c *Config) deriveDefaults(shardCountUnset bool) {
	if shardCountUnset && c.StreamMode == awsrules.Provisioned {
		c.ShardCount = 1
	}
	if c.CrawlerSchedule == "" {
		c.CrawlerSchedule = DefaultCrawlerSchedules[c.PartitionDiscovery]
	}
}

// Source is where Load reads a stack's values: the Pulumi program's context (stacks.Load) or
// the project's files (FromFiles).
type Source struct {
	Project, Stack string
	// Lookup returns the value of a fully qualified key ("streamlake:shardCount",
	// "aws:region") as the Pulumi CLI passes it, and whether the stack sets it.
	Lookup func(key string) (string, bool)
	// Keys lists every key the stack sets, so that keys nothing reads are reported.
	Keys func() ([]string, error)
	// Datasets are the datasets the stack deploys, the default first; nil means the ones
	// built into this binary (schema.Datasets).
	Datasets []schema.Dataset
}

// Load reads the stack's configuration once, applies defaults and validates everything. The
// error lists every problem, not just the first: unknown keys first, then values.
func Load(src Source) (*Config, error) {
	keys := Keys()
	errs := []error{checkUnknownKeys(src, keys)}
	c := &Config{Project: src.Project, Stack: src.Stack}
	r := newReader(src.Project, src.Lookup)
	c.read(r, keys)
	errs = append(errs, r.errs...)
	// Values that did not parse keep their default, so validation still reports the rest
	// (but no rule between keys on a default that stands in for a bad value).
	verr := c.validate(r.bad)
	errs = append(errs, verr)
	errs = append(errs, c.loadDatasets(src.Datasets, errors.Join(append(slices.Clone(r.errs), verr)...)))
	if err := joinLines(errs); err != nil {
		return nil, fmt.Errorf("stack %s: invalid configuration:\n  %w", c.Stack, err)
	}
	return c, nil
}

// loadDatasets reads and validates every dataset's configuration (readDatasets) and, when
// they are valid, checks what they take of the account's quotas.
func (c *Config) loadDatasets(ds []schema.Dataset, reported error) error {
	if ds == nil {
		var err error
		if ds, err = schema.Datasets(); err != nil {
			return err
		}
	}
	if err := schema.CheckDatasets(ds); err != nil {
		return err
	}
	if err := c.readDatasets(ds, reported); err != nil {
		return err
	}
	return awsrules.CheckQuotas(c.Region, c.quotaUse(), c.AccountQuotas)
}

// read reads every key into its field, starting from the key's default.
func (c *Config) read(r *reader, keys []Key) {
	for _, k := range keys {
		k.setDefault(c)
		if k.optional {
			r.optional[k.Name] = true
		}
		k.read(r, c)
		if k.required && r.unset[r.full(k.Name)] {
			r.errs = append(r.errs, fmt.Errorf("%s is not set: run `pulumi config set %s <value>`", k.Name, k.Name))
		}
	}
	c.keys = r.keys
	c.deriveDefaults(r.unset[r.full("shardCount")] || r.bad["shardCount"])
}

// Validate checks every value against its rule and returns all problems at once, each naming
// the key, the value and the rule: first each key's own rule, then the rules between keys.
func (c *Config) Validate() error { return c.validate(nil) }

// validate is Validate with the keys whose values did not parse.
func (c *Config) validate(unparsed map[string]bool) error {
	v := &validation{failed: map[string]bool{}}
	for k := range unparsed {
		v.failed[k] = true
	}
	for _, k := range Keys() {
		v.key(k.Name, k.check(c))
	}
	v.stream(c)
	v.api(c)
	v.lake(c)
	v.catalog(c)
	v.delivery(c)
	v.alarms(c)
	return errors.Join(v.errs...)
}

// validation collects problems and remembers which keys broke their own rule, so that a rule
// between keys is not checked on a value already reported.
type validation struct {
	errs   []error
	failed map[string]bool
}

func (v *validation) key(name string, err error) {
	if err != nil {
		v.errs = append(v.errs, err)
		v.failed[name] = true
	}
}

func (v *validation) check(err error) {
	if err != nil {
		v.errs = append(v.errs, err)
	}
}

// ok reports whether every named key passed its own rule.
func (v *validation) ok(keys ...string) bool {
	for _, k := range keys {
		if v.failed[k] {
			return false
		}
	}
	return true
}

func (v *validation) stream(c *Config) {
	v.check(awsrules.CheckStreamMode(c.StreamMode, c.ShardCount))
}

func (v *validation) api(c *Config) {
	if v.ok("apiBurstLimit", "apiRateLimit") && float64(c.APIBurstLimit) < c.APIRateLimit {
		v.check(fmt.Errorf("apiBurstLimit (%d) must be at least apiRateLimit (%g): a bucket smaller than one second of traffic throttles steady load", c.APIBurstLimit, c.APIRateLimit))
	}
	if !v.ok("apiAuth") {
		return
	}
	jwt := c.APIAuth == apispec.AuthJWT
	switch {
	case jwt && len(c.APIJWTUserPoolArns) == 0:
		v.check(errors.New("apiAuth is jwt but apiJwtUserPoolArns is empty: name the Cognito user pool(s) whose tokens the API accepts"))
	case !jwt && len(c.APIJWTUserPoolArns)+len(c.APIJWTScopes) > 0:
		v.check(fmt.Errorf("apiJwtUserPoolArns and apiJwtScopes are set but apiAuth is %s: they only apply to apiAuth jwt; remove them or set apiAuth jwt", c.APIAuth))
	}
	if c.APIQuotaPerDay > 0 && !c.APIAuth.UsesAPIKey() {
		v.check(fmt.Errorf("apiQuotaPerDay is %d but apiAuth is %s: quotas are counted per API key, which only apiAuth apiKey has; set it to 0", c.APIQuotaPerDay, c.APIAuth))
	}
	if c.ProtectData && !c.WAF {
		v.check(errors.New("protectData is true but waf is false: a production stack's API faces the internet and keeps the firewall (rate limit, size limits, managed rules); set waf: true"))
	}
}

func (v *validation) lake(c *Config) {
	switch {
	case !v.ok("rawStorageClass"):
	case c.RawTransitionDays < 0:
		v.check(fmt.Errorf("rawTransitionDays must be 0 (stay in STANDARD) or positive, got %d", c.RawTransitionDays))
	case c.RawTransitionDays > 0:
		v.check(awsrules.CheckTransition("rawTransitionDays/rawStorageClass", c.RawStorageClass, c.RawTransitionDays, c.RawExpirationDays))
	}
	if c.ProtectData && !c.Versioning {
		v.check(errors.New("protectData is true but versioning is false: a protected lake keeps object versions so a bad write or delete can be undone"))
	}
}

// catalog checks the crawler's schedule against the discovery mode: without a crawler
// nothing reads it.
func (v *validation) catalog(c *Config) {
	if v.ok("partitionDiscovery") && !c.PartitionDiscovery.Crawls() && c.CrawlerSchedule != "" {
		v.check(fmt.Errorf("crawlerSchedule is %q but partitionDiscovery %s has no crawler: remove crawlerSchedule, or use %s",
			c.CrawlerSchedule, c.PartitionDiscovery, lakelayout.ProjectionAndCrawler))
	}
}

// joinLines joins errors one per line (errors.Join lists flattened), so a long list reads
// well in `pulumi preview`.
func joinLines(errs []error) error {
	var msgs []string
	var add func(errs []error)
	add = func(errs []error) {
		for _, e := range errs {
			if joined, ok := e.(interface{ Unwrap() []error }); ok {
				add(joined.Unwrap())
			} else if e != nil {
				msgs = append(msgs, strings.ReplaceAll(e.Error(), "\n", "\n  "))
			}
		}
	}
	add(errs)
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "\n  "))
}
