package locallake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/lakesql"
	"github.com/streamlake/streamlake/internal/locallake"
	"github.com/streamlake/streamlake/internal/querycheck"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/queries"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Where an event ends: exactly one of these.
const (
	inParquet = "parquet"
	atAPI     = "api"
	inErrors  = "errors"
)

// line is one input line and what must become of it.
type line struct {
	n    int // line number in the input file
	kind string
	data []byte
	id   string // its event_id
	want string // inParquet, atAPI or inErrors
	// For lines that reach the lake: the row they must become.
	row   querycheck.Event
	attrs map[string]string
}

// kinds of input lines: how to write one, and where it ends with unknownFields keep or
// reject. Every kind of invalid event the issue names is here.
var kinds = []struct {
	name       string
	weight     int
	keep, rej  string
	write      func(b *base) string
	wantsAttrs func(b *base) map[string]string
}{
	{"valid", 50, inParquet, inParquet, func(b *base) string { return b.json("") }, nil},
	{"unknown fields", 8, inParquet, atAPI,
		func(b *base) string { return b.json(`,"device":"tv","score":1.50,"nested":{"a":[1]}`) },
		func(b *base) map[string]string {
			return map[string]string{"player": "web", "device": "tv", "score": "1.50", "nested": `{"a":[1]}`}
		}},
	{"oversized unknown field", 2, inErrors, atAPI, func(b *base) string { return b.json(`,"note":"` + strings.Repeat("n", 1100) + `"`) }, nil},
	{"oversized field", 2, atAPI, atAPI, func(b *base) string { b.user = strings.Repeat("u", 257); return b.json("") }, nil},
	{"timestamp not RFC 3339", 2, atAPI, atAPI, func(b *base) string { b.ts = `"yesterday"`; return b.json("") }, nil},
	{"timestamp not a date", 2, inErrors, inErrors, func(b *base) string { b.ts = `"2024-02-30T10:00:00Z"`; return b.json("") }, nil},
	{"timestamp before 2000", 2, inErrors, inErrors, func(b *base) string { b.ts = "946684799"; return b.json("") }, nil},
	{"time beyond the future skew", 2, inErrors, inErrors, func(b *base) string {
		b.ts = `"` + time.Now().Add(3*time.Hour).UTC().Format(time.RFC3339) + `"`
		return b.json("")
	}, nil},
	{"missing field", 2, atAPI, atAPI, func(b *base) string {
		return fmt.Sprintf(`{"event_id":%q,"event_type":"play","occurred_at":%s}`, b.id, b.ts)
	}, nil},
	{"mistyped field", 2, atAPI, atAPI, func(b *base) string { b.watched = `"30"`; return b.json("") }, nil},
	{"pipeline field", 1, atAPI, atAPI, func(b *base) string { return b.json(`,"ingested_at":"2024-05-01T00:00:00Z"`) }, nil},
	{"invalid JSON", 2, atAPI, atAPI, func(b *base) string { return fmt.Sprintf(`{"event_id":%q,"event_type":"play",`, b.id) }, nil},
	{"duplicate", 3, inParquet, inParquet, nil, nil},
}

// base is a valid event before a kind changes it.
type base struct {
	id, typ, user, ts, watched string
	at                         time.Time // what occurred_at must read in the lake
	watchedSec                 float64
	hasWatched                 bool
}

func (b *base) json(extra string) string {
	watched := ""
	if b.watched != "" {
		watched = `,"watched_sec":` + b.watched
	}
	return fmt.Sprintf(`{"event_id":%q,"event_type":%q,"user_id":%q,"occurred_at":%s,"content_id":"course-1/video-2"%s,"attributes":{"player":"web"}%s}`,
		b.id, b.typ, b.user, b.ts, watched, extra)
}

// newBase draws a valid event of the last 20 hours with one of the timestamp forms clients
// use; at is the instant the lake must hold: UTC, truncated (not rounded) to milliseconds.
func newBase(rnd *rand.Rand, id string, now time.Time) *base {
	t := now.Add(-time.Duration(rnd.Int64N(int64(20 * time.Hour)))).Truncate(time.Microsecond)
	b := &base{id: id, typ: []string{"progress", "play", "pause", "complete"}[rnd.IntN(4)], user: fmt.Sprintf("u-%03d", rnd.IntN(40))}
	switch rnd.IntN(5) {
	case 0:
		b.ts, b.at = `"`+t.UTC().Format("2006-01-02T15:04:05.000Z")+`"`, t.Truncate(time.Millisecond)
	case 1: // an offset and microseconds: normalised to UTC, truncated to milliseconds
		b.ts, b.at = `"`+t.In(time.FixedZone("", 9*3600+30*60)).Format("2006-01-02T15:04:05.000000-07:00")+`"`, t.Truncate(time.Millisecond)
	case 2:
		b.ts, b.at = fmt.Sprint(t.Unix()), t.Truncate(time.Second)
	case 3:
		b.ts, b.at = fmt.Sprint(t.UnixMilli()), t.Truncate(time.Millisecond)
	default:
		b.ts, b.at = `"`+t.UTC().Format("2006-01-02 15:04:05.999999z")+`"`, t.Truncate(time.Millisecond)
	}
	if rnd.IntN(10) != 0 {
		// Whole seconds: sums of doubles are then exact, in any order.
		b.watchedSec, b.hasWatched = float64(rnd.IntN(31)), true
		b.watched = fmt.Sprint(b.watchedSec)
	}
	return b
}

// input writes n lines of the kinds above, in a random order, and returns them.
func input(t *testing.T, path string, n int, keep bool, seed uint64) []*line {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 7))
	var bag []int
	for i, k := range kinds {
		for range k.weight {
			bag = append(bag, i)
		}
	}
	now := time.Now()
	var lines []*line
	var valid []*line
	for i := 1; i <= n; i++ {
		k := kinds[bag[rnd.IntN(len(bag))]]
		if k.write == nil && len(valid) == 0 {
			k = kinds[0]
		}
		l := &line{n: i, kind: k.name, want: map[bool]string{true: k.keep, false: k.rej}[keep]}
		if k.write == nil { // a duplicate: an earlier valid line sent again, byte for byte
			d := valid[rnd.IntN(len(valid))]
			l.data, l.id, l.row, l.attrs = d.data, d.id, d.row, d.attrs
		} else {
			b := newBase(rnd, fmt.Sprintf("ev-%d-%05d", seed, i), now)
			l.data, l.id = []byte(k.write(b)), b.id
			l.row = querycheck.Event{ID: b.id, Type: b.typ, User: b.user, Occurred: b.at.UTC(), Watched: b.watchedSec, HasWatched: b.hasWatched,
				Partition: b.at.UTC().Format("2006-01-02")}
			l.attrs = map[string]string{"player": "web"}
			if k.wantsAttrs != nil {
				l.attrs = k.wantsAttrs(b)
			}
			if k.name == "valid" {
				valid = append(valid, l)
			}
		}
		lines = append(lines, l)
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l.data)
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestEndToEnd sends 10,000 events, valid and invalid in every way the issue names, through
// the whole local data path, under both unknownFields settings: 8,000 with keep, 2,000 with
// reject. Every event ends exactly once in the Parquet files, refused by the API, or under
// errors/; the summary's counts add up; values round-trip; each saved query answers what Go
// computes from the input.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole data path")
	}
	testenv.Node(t, "kinesalite")
	root := testenv.ModuleRoot(t)
	for _, run := range []struct {
		name   string
		events int
		set    map[string]string
		keep   bool
	}{
		{"unknownFields=keep", 8000, nil, true},
		{"unknownFields=reject", 2000, map[string]string{"unknownFields": "reject"}, false},
	} {
		t.Run(run.name, func(t *testing.T) {
			dir := t.TempDir()
			lines := input(t, filepath.Join(dir, "events.jsonl"), run.events, run.keep, uint64(run.events))
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			res, err := locallake.Run(ctx, locallake.Options{Root: root, Dir: dir, Stack: "dev", Set: run.set,
				Input: filepath.Join(dir, "events.jsonl"), Route: locallake.RouteSingle})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d events in %s: %+v", run.events, time.Since(start).Round(time.Millisecond), res.Summary)
			db := openLake(t, res)
			checkFates(t, res, db, lines)
			checkSummaryFile(t, dir, res.Summary)
			checkQueries(t, db, lines)
		})
	}
}

func openLake(t *testing.T, res *locallake.Result) *lakesql.DB {
	t.Helper()
	s := schema.Default()
	names := stackconfig.NamesFor(res.Config.Project, res.Config.Stack)
	db, err := lakesql.Open(context.Background(), lakesql.Config{DataDir: res.DataDir, Database: names.Database, Table: names.Table,
		Columns: s.GlueColumns(), Partitions: s.PartitionColumns()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// lakeRow is a Parquet row as the checks read it.
type lakeRow struct {
	id, typ, user, attrs string
	occurred, ingested   time.Time
	partition            [4]string
	watched              *float64
}

func rowsOf(t *testing.T, db *lakesql.DB) map[string][]lakeRow {
	t.Helper()
	r, err := db.Query(context.Background(), `SELECT event_id, event_type, user_id, occurred_at, ingested_at, watched_sec,
  CAST(to_json(attributes) AS VARCHAR), year, month, day, hour FROM "streamlake_dev"."events"`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]lakeRow{}
	for _, v := range r.Rows {
		row := lakeRow{id: v[0].(string), typ: v[1].(string), user: v[2].(string), occurred: v[3].(time.Time), ingested: v[4].(time.Time)}
		if w, ok := v[5].(float64); ok {
			row.watched = &w
		}
		row.attrs, _ = v[6].(string)
		for i := range row.partition {
			row.partition[i] = v[7+i].(string)
		}
		out[row.id] = append(out[row.id], row)
	}
	return out
}

// errorData returns the original data of every error record, by output type.
func errorData(t *testing.T, lake string) map[string][][]byte {
	t.Helper()
	out := map[string][][]byte{}
	err := filepath.WalkDir(filepath.Join(lake, "errors"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		typ := strings.Split(filepath.ToSlash(strings.TrimPrefix(p, filepath.Join(lake, "errors"))), "/")[1]
		r := firehoserec.NewReader(bytes.NewReader(b))
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			out[typ] = append(out[typ], rec.RawData)
		}
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// checkFates: every line is in exactly the place its kind says, and nowhere else: the API's
// rejections name it, an error record carries it byte for byte, or a row carries its
// event_id (a line sent twice makes two rows).
func checkFates(t *testing.T, res *locallake.Result, db *lakesql.DB, lines []*line) {
	t.Helper()
	rejected := map[int]bool{}
	for _, r := range res.Rejected {
		rejected[r.Line] = true
	}
	failed := map[string]int{}
	for typ, data := range errorData(t, res.Lake) {
		if typ != firehoserec.ProcessingFailed {
			t.Errorf("%d records under errors/%s", len(data), typ)
		}
		for _, d := range data {
			failed[string(d)]++
		}
	}
	rows := rowsOf(t, db)
	left := map[string]int{}
	for id, r := range rows {
		left[id] = len(r)
	}
	byKind := map[string]map[string]int{}
	for _, l := range lines {
		var got []string
		if rejected[l.n] {
			got = append(got, atAPI)
		}
		if failed[string(l.data)] > 0 {
			failed[string(l.data)]--
			got = append(got, inErrors)
		}
		if left[l.id] > 0 && (l.want == inParquet || len(got) == 0) {
			left[l.id]--
			got = append(got, inParquet)
			checkRow(t, l, rows[l.id][0])
		}
		if len(got) != 1 || got[0] != l.want {
			t.Errorf("line %d (%s) ended in %v, want %s: %s", l.n, l.kind, got, l.want, head(l.data))
		}
		if byKind[l.kind] == nil {
			byKind[l.kind] = map[string]int{}
		}
		byKind[l.kind][l.want]++
	}
	for id, n := range left {
		if n > 0 {
			t.Errorf("%d rows of event %s match no line", n, id)
		}
	}
	for d, n := range failed {
		if n > 0 {
			t.Errorf("an error record matches no line: %s", head([]byte(d)))
		}
	}
	checkCounts(t, res.Summary, lines)
	t.Logf("fates by kind: %v", byKind)
}

// checkRow: the row holds the event's values, normalised as the pipeline promises.
func checkRow(t *testing.T, l *line, r lakeRow) {
	t.Helper()
	want := l.row
	var attrs map[string]string
	if err := json.Unmarshal([]byte(r.attrs), &attrs); err != nil {
		t.Errorf("line %d: attributes %q: %v", l.n, r.attrs, err)
	}
	partition := [4]string{want.Occurred.Format("2006"), want.Occurred.Format("01"), want.Occurred.Format("02"), want.Occurred.Format("15")}
	watchedOK := (r.watched == nil) == !want.HasWatched && (r.watched == nil || *r.watched == want.Watched)
	if r.typ != want.Type || r.user != want.User || !r.occurred.Equal(want.Occurred) || r.partition != partition || !watchedOK ||
		!mapsEqual(attrs, l.attrs) || time.Since(r.ingested) > 10*time.Minute || r.ingested.After(time.Now()) {
		t.Errorf("line %d (%s): row %+v (watched %v, attributes %v)\nwant %+v partitions %v attributes %v", l.n, l.kind, r, r.watched, attrs, want, partition, l.attrs)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkCounts: the summary's counts are the input's, and they add up.
func checkCounts(t *testing.T, s locallake.Summary, lines []*line) {
	t.Helper()
	want := map[string]int{}
	for _, l := range lines {
		want[l.want]++
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	if s.Sent != len(lines) || s.APIRejected != want[atAPI] || s.ParquetRows != want[inParquet] || s.TransformFailed != want[inErrors] ||
		s.ConversionFailed != 0 || s.Dropped != 0 || s.Accepted != want[inParquet]+want[inErrors] {
		t.Errorf("summary %+v, want %v", s, want)
	}
}

func checkSummaryFile(t *testing.T, dir string, want locallake.Summary) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int{"sent": want.Sent, "api_rejected": want.APIRejected, "accepted": want.Accepted, "delivered": want.Delivered,
		"transform_failed": want.TransformFailed, "parquet_files": want.ParquetFiles, "parquet_rows": want.ParquetRows} {
		if got[k] != float64(v) {
			t.Errorf("summary.json %s = %v, want %d", k, got[k], v)
		}
	}
}

// checkQueries: each saved query, unchanged, answers what Go computes from the input.
func checkQueries(t *testing.T, db *lakesql.DB, lines []*line) {
	t.Helper()
	ctx := context.Background()
	today := query(t, db, "SELECT current_date").Rows[0][0].(time.Time)
	var events []querycheck.Event
	for _, l := range lines {
		if l.want == inParquet {
			events = append(events, l.row)
		}
	}
	saved, skipped, err := queries.For(schema.Default(), "streamlake_dev", "events")
	if err != nil || len(skipped) > 0 {
		t.Fatalf("saved queries: %v (skipped %v)", err, skipped)
	}
	for _, q := range saved {
		r, err := db.Query(ctx, q.SQL)
		if err != nil {
			t.Fatalf("%s: %v", q.ID, err)
		}
		var want [][]string
		switch q.ID {
		case "watch-time-per-user-per-day":
			want = querycheck.WatchTime(today, events)
		case "events-per-type-per-hour":
			want = querycheck.PerHour(today, events)
		case "most-recent-events":
			checkMostRecent(t, db, r)
			continue
		default:
			t.Errorf("saved query %s has no expectation here", q.ID)
			continue
		}
		got := r.Cells()
		slices.SortFunc(got, slices.Compare)
		slices.SortFunc(want, slices.Compare)
		if len(want) == 0 || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: %d rows, want %d\n got %v\nwant %v", q.ID, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
		}
	}
	if !query(t, db, "SELECT current_date").Rows[0][0].(time.Time).Equal(today) {
		t.Skip("the UTC day changed while the test ran")
	}
}

// checkMostRecent: the 100 rows with the latest ingested_at, each with its lag.
func checkMostRecent(t *testing.T, db *lakesql.DB, r *lakesql.Result) {
	t.Helper()
	all := query(t, db, `SELECT ingested_at FROM "streamlake_dev"."events" ORDER BY ingested_at DESC LIMIT 100`)
	cutoff := all.Rows[len(all.Rows)-1][0].(time.Time)
	col := func(name string) int { return slices.Index(r.Columns, name) }
	if len(r.Rows) != len(all.Rows) {
		t.Errorf("most-recent-events: %d rows, want %d", len(r.Rows), len(all.Rows))
	}
	for _, row := range r.Rows {
		in, at := row[col("ingested_at")].(time.Time), row[col("occurred_at")].(time.Time)
		if in.Before(cutoff) || row[col("lag_ms")] != in.Sub(at).Milliseconds() {
			t.Errorf("most-recent-events row %v: ingested before the 100th latest (%s) or a wrong lag", row, cutoff)
		}
	}
}

func query(t *testing.T, db *lakesql.DB, sql string) *lakesql.Result {
	t.Helper()
	r, err := db.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func head(b []byte) string { return string(b[:min(len(b), 160)]) }

// TestLocalLakeRunsEveryDataset: with the example dataset next to the default, one run takes
// generated events of both through their own routes, streams, functions and deliveries into
// their own tables; the default's table does not read the example's folder; each dataset's
// saved queries answer; --input goes to the dataset it names, refused by that dataset's models.
func TestLocalLakeRunsEveryDataset(t *testing.T) {
	testenv.Node(t, "kinesalite")
	root := testenv.ModuleRoot(t)
	q, err := schema.LoadDataset(filepath.Join(root, schema.ExampleDatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := schema.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	ds = append(ds, q)
	set := map[string]string{"datasets": `{"quiz_answers": {"unknownFields": "reject", "shardCount": 2}}`}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	res, err := locallake.Run(ctx, locallake.Options{Root: root, Dir: dir, Stack: "dev", Set: set, Count: 300, Route: locallake.RouteBatch, Datasets: ds})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Summary.Datasets) != 2 || res.Summary.Sent != 600 || res.Summary.ParquetRows != 600 {
		t.Fatalf("summary %+v", res.Summary)
	}
	for _, s := range res.Summary.Datasets {
		if s.Sent != 300 || s.ParquetRows != 300 || s.APIRejected != 0 {
			t.Errorf("dataset %s: %+v", s.Dataset, s)
		}
	}
	db := openLakes(t, res)
	for table, want := range map[string]string{"events": "300", "quiz_answers": "300"} {
		r, err := db.Query(ctx, `SELECT count(*) FROM "streamlake_dev"."`+table+`"`)
		if err != nil || fmt.Sprint(r.Rows[0][0]) != want {
			t.Errorf("%s: %v rows, want %s (%v)", table, r, want, err)
		}
	}
	r, err := db.Query(ctx, `SELECT count(*) FROM "streamlake_dev"."quiz_answers" WHERE attempt >= 1 AND correct IS NOT NULL AND score >= 0`)
	if err != nil || fmt.Sprint(r.Rows[0][0]) != "300" {
		t.Errorf("quiz rows keep their types: %v %v", r, err)
	}
	for _, l := range res.Datasets {
		saved, _, err := queries.For(l.Schema, l.Database, l.Table)
		if err != nil || len(saved) == 0 {
			t.Fatalf("%s: %d queries, %v", l.Name, len(saved), err)
		}
		for _, sq := range saved {
			if _, err := db.Query(ctx, sq.SQL); err != nil {
				t.Errorf("%s: saved query %s: %v", l.Name, sq.ID, err)
			}
		}
	}

	// --input to the example: a wrong type and an unknown field are refused by its models.
	dir = t.TempDir()
	input := filepath.Join(dir, "quiz.jsonl")
	good := `{"event_id":"q1","user_id":"u1","quiz_id":"z","question_id":"x","answered_at":"2026-07-01T10:00:00Z","attempt":1,"correct":true}`
	lines := good + "\n" + strings.Replace(good, `"attempt":1`, `"attempt":"one"`, 1) + "\n" + strings.Replace(good, `"correct":true`, `"correct":true,"device":"tv"`, 1) + "\n"
	if err := os.WriteFile(input, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = locallake.Run(ctx, locallake.Options{Root: root, Dir: dir, Stack: "dev", Set: set, Input: input, Dataset: "quiz_answers",
		Route: locallake.RouteSingle, Datasets: ds})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Sent != 3 || res.Summary.APIRejected != 2 || res.Summary.ParquetRows != 1 || len(res.Rejected) != 2 || res.Rejected[0].Dataset != "quiz_answers" {
		t.Errorf("input to quiz_answers: %+v, rejected %+v", res.Summary, res.Rejected)
	}
	_, err = locallake.Run(ctx, locallake.Options{Root: root, Dir: t.TempDir(), Stack: "dev", Set: set, Input: input, Route: locallake.RouteSingle, Datasets: ds})
	if err == nil || !strings.Contains(err.Error(), "--dataset is required with --input: the stack has the datasets events, quiz_answers") {
		t.Errorf("--input without --dataset: %v", err)
	}
}

// openLakes opens every dataset's table of a run.
func openLakes(t *testing.T, res *locallake.Result) *lakesql.DB {
	t.Helper()
	var db *lakesql.DB
	for i, l := range res.Datasets {
		c := lakesql.Config{DataDir: l.DataDir, Database: l.Database, Table: l.Table, FolderPrefix: l.FolderPrefix,
			Columns: l.Schema.GlueColumns(), Partitions: l.Schema.PartitionColumns()}
		var err error
		if i == 0 {
			db, err = lakesql.Open(context.Background(), c)
		} else {
			err = db.AddTable(context.Background(), c)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
