package stackconfig_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// twoDatasets are the default dataset and the example (quiz_answers, no extras field).
func twoDatasets(t *testing.T) []schema.Dataset {
	t.Helper()
	q, err := schema.LoadDataset(filepath.Join(moduleRoot(t), schema.ExampleDatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := schema.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	return append(ds[:1:1], q)
}

func loadWith(t *testing.T, stack string, set map[string]string) (*stackconfig.Config, error) {
	t.Helper()
	return stackconfig.FromFilesWith(moduleRoot(t), stack, set, twoDatasets(t))
}

// TestDatasetConfig: a dataset's keys override the stack's for it alone; the top-level values
// are every other dataset's; streamMode carries its shardCount default along.
func TestDatasetConfig(t *testing.T) {
	cfg, err := loadWith(t, "prod", map[string]string{"datasets": `{"quiz_answers": {"shardCount": 2, "retentionHours": 48,
		"unknownFields": "reject", "firehoseBufferSeconds": 120, "alarmIteratorAgeMinutes": 30, "shardLevelMetrics": ["IncomingBytes"]},
		"events": {"lambdaMemoryMb": 2048}}`})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.DatasetNames(); len(got) != 2 || got[0] != "events" || got[1] != "quiz_answers" {
		t.Fatalf("datasets %v", got)
	}
	ev, q := cfg.Dataset("events"), cfg.Dataset("quiz_answers")
	if ev.ShardCount != cfg.ShardCount || ev.RetentionHours != 168 || ev.LambdaMemoryMiB != 2048 || cfg.LambdaMemoryMiB != 1024 {
		t.Errorf("events: shards %d retention %d memory %d (stack memory %d)", ev.ShardCount, ev.RetentionHours, ev.LambdaMemoryMiB, cfg.LambdaMemoryMiB)
	}
	if q.ShardCount != 2 || q.RetentionHours != 48 || q.UnknownFields != schema.RejectUnknown || q.FirehoseBufferSeconds != 120 ||
		q.AlarmIteratorAgeMinutes != 30 || len(q.ShardLevelMetrics) != 1 || q.LambdaMemoryMiB != 1024 || q.CrawlerSchedule != cfg.CrawlerSchedule {
		t.Errorf("quiz_answers: %+v", *q.Config)
	}
	if strings.Join(q.Set, ",") != "alarmIteratorAgeMinutes,firehoseBufferSeconds,retentionHours,shardCount,shardLevelMetrics,unknownFields" ||
		q.Schema.Name != "quiz_answers" || q.File != "schema/datasets/quiz_answers.yaml" {
		t.Errorf("set %v, schema %s, file %s", q.Set, q.Schema.Name, q.File)
	}
	cfg, err = loadWith(t, "dev", map[string]string{"datasets": `{"quiz_answers": {"streamMode": "ON_DEMAND", "unknownFields": "reject",
		"partitionDiscovery": "projection"}}`})
	if err != nil {
		t.Fatal(err)
	}
	if q := cfg.Dataset("quiz_answers"); q.ShardCount != 0 || q.CrawlerSchedule != "" || cfg.ShardCount != 1 {
		t.Errorf("on-demand dataset: %d shards, schedule %q; stack %d shards", q.ShardCount, q.CrawlerSchedule, cfg.ShardCount)
	}
}

// TestDatasetConfigErrors: every problem names the dataset and the key, with did-you-mean
// for typos; a problem of the stack's own value is reported once, not per dataset.
func TestDatasetConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, datasets string
		set            map[string]string
		want           []string
	}{
		{"unknown dataset", `{"quiz_answer": {}}`, nil, []string{
			"datasets.quiz_answer: the stack has no dataset quiz_answer (it deploys events, quiz_answers", "Did you mean quiz_answers?"}},
		{"nested typo", `{"quiz_answers": {"unknownFields": "reject", "shardcount": 2}}`, nil, []string{
			"datasets.quiz_answers: shardcount is not a key a dataset may set (keys are case-sensitive): did you mean shardCount?"}},
		{"shared key", `{"quiz_answers": {"unknownFields": "reject", "apiRateLimit": 5}}`, nil, []string{
			"datasets.quiz_answers: apiRateLimit is the pipeline's, shared by every dataset: set streamlake:apiRateLimit at the top level"}},
		{"bad values", `{"quiz_answers": {"unknownFields": "reject", "shardCount": "two", "retentionHours": 3, "partitionDiscovery": "both"}}`, nil, []string{
			`datasets.quiz_answers: shardCount must be an integer, got "two"`,
			"datasets.quiz_answers: retentionHours must be between 24 and 8760, got 3",
			`datasets.quiz_answers: partitionDiscovery must be one of projection+crawler, projection, crawler, got "both"`}},
		{"rules between keys", `{"quiz_answers": {"unknownFields": "reject", "alarmIteratorAgeMinutes": 2000}}`, nil, []string{
			"datasets.quiz_answers: alarmIteratorAgeMinutes must be 0 (derived from retention) or below the retention of 1440 minutes, got 2000"}},
		{"keep without extras", `{}`, nil, []string{
			"datasets.quiz_answers: unknownFields is keep but schema/datasets/quiz_answers.yaml has no extras field",
			"streamlake:datasets: {quiz_answers: {unknownFields: reject}}"}},
		{"null", `{"quiz_answers": {"unknownFields": "reject", "shardCount": null}}`, nil, []string{
			"datasets.quiz_answers: shardCount: null is not a value"}},
	} {
		set := map[string]string{"datasets": c.datasets}
		for k, v := range c.set {
			set[k] = v
		}
		_, err := loadWith(t, "dev", set)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: got %v\nwant %q", c.name, err, w)
			}
		}
	}
	_, err := loadWith(t, "dev", map[string]string{"retentionHours": "3", "datasets": `{"quiz_answers": {"unknownFields": "reject"}}`})
	if err == nil || strings.Count(err.Error(), "retentionHours must be between") != 1 {
		t.Errorf("a stack value's problem must be reported once: %v", err)
	}
}

// TestDatasetQuotas: preview refuses datasets that need more than the region's default quotas
// (or the raised ones of accountQuotas), naming each quota, the need and the limit.
func TestDatasetQuotas(t *testing.T) {
	if _, err := loadWith(t, "dev", map[string]string{"aws:region": "eu-central-1", "shardCount": "500",
		"datasets": `{"quiz_answers": {"unknownFields": "reject", "shardCount": 500}}`}); err != nil {
		t.Errorf("1000 shards fit eu-central-1's default quota: %v", err)
	}
	_, err := loadWith(t, "dev", map[string]string{"shardCount": "500", "accountQuotas": `{"kinesisShardsPerRegion": 600}`,
		"datasets": `{"quiz_answers": {"unknownFields": "reject", "shardCount": 200}}`})
	if err == nil || !strings.Contains(err.Error(), "kinesisShardsPerRegion: the stack needs 700, the quota is 600 (accountQuotas)") {
		t.Errorf("got %v", err)
	}
	_, err = loadWith(t, "dev", map[string]string{"accountQuotas": `{"kinesisShardPerRegion": 2000, "apiResourcesPerApi": 0}`,
		"datasets": `{"quiz_answers": {"unknownFields": "reject"}}`})
	for _, w := range []string{`accountQuotas: "kinesisShardPerRegion" is not a quota streamlake checks`, "did you mean kinesisShardsPerRegion?",
		"accountQuotas: apiResourcesPerApi must be positive, got 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got %v, want %q", err, w)
		}
	}
	_, err = loadWith(t, "dev", map[string]string{"accountQuotas": `{"apiResourcesPerApi": 6}`,
		"datasets": `{"quiz_answers": {"unknownFields": "reject"}}`})
	if err == nil || !strings.Contains(err.Error(), "apiResourcesPerApi: the stack needs 7, the quota is 6 (accountQuotas)") {
		t.Errorf("got %v", err)
	}
}
