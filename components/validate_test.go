package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

func env() *Env {
	return &Env{Region: "eu-west-1", Partition: "aws", AccountID: pulumi.String("123456789012"),
		KeyArn: pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/k"), LogRetentionDays: 14}
}

type validator interface{ Validate() error }

func expect(t *testing.T, name string, v validator, want string) {
	t.Helper()
	err := v.Validate()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: got %v, want error containing %q", name, err, want)
	}
}

func TestLakeRules(t *testing.T) {
	base := func() *LakeArgs {
		return &LakeArgs{Env: env(), RawTransitionDays: 30, RawStorageClass: "GLACIER_IR", ErrorsExpirationDays: 30, ResultsExpirationDays: 7, NoncurrentExpirationDays: 30, Versioning: true}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.RawStorageClass, a.RawTransitionDays = "STANDARD_IA", 7
	expect(t, "IA too early", a, "at least 30 days old")
	a = base()
	a.Env = nil
	expect(t, "no env", a, "env is required")
	a = base()
	a.NoncurrentExpirationDays = 0
	expect(t, "versioning without noncurrent expiry", a, "NoncurrentExpirationDays must be positive")
	a = base()
	a.RawTransitionDays = 0
	a.RawStorageClass = "ignored"
	expect(t, "no transition", a, "")
}

func TestStreamRules(t *testing.T) {
	base := func() *StreamArgs {
		return &StreamArgs{Env: env(), Name: "streamlake-dev-events", Mode: "PROVISIONED", ShardCount: 2, RetentionHours: 24}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.DeployedShardCount, a.ShardCount = 2, 5
	expect(t, "too big a step", a, "allowed range is 1..4")
	a = base()
	a.Mode, a.ShardCount, a.DeployedShardCount = "ON_DEMAND", 0, 3
	expect(t, "on demand ignores step", a, "")
	a = base()
	a.Name = "events stream"
	expect(t, "bad name", a, "does not match")
	a = base()
	a.ShardLevelMetrics = []string{"ALL"}
	expect(t, "metrics", a, `"ALL" is not a shard-level metric`)
}

func TestCatalogRules(t *testing.T) {
	base := func() *CatalogArgs {
		return &CatalogArgs{Env: env(), Schema: schema.Default(), DatabaseName: "streamlake_dev", TableName: "events", CrawlerName: "streamlake-dev-partitions", SecurityConfigurationName: "streamlake-dev-crawler",
			BucketName: pulumi.String("b"), BucketArn: pulumi.String("arn:aws:s3:::b"), Schedule: "cron(15 * * * ? *)",
			Discovery: lakelayout.ProjectionAndCrawler, Partitioning: lakelayout.EventTime}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.DatabaseName = "streamlake-dev"
	expect(t, "hyphen in database", a, "Glue database name")
	a = base()
	a.Schedule = "rate(1 hour)"
	expect(t, "schedule", a, "cron(...) only")
	a = base()
	s := schema.Default()
	s.Fields[0].Type = "uuid"
	a.Schema = s
	expect(t, "schema", a, `unknown type "uuid"`)
	a = base()
	a.Discovery = "glue"
	expect(t, "discovery", a, `Discovery must be one of [projection+crawler projection crawler], got "glue"`)
	// Without a crawler, its names and schedule are not needed, and a schedule is a mistake.
	a = base()
	a.Discovery, a.Schedule, a.CrawlerName, a.SecurityConfigurationName = lakelayout.ProjectionOnly, "", "", ""
	expect(t, "projection only", a, "")
	a.Schedule = "cron(15 * * * ? *)"
	expect(t, "projection only with a schedule", a, `Schedule "cron(15 * * * ? *)" is set, but discovery "projection" has no crawler`)
	a = base()
	a.Discovery, a.Schedule = lakelayout.CrawlerOnly, ""
	expect(t, "crawler without schedule", a, "must be cron(")
	a = base()
	a.Discovery, a.CrawlerName = lakelayout.CrawlerOnly, ""
	expect(t, "crawler without name", a, "Glue crawler name")
	// Projection derives its template from the delivery's prefix: it needs the mode.
	a = base()
	a.Partitioning = ""
	expect(t, "projection without partitioning", a, `partitioning must be "event-time" or "arrival-time", got ""`)
	a.Discovery = lakelayout.CrawlerOnly
	expect(t, "crawler only needs no partitioning", a, "")
	// The schema only allows the year/month/day/hour layouts; a layout without a range would
	// still be refused rather than projected wrongly.
	s = schema.Default()
	s.Partitions[3].Layout = "15:04"
	if _, err := TableParameters("events", s, lakelayout.ProjectionOnly, lakelayout.EventTime, "b"); err == nil || !strings.Contains(err.Error(), `partition hour has layout "15:04", which has no projection range`) {
		t.Errorf("partition without a projection range: %v", err)
	}
}

func TestAnalyticsRules(t *testing.T) {
	base := func() *AnalyticsArgs {
		return &AnalyticsArgs{Env: env(), Schema: schema.Default(), WorkgroupName: "streamlake-dev", BucketName: pulumi.String("b"),
			DatabaseName: "streamlake_dev", TableName: "events", BytesScannedCutoffMiB: 100}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.BytesScannedCutoffMiB = 1
	expect(t, "cutoff", a, "at least 10")
	a = base()
	s := schema.Default()
	s.Fields[7].Name = "seconds_watched"
	a.Schema = s
	expect(t, "queries need watched_sec", a, "named queries need column watched_sec")
}

func TestIngestAPIRules(t *testing.T) {
	base := func() *IngestAPIArgs {
		return &IngestAPIArgs{Env: env(), Schema: schema.Default(), UnknownFields: schema.KeepUnknown, StreamName: pulumi.String("s"), StreamArn: pulumi.String("arn"),
			StageName: "api", RateLimit: 10, BurstLimit: 20}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.StageName = "a b"
	expect(t, "stage", a, "apiStageName must be")
	a = base()
	a.CorsOrigins = []string{"*", "https://x.com"}
	expect(t, "cors", a, "must be the only origin")
	a = base()
	a.RateLimit = 0
	expect(t, "throttle", a, "must be positive")
	a = base()
	a.UnknownFields = "drop"
	expect(t, "unknown fields", a, `UnknownFields must be "keep" or "reject", got "drop"`)
	const pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"
	for _, c := range []struct {
		name  string
		edit  func(*IngestAPIArgs)
		error string
	}{
		{"iam", func(a *IngestAPIArgs) { a.Auth = apispec.AuthIAM }, ""},
		{"jwt", func(a *IngestAPIArgs) {
			a.Auth, a.UserPoolArns, a.JWTScopes = apispec.AuthJWT, []string{pool}, []string{"events/write"}
		}, ""},
		{"unknown mode", func(a *IngestAPIArgs) { a.Auth = "basic" }, `auth mode must be one of apiKey, iam, jwt, got "basic"`},
		{"jwt without a pool", func(a *IngestAPIArgs) { a.Auth = apispec.AuthJWT }, "needs at least one Cognito user pool ARN"},
		{"jwt with a bad pool", func(a *IngestAPIArgs) { a.Auth, a.UserPoolArns = apispec.AuthJWT, []string{"eu-west-1_AbC"} }, "is not a Cognito user pool ARN"},
		{"pools without jwt", func(a *IngestAPIArgs) { a.UserPoolArns = []string{pool} }, "are for Auth jwt, not apiKey"},
		{"quota without keys", func(a *IngestAPIArgs) { a.Auth, a.QuotaPerDay = apispec.AuthIAM, 100 }, "quotas are counted per API key"},
	} {
		a := base()
		c.edit(a)
		expect(t, c.name, a, c.error)
	}
}

func TestDeliveryRules(t *testing.T) {
	base := func() *DeliveryArgs {
		return &DeliveryArgs{Env: env(), Schema: schema.Default(), StreamArn: pulumi.String("s"), BucketArn: pulumi.String("b"), FunctionArn: pulumi.String("f"),
			DatabaseName: "streamlake_dev", TableName: "events", Partitioning: lakelayout.EventTime, BufferMiB: 128, BufferSeconds: 300,
			ProcessorBufferMiB: 1, ProcessorBufferSeconds: 60, ProcessorRetries: 3, MaxProcessorBufferMiB: 2, RawBackup: true, RetrySeconds: 300}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.Partitioning = lakelayout.ArrivalTime
	a.BufferSeconds = 0
	expect(t, "raw backup needs 60 s", a, "raw backup needs a buffer interval of at least 60 s")
	a.RawBackup = false
	expect(t, "arrival time without backup allows 0 s", a, "")
	a = base()
	a.BufferMiB = 32
	expect(t, "conversion buffer", a, "record format conversion needs a buffer size of at least 64 MiB, got 32")
	a = base()
	a.BufferSeconds = 30
	expect(t, "dynamic partitioning interval", a, "at least 60 s")
	a = base()
	a.ProcessorBufferMiB = 3
	expect(t, "6 MB response", a, "exceeds 2 MiB, the largest batch whose transformed response is proven to fit")
	a = base()
	a.Partitioning = "ingest-time"
	expect(t, "mode", a, `partitioning must be "event-time" or "arrival-time"`)
	// The prefix partitions follow the schema's, so renaming one keeps the table and the
	// prefix in step; a schema whose layout is not hourly would be caught by the rules.
	p := lakelayout.DeliveryPrefixes(schema.Default(), lakelayout.EventTime)
	if p.Data != "data/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/" {
		t.Errorf("event-time prefix %q", p.Data)
	}
	if p.Errors != "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/" {
		t.Errorf("error prefix %q", p.Errors)
	}
	if got := ProcessorParameters(3, 1, 60); len(got) != 0 {
		t.Errorf("defaults must not be sent: %v", got)
	}
	if got := ProcessorParameters(5, 0.5, 120); len(got) != 3 || got[1] != [2]string{"BufferSizeInMBs", "0.5"} {
		t.Errorf("non-defaults: %v", got)
	}
	if a := lakelayout.DeliveryPrefixes(schema.Default(), lakelayout.ArrivalTime); a.Data != "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/" {
		t.Errorf("arrival-time prefix %q", a.Data)
	}
}

func TestTransformFunctionRules(t *testing.T) {
	base := func() *TransformFunctionArgs {
		return &TransformFunctionArgs{Env: env(), ArchivePath: "x.zip", CodeSHA256: "abc=", MemoryMiB: 512, TimeoutSeconds: 120, UnknownFields: schema.KeepUnknown, LogLevel: "INFO"}
	}
	expect(t, "valid", base(), "")
	a0 := base()
	a0.UnknownFields = ""
	expect(t, "unknown fields", a0, `UnknownFields must be "keep" or "reject"`)
	a := base()
	a.TimeoutSeconds = 30
	expect(t, "timeout too short for Firehose", a, "timeout must be 60..300 s")
	a = base()
	a.TimeoutSeconds = 600
	expect(t, "timeout beyond Firehose's wait", a, "timeout must be 60..300 s")
	a = base()
	a.CodeSHA256 = ""
	expect(t, "no archive", a, "build the archive first")
	// The function's environment uses the variable names its main reads.
	b := base()
	env := transform.Environment("events", b.UnknownFields, b.LogLevel)
	if env[transform.EnvUnknownFields] != "keep" || env[transform.EnvLogLevel] != "INFO" || len(env) != 2 {
		t.Errorf("environment %v", env)
	}
	// Another dataset's function is told its dataset.
	if env := transform.Environment("quiz_answers", b.UnknownFields, b.LogLevel); env[transform.EnvDataset] != "quiz_answers" || len(env) != 3 {
		t.Errorf("environment %v", env)
	}
}

func TestMonitoringRules(t *testing.T) {
	n := pulumi.String("x")
	base := func() *MonitoringArgs {
		return &MonitoringArgs{Env: env(), APIName: n, StageName: n, StreamName: n, DeliveryStreamName: n, FunctionName: n, WorkgroupName: n,
			Discovery: lakelayout.ProjectionAndCrawler, CrawlerName: n, DashboardName: "streamlake-dev",
			Targets:    AlarmTargets{RetentionHours: 24, BufferSeconds: 300, ProcessorBufferSeconds: 60, DynamicPartitioning: true, RawBackup: true, FunctionTimeoutSeconds: 120},
			Thresholds: AlarmThresholds{API5xxPerPeriod: 1, API4xxRatePercent: 5, APILatencyP99Ms: 2000, LambdaDurationPercent: 80, ThrottlePeriods: 3}}
	}
	expect(t, "valid", base(), "")
	a := base()
	a.FunctionName = nil
	expect(t, "missing resource", a, "dimension FunctionName is required")
	a = base()
	a.DashboardName = "streamlake dev"
	expect(t, "dashboard name", a, "dashboard name")
	a = base()
	a.Discovery = lakelayout.ProjectionOnly
	expect(t, "crawler without one in the catalog", a, `CrawlerName must be set exactly when discovery "projection" has a crawler`)
	a.CrawlerName = nil
	expect(t, "projection only", a, "")
	a = base()
	a.Discovery, a.CrawlerName = lakelayout.CrawlerOnly, nil
	expect(t, "crawler missing", a, `CrawlerName must be set exactly when discovery "crawler" has a crawler`)
	// A misspelled metric or a dimension set AWS does not publish is caught.
	specs := AlarmSpecs(base().Targets, base().Thresholds)
	specs[0].Metric = "5xxError"
	if err := CheckAlarmSpecs(specs); err == nil || !strings.Contains(err.Error(), `no metric "5xxError"`) {
		t.Errorf("misspelled metric: %v", err)
	}
	specs = AlarmSpecs(base().Targets, base().Thresholds)
	specs[3].Dims = []string{"StreamARN"}
	if err := CheckAlarmSpecs(specs); err == nil || !strings.Contains(err.Error(), "never get data") {
		t.Errorf("wrong dimension: %v", err)
	}
}

func TestThresholdsDeriveFromResources(t *testing.T) {
	tg := AlarmTargets{RetentionHours: 24, BufferSeconds: 300, ProcessorBufferSeconds: 60, FunctionTimeoutSeconds: 120}
	th := AlarmThresholds{LambdaDurationPercent: 80, ThrottlePeriods: 3}
	if got := IteratorAgeMinutes(tg, th); got != 60 {
		t.Errorf("iterator age for 24 h retention: %d min", got)
	}
	if got := IteratorAgeMinutes(AlarmTargets{RetentionHours: 1}, th); got != 15 {
		t.Errorf("iterator age for 1 h: %d", got)
	}
	if got := IteratorAgeMinutes(tg, AlarmThresholds{IteratorAgeMinutes: 20}); got != 20 {
		t.Errorf("override: %d", got)
	}
	if got := FreshnessSeconds(tg, th); got != 960 {
		t.Errorf("freshness %d, want buffers (360) + 600", got)
	}
	for _, s := range AlarmSpecs(tg, th) {
		if s.ID == "transform-duration-p99" && s.Threshold != 96000 {
			t.Errorf("duration threshold %v, want 80%% of 120 s", s.Threshold)
		}
	}
}

// TestDeploymentHashCoversMethodSettings: every setting a deployment snapshots is hashed,
// the auth mode and its authorizer among them.
func TestDeploymentHashCoversMethodSettings(t *testing.T) {
	hash := func(a IngestAPIArgs, mutate func(*definition)) string {
		t.Helper()
		d, err := apiDefinition(&a)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			d.Method.Statuses = append([]string(nil), d.Method.Statuses...)
			mutate(&d)
		}
		h, err := d.withTargets([]string{"stream"}, "role").hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := IngestAPIArgs{Env: env(), Schema: schema.Default(), UnknownFields: schema.KeepUnknown, StageName: "api", RateLimit: 1, BurstLimit: 1, Auth: apispec.AuthAPIKey}
	base := hash(a, nil)
	for name, mutate := range map[string]func(*methodConfig){
		"timeout":     func(m *methodConfig) { m.TimeoutMs = 29000 },
		"api key":     func(m *methodConfig) { m.APIKeyRequired = false },
		"passthrough": func(m *methodConfig) { m.Passthrough = "WHEN_NO_MATCH" },
		"statuses":    func(m *methodConfig) { m.Statuses = m.Statuses[:1] },
		"validator":   func(m *methodConfig) { m.ValidateBody = false },
	} {
		if hash(a, func(d *definition) { mutate(&d.Method) }) == base {
			t.Errorf("changing the %s does not change the deployment hash", name)
		}
	}
	const pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"
	jwt := a
	jwt.Auth, jwt.UserPoolArns = apispec.AuthJWT, []string{pool}
	iam := a
	iam.Auth = apispec.AuthIAM
	otherPool, scoped := jwt, jwt
	otherPool.UserPoolArns = []string{strings.Replace(pool, "AbCdEfGhI", "ZyXwVuTsR", 1)}
	scoped.JWTScopes = []string{"events/write"}
	seen := map[string]string{"apiKey": base}
	for name, args := range map[string]IngestAPIArgs{"iam": iam, "jwt": jwt, "jwt, another pool": otherPool, "jwt with a scope": scoped} {
		h := hash(args, nil)
		for other, oh := range seen {
			if h == oh {
				t.Errorf("%s and %s give the same deployment hash", name, other)
			}
		}
		seen[name] = h
	}
}
