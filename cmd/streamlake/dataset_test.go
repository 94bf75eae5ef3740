package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackfile"
)

// withExampleDataset builds the example dataset into the CLI for a test.
func withExampleDataset(t *testing.T) {
	t.Helper()
	t.Cleanup(buildExampleDataset())
}

// buildExampleDataset builds the example dataset into the CLI, until the function it returns
// is called.
func buildExampleDataset() (restore func()) {
	old := builtinDatasets
	builtinDatasets = func() ([]schema.Dataset, error) {
		ds, err := old()
		if err != nil {
			return nil, err
		}
		q, err := schema.LoadDataset(filepath.Join("..", "..", schema.ExampleDatasetFile))
		return append(ds, q), err
	}
	return func() { builtinDatasets = old }
}

// exampleDatasetYAML deploys the example dataset in a stack file, with settings of its own:
// on-demand, no raw backup (it has no extras field, so it rejects unknown fields).
const exampleDatasetYAML = "  streamlake:datasets:\n    quiz_answers:\n      unknownFields: reject\n      streamMode: ON_DEMAND\n      rawBackup: false\n"

// exampleDatasetProject is a copy of the project whose stack files deploy the example
// dataset (exampleDatasetYAML); the CLI must have it built in (withExampleDataset).
func exampleDatasetProject(t *testing.T) string {
	t.Helper()
	dir := testenv.CopyProject(t)
	for _, stack := range []string{"dev", "prod"} {
		path := stackfile.Path(dir, stack)
		if err := os.WriteFile(path, []byte(readFile(t, path)+exampleDatasetYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// outputsFile writes stack outputs as `pulumi stack output --json` prints them.
func outputsFile(t *testing.T, outputs map[string]any) string {
	t.Helper()
	b, err := json.Marshal(outputs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var twoDatasetOutputs = map[string]any{
	"region": "eu-west-1", "bucketName": "lake", "streamName": "s-events", "glueTable": "events",
	"datasets": map[string]any{
		"events":       map[string]any{"streamName": "s-events", "glueTable": "events", "eventsUrl": "https://x/api/v1/events"},
		"quiz_answers": map[string]any{"streamName": "s-quiz", "glueTable": "quiz_answers", "eventsUrl": "https://x/api/v1/quiz_answers/events"},
	},
}

// TestDatasetChoice: with one dataset nothing is asked and no outputs are read; with several
// --dataset is required (the error lists them), and a dataset's outputs come from the stack
// output datasets while the shared ones stay at the top level; a stack deployed before datasets
// serves the default dataset only.
func TestDatasetChoice(t *testing.T) {
	ctx := context.Background()
	calls := 0
	e := &env{getenv: func(string) string { return "" }, pulumi: func(context.Context, ...string) ([]byte, error) { calls++; return nil, os.ErrNotExist }}
	ds, err := (&datasetFlag{}).choose(ctx, newStackOutputs(e, "dev", ""))
	if err != nil || ds.Name != "events" || calls != 0 {
		t.Fatalf("one dataset: %v %v, %d pulumi calls", ds.Name, err, calls)
	}
	withExampleDataset(t)
	file := outputsFile(t, twoDatasetOutputs)
	_, err = (&datasetFlag{}).choose(ctx, newStackOutputs(e, "", file))
	if err == nil || !strings.Contains(err.Error(), "--dataset is required: the stack in "+file+" has the datasets events, quiz_answers") {
		t.Errorf("several datasets: %v", err)
	}
	so := newStackOutputs(e, "", file)
	if _, err := (&datasetFlag{name: "quiz_answers"}).choose(ctx, so); err != nil {
		t.Fatal(err)
	}
	stream, _ := so.get(ctx, outStream)
	table, _ := so.get(ctx, outTable)
	bucket, _ := so.get(ctx, outBucket)
	if stream != "s-quiz" || table != "quiz_answers" || bucket != "lake" {
		t.Errorf("quiz_answers: stream %q table %q bucket %q", stream, table, bucket)
	}
	if _, err := so.get(ctx, outDelivery); err == nil || !strings.Contains(err.Error(), `"datasets.quiz_answers.deliveryStreamName" is missing`) {
		t.Errorf("a missing dataset output names its path: %v", err)
	}
	if _, err := (&datasetFlag{name: "quiz"}).choose(ctx, newStackOutputs(e, "", file)); err == nil ||
		!strings.Contains(err.Error(), "this build of streamlake knows the datasets events, quiz_answers") {
		t.Errorf("unknown dataset: %v", err)
	}
	old := outputsFile(t, map[string]any{"region": "eu-west-1", "streamName": "s-events"})
	so = newStackOutputs(e, "", old)
	if _, err := (&datasetFlag{name: "quiz_answers"}).choose(ctx, so); err != nil {
		t.Fatal(err)
	}
	if _, err := so.get(ctx, outStream); err == nil || !strings.Contains(err.Error(), "dataset quiz_answers is not deployed there") {
		t.Errorf("a stack from before datasets: %v", err)
	}
	so = newStackOutputs(e, "", old)
	if _, err := (&datasetFlag{name: "events"}).choose(ctx, so); err != nil {
		t.Fatal(err)
	}
	if v, err := so.get(ctx, outStream); v != "s-events" || err != nil {
		t.Errorf("the default dataset of a stack from before datasets: %q %v", v, err)
	}
}

// TestShardsOfADataset: shards plans a dataset's own stream and writes its own shardCount
// (streamlake:datasets.<name>.shardCount, nothing else); a dataset that takes the stack's
// shardCount, which the others share, is not written.
func TestShardsOfADataset(t *testing.T) {
	withExampleDataset(t)
	dir := testenv.CopyProject(t)
	path := stackfile.Path(dir, "dev")
	src := readFile(t, path) + "  streamlake:datasets:\n    quiz_answers:\n      unknownFields: reject\n      shardCount: 2\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli{t: t, dir: dir}.run("shards", "--to", "4", "--stack", "dev", "--current", "2", "--dataset", "quiz_answers")
	if !strings.Contains(r.stdout, "--dataset quiz_answers") || !strings.Contains(r.stdout, "streamlake:datasets.quiz_answers.shardCount") {
		t.Errorf("the plan must name the dataset's key and its command:\n%s", r.stdout)
	}
	r = cli{t: t, dir: dir}.run("shards", "--to", "4", "--stack", "dev", "--current", "2", "--dataset", "quiz_answers", "--write")
	got := readFile(t, path)
	if r.code != exitOK || !strings.Contains(got, "      shardCount: 4\n") || strings.Count(got, "shardCount:") != 2 ||
		!strings.Contains(got, "  streamlake:shardCount: 1\n") || !strings.Contains(got, "      # capacity (streamlake shards): 4 shards carry") {
		t.Errorf("exit %d\n%s%s\n%s", r.code, r.stdout, r.stderr, got)
	}
	src = strings.Replace(src, "      shardCount: 2\n", "", 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r = cli{t: t, dir: dir}.run("shards", "--to", "2", "--stack", "dev", "--current", "1", "--dataset", "quiz_answers", "--write")
	if r.code != exitFail || !strings.Contains(r.stderr+r.stdout, "dataset quiz_answers takes the stack's streamlake:shardCount") || readFile(t, path) != src {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
