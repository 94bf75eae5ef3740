package locallake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlake/streamlake/internal/locallake"
	"github.com/streamlake/streamlake/internal/recovery"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// recoveryBucket is the S3 bucket (gofakes3) the first run's lake is uploaded to.
const recoveryBucket = "lake"

// TestFullRecovery is issue 14's full recovery on the local lake: records fail in the
// transform, the cause is fixed, redrive runs, and the records are in the Parquet files.
//
// The cause: players send a user_agent the schema does not declare; with unknownFields keep
// the transform keeps it in attributes, whose values schema/events.yaml bounds to 1,024
// characters, so events with a longer one fail (processing-failed; the API does not judge
// unknown fields). The fix is a schema change that allows 2,048. The error objects the first
// run wrote are uploaded with their keys to an S3 stand-in, and recovery's redrive sends them
// into the stream of a second run, on the fixed schema, while it runs: every failed event is
// then in that run's Parquet files exactly once, and a second redrive sends nothing.
func TestFullRecovery(t *testing.T) {
	testenv.Node(t, "kinesalite")
	root := testenv.ModuleRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

	// 1. The bug: 30 events pass, 20 with a long user_agent fail in the transform.
	dir1 := t.TempDir()
	var failing []string
	lines := recoveryEvents(now, "ok-1", 30)
	for i := range 20 {
		id := fmt.Sprintf("ua-%02d", i)
		failing = append(failing, id)
		lines = append(lines, recoveryEvent(id, now, `,"user_agent":"`+strings.Repeat("a", 1500)+`"`))
	}
	res1, err := locallake.Run(ctx, locallake.Options{Root: root, Dir: dir1, Stack: "dev", Input: writeLines(t, dir1, lines), Route: locallake.RouteBatch})
	if err != nil {
		t.Fatal(err)
	}
	if s := res1.Summary; s.TransformFailed != 20 || s.ParquetRows != 30 || s.ConversionFailed != 0 {
		t.Fatalf("first run: %+v, want 20 transform failures and 30 rows", s)
	}

	// 2. The lake's error objects, as the delivery wrote them, in S3 under the same keys.
	s3c := testenv.S3Client(testenv.FakeS3(t, nil))
	testenv.CreateBucket(t, s3c, recoveryBucket)
	if n := uploadErrors(t, s3c, res1.Lake); n == 0 {
		t.Fatal("the first run wrote no error objects")
	}

	// 3. The fix, 4. the redrive into the fixed pipeline's stream while it runs, beside new
	// events.
	lake := &recovery.Lake{Client: s3c, Bucket: recoveryBucket, Prefixes: recovery.DatasetPrefixes(schema.DefaultDataset, schema.Default())}
	var report *recovery.Report
	dir2 := t.TempDir()
	res2, err := locallake.Run(ctx, locallake.Options{Root: root, Dir: dir2, Stack: "dev", Route: locallake.RouteBatch,
		Input: writeLines(t, dir2, recoveryEvents(now, "ok-2", 5)), Datasets: fixedDatasets(t),
		AfterSend: func(ctx context.Context, to locallake.Stream) error {
			var err error
			report, err = redrive(ctx, lake, to.Putter, to.Name)
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Records.ToSend != 20 || report.Records.Acknowledged != 20 {
		t.Fatalf("redrive: %+v", report)
	}
	if s := res2.Summary; s.StreamPut != 20 || s.TransformFailed != 0 || s.ParquetRows != 25 || s.Delivered != 25 {
		t.Errorf("second run: %+v, want 20 records put into the stream and 25 rows", s)
	}

	// Every failed event is in the Parquet files exactly once, with its user_agent.
	rows := rowsOf(t, openLake(t, res2))
	for _, id := range failing {
		var attrs map[string]string
		if len(rows[id]) == 1 {
			_ = json.Unmarshal([]byte(rows[id][0].attrs), &attrs)
		}
		if len(rows[id]) != 1 || len(attrs["user_agent"]) != 1500 {
			t.Errorf("event %s: %d rows (attributes %v), want one with its 1,500-character user_agent", id, len(rows[id]), len(attrs["user_agent"]))
		}
	}

	// 5. A second redrive sends nothing: the markers say every object is done.
	again, err := redrive(ctx, lake, refusingPutter{t}, "after-the-recovery")
	if err != nil {
		t.Fatal(err)
	}
	if again.Records.ToSend != 0 || again.Objects.AlreadyDone != again.Objects.Listed || again.Objects.Listed == 0 {
		t.Errorf("second redrive: %+v, want every object already done and nothing to send", again)
	}
}

// recoveryEvent is a valid event of the default schema with extra top-level fields.
func recoveryEvent(id string, at time.Time, extra string) string {
	return fmt.Sprintf(`{"event_id":%q,"event_type":"progress","user_id":"u-%s","occurred_at":%q,"watched_sec":30%s}`,
		id, id, at.Format(time.RFC3339), extra)
}

// recoveryEvents are n valid events, ids prefix-<i>.
func recoveryEvents(at time.Time, prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, recoveryEvent(fmt.Sprintf("%s-%02d", prefix, i), at, ""))
	}
	return out
}

func writeLines(t *testing.T, dir string, lines []string) string {
	t.Helper()
	path := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadErrors puts every file under lake/errors/ into the bucket, keyed by its path in the
// lake, and returns how many.
func uploadErrors(t *testing.T, c *s3.Client, lake string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(lake, "errors"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(lake, p)
		if err != nil {
			return err
		}
		n++
		_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(recoveryBucket), Key: aws.String(filepath.ToSlash(rel)), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fixedDatasets are the built-in datasets with the default's attributes values allowed 2,048
// characters instead of 1,024: the fix, a change of schema/events.yaml.
func fixedDatasets(t *testing.T) []schema.Dataset {
	t.Helper()
	ds, err := schema.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	def := ds[0]
	const before = "    type: map<string,string>\n    maxLength: 1024\n"
	if !bytes.Contains(def.Source, []byte(before)) {
		t.Fatalf("%s no longer bounds attributes to 1,024 characters as this test's bug assumes", def.File)
	}
	src := bytes.Replace(def.Source, []byte(before), []byte("    type: map<string,string>\n    maxLength: 2048\n"), 1)
	s, err := schema.Parse(def.File, src)
	if err != nil {
		t.Fatal(err)
	}
	ds[0] = schema.Dataset{Name: def.Name, File: def.File, Schema: s, Source: src}
	return ds
}

// redrive runs recovery's redrive of every processing-failed object into putter, as
// `streamlake redrive --prefix errors/processing-failed/` does.
func redrive(ctx context.Context, lake *recovery.Lake, putter producer.Putter, stream string) (*recovery.Report, error) {
	sel, err := lake.SelectPrefix(ctx, "errors/processing-failed/")
	if err != nil {
		return nil, err
	}
	return recovery.Run(ctx, recovery.Job{Lake: lake, Kind: recovery.ErrorRecords, Prefixes: sel.Prefixes, Objects: sel.Objects,
		Fields: recovery.FieldsOf(schema.Default(), producer.IDField), Putter: putter, Stream: stream,
		Options: producer.RunOptions{Retry: producer.DefaultRetryPolicy()}})
}

// refusingPutter fails the test if anything is sent.
type refusingPutter struct{ t *testing.T }

func (p refusingPutter) Limits() producer.Limits { return producer.KinesisLimits }

func (p refusingPutter) Put(_ context.Context, recs []producer.Record) (producer.Result, error) {
	p.t.Errorf("the second redrive sent %d records", len(recs))
	return producer.Result{}, nil
}
