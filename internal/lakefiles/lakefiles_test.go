package lakefiles

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// dataDir is the folder of all Parquet files: the data prefix up to its first expression.
func (l *Lake) dataDir() string {
	return filepath.Join(l.Root, filepath.FromSlash(awsrules.StaticPrefix(l.Prefixes.Data)))
}

var (
	oldest = time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	now    = time.Date(2024, 5, 1, 12, 40, 0, 0, time.UTC)
)

func lake(t *testing.T, partitioning string) *Lake {
	t.Helper()
	s := schema.Default()
	p := lakelayout.DeliveryPrefixes(s, partitioning)
	l := &Lake{Root: filepath.Join(t.TempDir(), "lake"), Prefixes: Prefixes{Data: p.Data, Errors: p.Errors, Raw: p.Raw},
		Stream: "streamlake-dev-delivery", Version: 1, Columns: s.GlueColumns(), Now: func() time.Time { return now }}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	return l
}

// rel is path relative to the lake root, with slashes, and its object name replaced by NAME.
func rel(t *testing.T, l *Lake, path string) string {
	t.Helper()
	r, err := filepath.Rel(l.Root, path)
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`streamlake-dev-delivery-1-2024-05-01-12-40-00-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	return name.ReplaceAllString(filepath.ToSlash(r), "NAME")
}

func row(t *testing.T, rec string) openx.Row {
	t.Helper()
	r, _ := openx.NewReader(schema.Default().GlueColumns(), false)
	v, err := r.Read([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Files land under the stack's prefixes: event-time data in the partition the Lambda chose,
// raw and errors at the arrival hour of the oldest record.
func TestLayout(t *testing.T) {
	l := lake(t, lakelayout.EventTime)
	keys := map[string]string{"year": "2023", "month": "12", "day": "31", "hour": "23"}
	rows := []openx.Row{row(t, `{"event_id":"a","occurred_at":"2023-12-31T23:59:59.000Z"}`), row(t, `{"event_id":"b"}`)}
	p, err := l.WriteParquet(keys, oldest, rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := rel(t, l, p); got != "data/year=2023/month=12/day=31/hour=23/NAME.parquet" {
		t.Errorf("parquet at %s", got)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil || pf.NumRows() != 2 {
		t.Fatalf("parquet file: %v rows, %v", pf.NumRows(), err)
	}
	if l.dataDir() != filepath.Join(l.Root, "data") {
		t.Errorf("dataDir %s", l.dataDir())
	}

	records := [][]byte{[]byte(`{"event_id":"a"}`), []byte(`{"event_id":"b"}`), []byte(`not json`)}
	p, err = l.WriteRaw(oldest, records)
	if err != nil {
		t.Fatal(err)
	}
	if got := rel(t, l, p); got != "raw/year=2024/month=05/day=01/hour=12/NAME.gz" {
		t.Errorf("raw at %s", got)
	}
	if got := gunzip(t, p); got != `{"event_id":"a"}{"event_id":"b"}not json` {
		t.Errorf("raw content %q: records concatenated as they arrived", got)
	}

	errs := []firehoserec.Record{{ErrorCode: firehoserec.CodeProcessingFailedStatus, RawData: records[2], ArrivalTimestamp: oldest}}
	p, err = l.WriteErrors(firehoserec.ProcessingFailed, oldest, errs)
	if err != nil {
		t.Fatal(err)
	}
	if got := rel(t, l, p); got != "errors/processing-failed/year=2024/month=05/day=01/hour=12/NAME" {
		t.Errorf("errors at %s", got)
	}
	b, _ := os.ReadFile(p)
	back, err := firehoserec.NewReader(bytes.NewReader(b)).Next()
	if err != nil || string(back.RawData) != "not json" {
		t.Errorf("error record back: %+v %v", back, err)
	}
	// Nothing temporary is left behind.
	_ = filepath.WalkDir(l.Root, func(path string, d os.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}

func TestArrivalTimeLayout(t *testing.T) {
	l := lake(t, lakelayout.ArrivalTime)
	p, err := l.WriteParquet(nil, oldest, []openx.Row{row(t, `{"event_id":"a"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := rel(t, l, p); got != "data/year=2024/month=05/day=01/hour=12/NAME.parquet" {
		t.Errorf("parquet at %s", got)
	}
}

func TestWriteRefuses(t *testing.T) {
	l := lake(t, lakelayout.EventTime)
	keys := map[string]string{"year": "2023", "month": "12", "day": "31"}
	if _, err := l.WriteParquet(keys, oldest, nil); err == nil || !strings.Contains(err.Error(), `partition key "hour"`) {
		t.Errorf("missing key: %v", err)
	}
	keys["hour"] = ".."
	if _, err := l.WriteParquet(keys, oldest, nil); err == nil || !strings.Contains(err.Error(), `hour=".."`) {
		t.Errorf("dot-dot key: %v", err)
	}
	keys["hour"] = "00/../../x"
	if _, err := l.WriteParquet(keys, oldest, nil); err == nil || !strings.Contains(err.Error(), "cannot be a folder name") {
		t.Errorf("slash key: %v", err)
	}
	if _, err := l.WriteErrors("splunk-failed", oldest, []firehoserec.Record{{}}); err == nil {
		t.Error("unknown output type must fail")
	}
	bad := &Lake{Root: "", Prefixes: Prefixes{Data: "/data/"}, Version: 0}
	err := bad.Validate()
	for _, want := range []string{"Root is required", `prefix Data "/data/"`, `prefix Raw ""`, "Version of at least 1", "Columns are required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want %q", err, want)
		}
	}
	escape := lake(t, lakelayout.EventTime)
	escape.Prefixes.Raw = "../outside/!{timestamp:yyyy}/"
	if _, err := escape.WriteRaw(oldest, nil); err == nil || !strings.Contains(err.Error(), "leaves the lake folder") {
		t.Errorf("escaping prefix: %v", err)
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
