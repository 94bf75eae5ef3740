package costplan

import (
	"path/filepath"
	"testing"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// The stacks the hand-computed tests describe are the stack files, as the command reads them:
// the stack's own values, and its one dataset's.
func TestHandStacksAreTheStackFiles(t *testing.T) {
	for _, want := range []Stack{devStack(), prodStack()} {
		c, err := stackconfig.FromFiles("..", want.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := FromConfig(c); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", want.Name, got, want)
		}
		ds := FromDatasets(c)
		want.Dataset = schema.DefaultDataset
		if len(ds) != 1 || ds[0] != want {
			t.Errorf("%s: datasets %+v, want the one %+v", want.Name, ds, want)
		}
	}
}

// exampleDatasetConfig deploys the example dataset beside the default, with values of its own
// for keys the plan reads.
const exampleDatasetConfig = `{"quiz_answers": {"unknownFields": "reject", "streamMode": "ON_DEMAND", "retentionHours": 48,
	"partitionDiscovery": "projection", "rawBackup": false, "firehoseBufferSeconds": 900, "lambdaMemoryMb": 256},
	"events": {"shardCount": 3}}`

// twoDatasetStacks are a stack file's datasets with the example deployed too.
func twoDatasetStacks(t *testing.T, stack string) []Stack {
	t.Helper()
	ds, err := schema.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	q, err := schema.LoadDataset(filepath.Join("..", schema.ExampleDatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.FromFilesWith("..", stack, map[string]string{"datasets": exampleDatasetConfig}, append(ds, q))
	if err != nil {
		t.Fatal(err)
	}
	return FromDatasets(c)
}

// Each dataset is planned with its own values over the stack's, the default dataset too
// (datasets.events sets its shardCount, not the stack's 4); the shared keys are alike.
func TestFromDatasetsTakesEachDatasetsValues(t *testing.T) {
	ss := twoDatasetStacks(t, "prod")
	if len(ss) != 2 {
		t.Fatalf("%d datasets", len(ss))
	}
	ev, q := ss[0], ss[1]
	want := prodStack()
	want.Dataset, want.ShardCount = schema.DefaultDataset, 3
	if ev != want {
		t.Errorf("events:\n got %+v\nwant %+v", ev, want)
	}
	want = prodStack()
	want.Dataset, want.StreamMode, want.ShardCount, want.RetentionHours = "quiz_answers", "ON_DEMAND", 0, 48
	want.Discovery, want.CrawlerSchedule, want.RawBackup, want.FirehoseBufferSeconds, want.LambdaMemoryMiB = "projection", "", false, 900, 256
	if q != want {
		t.Errorf("quiz_answers:\n got %+v\nwant %+v", q, want)
	}
}
