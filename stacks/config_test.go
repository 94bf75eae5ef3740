package stacks_test

import (
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stacks"
)

// load runs only stacks.Load for a stack file with overrides, under mocks.
func load(t *testing.T, stack string, cfg map[string]string, unset ...string) (*stacks.Config, error) {
	t.Helper()
	var got *stacks.Config
	_, err := stacktest.Run(stacktest.Options{Stack: stack, Config: cfg, Unset: unset, Program: func(ctx *pulumi.Context) error {
		c, err := stacks.Load(ctx, nil)
		got = c
		return err
	}})
	return got, err
}

func declaredKeys(t *testing.T) []string {
	t.Helper()
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("Pulumi.yaml does not pass Pulumi's own validation: %v", err)
	}
	return slices.Sorted(maps.Keys(proj.Config))
}

// TestPulumiYAMLDeclaresEveryKeyWithTheCodeDefault keeps Pulumi.yaml and Defaults() equal:
// a run with every stack value removed must load exactly Defaults().
func TestPulumiYAMLDeclaresEveryKeyWithTheCodeDefault(t *testing.T) {
	declared := declaredKeys(t)
	cfg, err := load(t, "dev", nil, declared...)
	if err != nil {
		t.Fatal(err)
	}
	read := append([]string(nil), cfg.Keys()...)
	sort.Strings(read)
	if !slices.Equal(read, declared) {
		t.Errorf("keys read by Load %v\nkeys declared in Pulumi.yaml %v", read, declared)
	}
	want := stackconfig.Defaults()
	cfg.Project, cfg.Stack, cfg.Region = "", "", ""
	got := *cfg
	if !reflect.DeepEqual(stripKeys(got), stripKeys(want)) {
		t.Errorf("Pulumi.yaml defaults differ from stackconfig.Defaults():\n got  %+v\n want %+v", got, want)
	}
}

func stripKeys(c stacks.Config) stacks.Config {
	// Keys() is bookkeeping, not configuration; Datasets is derived from the rest by Load
	// (each dataset's configuration is the stack's with its own values: TestDatasetConfig).
	c.Datasets = nil
	v := reflect.ValueOf(&c).Elem()
	f := v.FieldByName("keys")
	if f.IsValid() {
		f = reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
		f.Set(reflect.Zero(f.Type()))
	}
	return c
}

func TestStackFilesLoadAndValidate(t *testing.T) {
	root, _ := stacktest.Root()
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names, err := stacktest.Stacks()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "dev") || !slices.Contains(names, "prod") {
		t.Fatalf("stacks %v: dev and prod are required", names)
	}
	for _, stack := range names {
		if _, err := workspace.LoadProjectStack(nil, proj, filepath.Join(root, "Pulumi."+stack+".yaml")); err != nil {
			t.Errorf("Pulumi.%s.yaml: %v", stack, err)
		}
		cfg, err := load(t, stack, nil)
		if err != nil {
			t.Errorf("%s: %v", stack, err)
			continue
		}
		if cfg.Region == "" || cfg.Tags["environment"] != stack {
			t.Errorf("%s: region %q tags %v", stack, cfg.Region, cfg.Tags)
		}
	}
}

// devAndProd loads both stack files.
func devAndProd(t *testing.T) (dev, prod *stacks.Config) {
	t.Helper()
	dev, err := load(t, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	prod, err = load(t, "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	return dev, prod
}

func TestDevIsDisposableProdIsDurable(t *testing.T) {
	dev, prod := devAndProd(t)
	if dev.ShardCount != 1 || dev.ProtectData || dev.Versioning {
		t.Errorf("dev should be 1 shard, unprotected, unversioned: %+v", dev)
	}
	if prod.ShardCount <= dev.ShardCount || prod.RetentionHours <= dev.RetentionHours || !prod.ProtectData || !prod.Versioning {
		t.Errorf("prod should have more shards, longer retention, protection and versioning: %+v", prod)
	}
	if prod.LogRetentionDays <= dev.LogRetentionDays {
		t.Errorf("prod keeps logs longer than dev")
	}
}

// TestProdFacesTheInternetDevDoesNot: prod authorizes users (jwt) behind the firewall, which a
// protected stack cannot turn off; dev keeps its API key and saves the firewall's cost.
func TestProdFacesTheInternetDevDoesNot(t *testing.T) {
	dev, prod := devAndProd(t)
	if !prod.WAF || prod.APIAuth != apispec.AuthJWT || len(prod.APIJWTUserPoolArns) == 0 {
		t.Errorf("prod: waf %t, apiAuth %s, pools %v; want the firewall and user pool tokens", prod.WAF, prod.APIAuth, prod.APIJWTUserPoolArns)
	}
	if dev.WAF || dev.APIAuth != apispec.AuthAPIKey {
		t.Errorf("dev: waf %t, apiAuth %s; want no firewall and the API key", dev.WAF, dev.APIAuth)
	}
	if !stackconfig.Defaults().WAF {
		t.Error("the firewall must be on unless a stack turns it off")
	}
	if _, err := load(t, "prod", map[string]string{"waf": "false"}); err == nil || !strings.Contains(err.Error(), "protectData is true but waf is false") {
		t.Errorf("prod without the firewall: %v", err)
	}
}

// TestInvalidValuesNameTheKey: each bad value fails with a message naming the key, the value
// and the rule.
func TestInvalidValuesNameTheKey(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
	}{
		{"shardCount", "0", "shardCount must be between 1 and 500 for streamMode PROVISIONED, got 0"},
		{"shardCount", "many", `shardCount must be an integer, got "many"`},
		{"streamMode", "FAST", `streamMode must be PROVISIONED or ON_DEMAND, got "FAST"`},
		{"retentionHours", "12", "retentionHours must be between 24 and 8760, got 12"},
		{"shardLevelMetrics", `["Bytes"]`, `shardLevelMetrics: "Bytes" is not a shard-level metric`},
		{"shardLevelMetrics", `IncomingBytes`, `shardLevelMetrics must be a list of strings, got "IncomingBytes"`},
		{"checkShardStep", "maybe", `checkShardStep must be true or false, got "maybe"`},
		{"apiStageName", "my stage", `apiStageName must be 1..128 letters, digits, _ or -, got "my stage"`},
		{"apiRateLimit", "0", "apiRateLimit must be > 0"},
		{"apiRateLimit", "fast", `apiRateLimit must be a number, got "fast"`},
		{"apiBurstLimit", "10", "apiBurstLimit (10) must be at least apiRateLimit (20)"},
		{"apiBurstLimit", "6000", "apiBurstLimit must be between 1 and 5000, got 6000"},
		{"apiQuotaPerDay", "-1", "apiQuotaPerDay must be 0 (no quota) or positive, got -1"},
		{"corsAllowOrigins", `["http://example.com"]`, `corsAllowOrigins: "http://example.com" must be https://host`},
		{"unknownFields", "drop", `unknownFields must be "keep" or "reject", got "drop"`},
		{"manageApiGatewayAccount", "yes please", `manageApiGatewayAccount must be true or false`},
		{"apiAuth", "basic", `apiAuth must be one of apiKey, iam, jwt, got "basic"`},
		{"apiAuth", "jwt", "apiAuth is jwt but apiJwtUserPoolArns is empty"},
		{"apiAuth", "iam", "apiQuotaPerDay is 200000 but apiAuth is iam: quotas are counted per API key"},
		{"apiJwtUserPoolArns", `["eu-west-1_AbC"]`, `apiJwtUserPoolArns: "eu-west-1_AbC" is not a Cognito user pool ARN`},
		{"apiJwtUserPoolArns", `["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC"]`, "they only apply to apiAuth jwt"},
		{"apiJwtScopes", `["events write"]`, `apiJwtScopes: "events write" is not an OAuth scope`},
		{"waf", "maybe", "waf must be true or false"},
		{"wafRateLimitPer5Min", "5", "wafRateLimitPer5Min must be between 10 and 2000000000 (AWS WAF's range for a rate-based rule), got 5"},
		{"wafManagedRules", `["AWSManagedRulesBotControlRuleSet"]`, `wafManagedRules: "AWSManagedRulesBotControlRuleSet" is not one of`},
		{"alarmWafBlockedPerPeriod", "0", "alarmWafBlockedPerPeriod must be at least 1, got 0"},
		{"rawTransitionDays", "10", "objects must be at least 30 days old to move to STANDARD_IA, got 10"},
		{"rawStorageClass", "COLD", `rawStorageClass must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, got "COLD"`},
		{"rawExpirationDays", "-3", "rawExpirationDays must be a positive number of days, got -3"},
		{"errorsExpirationDays", "0", "errorsExpirationDays must be a positive number of days, got 0"},
		{"athenaResultsExpirationDays", "-1", "athenaResultsExpirationDays must be a positive number of days, got -1"},
		{"noncurrentExpirationDays", "0", "noncurrentExpirationDays must be a positive number of days, got 0"},
		{"versioning", "sometimes", "versioning must be true or false"},
		{"protectData", "true", "protectData is true but versioning is false"},
		{"crawlerSchedule", "rate(1 hour)", `crawlerSchedule: schedule "rate(1 hour)": Glue crawlers take cron(...) only`},
		{"partitionDiscovery", "glue", `partitionDiscovery must be one of projection+crawler, projection, crawler, got "glue"`},
		{"partitionDiscovery", "Projection", `partitionDiscovery must be one of projection+crawler, projection, crawler, got "Projection"`},
		{"partitionDiscovery", "projection crawler", `got "projection crawler"`},
		{"bytesScannedCutoffMb", "5", "bytesScannedCutoffMb must be at least 10 (Athena's minimum is 10 MiB, 10485760 bytes), got 5"},
		{"allowBreakingSchemaChange", `["Watched Sec"]`, `allowBreakingSchemaChange: "Watched Sec" is not a column name`},
		{"allowBreakingSchemaChange", `["watched_sec","watched_sec"]`, "allowBreakingSchemaChange: watched_sec is listed twice"},
		{"allowBreakingSchemaChange", "watched_sec", `allowBreakingSchemaChange must be a list of strings, got "watched_sec"`},
		{"logRetentionDays", "10", "logRetentionDays must be one of"},
		{"tags", `{"aws:owner":"me"}`, `tags: key "aws:owner" uses the reserved aws: prefix`},
		{"tags", `{"stack":"x"}`, `tags: key "stack" is set by streamlake itself`},
		{"tags", `["a"]`, `tags must be an object of string values`},
	}
	for _, tt := range tests {
		cfg := map[string]string{tt.key: tt.value}
		if tt.key == "rawTransitionDays" {
			cfg["rawStorageClass"] = "STANDARD_IA"
		}
		if tt.key == "rawStorageClass" {
			cfg["rawTransitionDays"] = "30"
		}
		_, err := load(t, "dev", cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: got %v\nwant an error containing %q", tt.key, tt.value, err, tt.want)
		}
	}
}

// TestEveryDeclaredKeyIsValidated: a nonsense value for any key is rejected, naming the key.
func TestEveryDeclaredKeyIsValidated(t *testing.T) {
	for _, key := range declaredKeys(t) {
		_, err := load(t, "dev", map[string]string{key: "!!nonsense!!"})
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=!!nonsense!!: got %v, want an error naming the key", key, err)
		}
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	_, err := load(t, "dev", map[string]string{"shardCount": "0", "retentionHours": "1", "logRetentionDays": "2", "apiRateLimit": "x"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"apiRateLimit", "shardCount", "retentionHours", "logRetentionDays"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not mention %s: %v", key, err)
		}
	}
}

func TestMissingRegion(t *testing.T) {
	_, err := load(t, "dev", nil, "aws:region")
	if err == nil || !strings.Contains(err.Error(), "aws:region is not set") {
		t.Errorf("got %v", err)
	}
}

func TestNoPanicOnAnyValue(t *testing.T) {
	// Config values arrive as arbitrary strings; Load must return errors, never panic.
	for _, v := range []string{"", "null", "[]", "{}", "1e400", "-0", "\x00", strings.Repeat("9", 40)} {
		for _, key := range declaredKeys(t) {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s=%q panicked: %v", key, v, r)
					}
				}()
				_, _ = load(t, "dev", map[string]string{key: v})
			}()
		}
	}
}

// TestPartitionDiscoveryAndCrawlerSchedule: crawlerSchedule's default follows
// partitionDiscovery (hourly where Athena waits for the crawler, daily where projection serves
// Athena, none without a crawler); a schedule set for a mode without a crawler is refused,
// naming both keys; a schedule set with a crawler is kept.
func TestPartitionDiscoveryAndCrawlerSchedule(t *testing.T) {
	tests := []struct {
		mode, schedule string // schedule "" leaves it unset
		want, err      string
	}{
		{"", "", "cron(15 0 * * ? *)", ""}, // the default mode: projection+crawler
		{"projection+crawler", "", "cron(15 0 * * ? *)", ""},
		{"crawler", "", "cron(15 * * * ? *)", ""},
		{"projection", "", "", ""},
		{"crawler", "cron(0/5 * * * ? *)", "cron(0/5 * * * ? *)", ""},
		{"projection+crawler", "cron(5 * * * ? *)", "cron(5 * * * ? *)", ""},
		{"projection", "cron(5 * * * ? *)", "", `crawlerSchedule is "cron(5 * * * ? *)" but partitionDiscovery projection has no crawler: ` +
			"remove crawlerSchedule, or use projection+crawler"},
		{"crawler", "cron(* * * * ? *)", "", "crawlerSchedule: schedule \"cron(* * * * ? *)\" runs every minute"},
		{"glue", "cron(5 * * * ? *)", "", `partitionDiscovery must be one of`}, // no rule between keys on a broken value
	}
	for _, tt := range tests {
		cfg := map[string]string{}
		if tt.mode != "" {
			cfg["partitionDiscovery"] = tt.mode
		}
		if tt.schedule != "" {
			cfg["crawlerSchedule"] = tt.schedule
		}
		c, err := load(t, "dev", cfg)
		name := tt.mode + " " + tt.schedule
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %v, want an error containing %q", name, err, tt.err)
			}
			if tt.mode == "glue" && strings.Contains(err.Error(), "has no crawler") {
				t.Errorf("%s: a rule between keys ran on an invalid partitionDiscovery: %v", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.CrawlerSchedule != tt.want {
			t.Errorf("%s: crawlerSchedule %q, want %q", name, c.CrawlerSchedule, tt.want)
		}
	}
	if d := stackconfig.Defaults(); d.PartitionDiscovery != "projection+crawler" || d.CrawlerSchedule != "cron(15 0 * * ? *)" {
		t.Errorf("defaults: %s with %q", d.PartitionDiscovery, d.CrawlerSchedule)
	}
}
