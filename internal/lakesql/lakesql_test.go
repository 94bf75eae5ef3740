package lakesql

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/lakefiles"
	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/internal/querycheck"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/queries"
	"github.com/streamlake/streamlake/schema"
)

const (
	database = "streamlake_dev"
	table    = "events"
)

// event is one row of the generated lake, as the Go side of the comparison sees it.
type event struct {
	querycheck.Event
	attributes    map[string]string
	partitionKeys map[string]string
	hasAttr       bool
}

// generate makes events every 20 minutes over the last 10 days up to now; every 7th is sent
// twice (the copy reaches the stream a minute later), as a producer retry would.
func generate(now time.Time) []event {
	var out []event
	types := []string{"progress", "progress", "play", "pause"}
	for i, at := 0, now.Add(-10*24*time.Hour); at.Before(now); i, at = i+1, at.Add(20*time.Minute) {
		at := at.Truncate(time.Millisecond)
		e := event{
			Event: querycheck.Event{
				ID: fmt.Sprintf("e-%04d", i), Type: types[i%len(types)], User: fmt.Sprintf("u-%d", i%5),
				Occurred: at, Ingested: at.Add(time.Duration(100+i*37%4900) * time.Millisecond),
				Watched: float64(6 * (i % 11)), HasWatched: i%13 != 0,
			},
			hasAttr: i%3 == 0, attributes: map[string]string{"player": "web", "i": fmt.Sprint(i)},
		}
		e.Partition = at.UTC().Format("2006-01-02")
		e.partitionKeys = map[string]string{"year": at.Format("2006"), "month": at.Format("01"), "day": at.Format("02"), "hour": at.Format("15")}
		out = append(out, e)
		if i%7 == 0 {
			dup := e
			dup.Ingested = e.Ingested.Add(time.Minute)
			out = append(out, dup)
		}
	}
	// A viewer whose only report of a day has no watched_sec: SQL's sum of no values is NULL.
	at := now.Add(-24 * time.Hour).Truncate(time.Millisecond)
	lone := event{Event: querycheck.Event{ID: "e-no-watch", Type: "pause", User: "u-no-watch", Occurred: at, Ingested: at.Add(time.Second)}}
	lone.Partition = at.UTC().Format("2006-01-02")
	lone.partitionKeys = map[string]string{"year": at.Format("2006"), "month": at.Format("01"), "day": at.Format("02"), "hour": at.Format("15")}
	return append(out, lone)
}

func (e event) row() openx.Row {
	v := func(s string) openx.Value { return openx.Value{Str: s} }
	null := openx.Value{Null: true}
	r := openx.Row{v(e.ID), v(e.Type), v(e.User), {Time: e.Occurred}, null, null, null, null, null, {Time: e.Ingested}}
	if e.HasWatched {
		r[7] = openx.Value{F64: e.Watched}
	}
	if e.hasAttr {
		r[8] = openx.Value{Map: []openx.Entry{{Key: "player", Value: "web"}, {Key: "i", Value: e.attributes["i"]}}}
	}
	return r
}

// testLake is a local lake under root with the stack's event-time prefixes.
func testLake(root string) *lakefiles.Lake {
	s := schema.Default()
	p := lakelayout.DeliveryPrefixes(s, lakelayout.EventTime)
	return &lakefiles.Lake{Root: root, Prefixes: lakefiles.Prefixes{Data: p.Data, Errors: p.Errors, Raw: p.Raw},
		Stream: "streamlake-dev-delivery", Version: 1, Columns: s.GlueColumns()}
}

// writeLake writes the events as the local lake does: one Parquet file per partition hour,
// under the stack's event-time prefix.
func writeLake(t *testing.T, events []event) string {
	t.Helper()
	l := testLake(filepath.Join(t.TempDir(), "lake"))
	byHour := map[string][]openx.Row{}
	keys := map[string]map[string]string{}
	for _, e := range events {
		h := e.Occurred.Format("2006010215")
		byHour[h] = append(byHour[h], e.row())
		keys[h] = e.partitionKeys
	}
	for h, rows := range byHour {
		if _, err := l.WriteParquet(keys[h], time.Now(), rows); err != nil {
			t.Fatal(err)
		}
	}
	return dataDir(l)
}

// dataDir is the default dataset's Parquet folder in l, as locallake.Lakes finds it.
func dataDir(l *lakefiles.Lake) string {
	return filepath.Join(l.Root, filepath.FromSlash(lakelayout.RootsOf(schema.DefaultDataset).Data))
}

func open(t *testing.T, dataDir string) *DB {
	t.Helper()
	s := schema.Default()
	db, err := Open(context.Background(), Config{DataDir: dataDir, Database: database, Table: table,
		Columns: s.GlueColumns(), Partitions: s.PartitionColumns()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func query(t *testing.T, db *DB, sql string) *Result {
	t.Helper()
	r, err := db.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return r
}

// today is DuckDB's current_date (UTC), the date the saved queries' windows count from.
func today(t *testing.T, db *DB) time.Time {
	t.Helper()
	return query(t, db, "SELECT current_date").Rows[0][0].(time.Time)
}

// Every saved Athena query runs unchanged and answers what Go computes from the input rows.
func TestSavedQueries(t *testing.T) {
	now := time.Now().UTC()
	events := generate(now)
	db := open(t, writeLake(t, events))
	day := today(t, db)
	saved, skipped, err := queries.For(schema.Default(), database, table)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("saved queries: %v (skipped %v)", err, skipped)
	}
	want := map[string]func(time.Time, []event) [][]string{
		"watch-time-per-user-per-day": func(day time.Time, events []event) [][]string { return querycheck.WatchTime(day, rows(events)) },
		"events-per-type-per-hour":    func(day time.Time, events []event) [][]string { return querycheck.PerHour(day, rows(events)) },
		"most-recent-events":          wantMostRecent,
	}
	for _, q := range saved {
		r := query(t, db, q.SQL)
		f := want[q.ID]
		if f == nil {
			t.Errorf("saved query %s has no expectation in this test", q.ID)
			continue
		}
		got, exp := r.Cells(), f(day, events)
		t.Logf("%s: %d rows, first %v", q.ID, len(got), head(got)[:min(1, len(got))])
		if q.ID != "most-recent-events" { // ties in the ORDER BY: compare as sets, check the order
			checkOrder(t, q.ID, got)
			slices.SortFunc(got, compareRows)
			slices.SortFunc(exp, compareRows)
		}
		if len(exp) == 0 || !slices.EqualFunc(got, exp, slices.Equal) {
			t.Errorf("%s: got %d rows, want %d\n got %v\nwant %v", q.ID, len(got), len(exp), head(got), head(exp))
		}
	}
	if !today(t, db).Equal(day) {
		t.Skip("the UTC day changed while the test ran")
	}
}

// rows are the events as the saved queries' expectations take them.
func rows(events []event) []querycheck.Event {
	out := make([]querycheck.Event, len(events))
	for i, e := range events {
		out[i] = e.Event
	}
	return out
}

// wantMostRecent is the 100 latest rows by ingested_at, copies included (this query does
// not deduplicate), with every column and the lag.
func wantMostRecent(day time.Time, events []event) [][]string {
	since := day.AddDate(0, 0, -1).Format("2006-01-02")
	var in []event
	for _, e := range events {
		if e.Partition >= since {
			in = append(in, e)
		}
	}
	slices.SortFunc(in, func(a, b event) int { return b.Ingested.Compare(a.Ingested) })
	var out [][]string
	ts := func(t time.Time) string { return t.Format("2006-01-02 15:04:05.000") }
	for _, e := range in[:min(100, len(in))] {
		watched, attrs := "NULL", "NULL"
		if e.HasWatched {
			watched = fmt.Sprint(e.Watched)
		}
		if e.hasAttr {
			attrs = "{player=web, i=" + e.attributes["i"] + "}"
		}
		k := e.partitionKeys
		out = append(out, []string{e.ID, e.Type, e.User, ts(e.Occurred), "NULL", "NULL", "NULL", watched, attrs, ts(e.Ingested),
			k["year"], k["month"], k["day"], k["hour"], fmt.Sprint(e.Ingested.Sub(e.Occurred).Milliseconds())})
	}
	return out
}

// checkOrder checks the first two ORDER BY keys of the grouped queries: column 2 descending
// then column 3 descending (watch time), or column 1 then column 3 (per hour).
func checkOrder(t *testing.T, id string, rows [][]string) {
	t.Helper()
	a, b := 1, 2
	if id == "events-per-type-per-hour" {
		a, b = 0, 2
	}
	for i := 1; i < len(rows); i++ {
		p, c := rows[i-1], rows[i]
		if p[a] < c[a] || p[a] == c[a] && number(p[b]) < number(c[b]) {
			t.Errorf("%s: rows %d and %d out of order: %v then %v", id, i-1, i, p, c)
			return
		}
	}
}

func number(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func compareRows(a, b []string) int { return slices.Compare(a, b) }

func head(rows [][]string) [][]string { return rows[:min(5, len(rows))] }

// Partition keys are strings, zero-padded as the folders are, after the data columns.
func TestTableShape(t *testing.T) {
	db := open(t, writeLake(t, generate(time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC))))
	r := query(t, db, `SELECT * FROM "streamlake_dev"."events" LIMIT 1`)
	want := []string{"event_id", "event_type", "user_id", "occurred_at", "content_id", "session_id", "position_sec",
		"watched_sec", "attributes", "ingested_at", "year", "month", "day", "hour"}
	if !slices.Equal(r.Columns, want) {
		t.Errorf("columns %v", r.Columns)
	}
	wantTypes := []string{"VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP", "VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE",
		"MAP(VARCHAR, VARCHAR)", "TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"}
	if !slices.Equal(r.Types, wantTypes) {
		t.Errorf("types %v", r.Types)
	}
	r = query(t, db, `SELECT DISTINCT month FROM "streamlake_dev"."events" WHERE month = '01'`)
	if got := r.Cells(); len(got) != 1 || got[0][0] != "01" {
		t.Errorf("month '01': %v", got)
	}
	// A timestamp filter is exact: INT96 columns carry no statistics to prune on wrongly.
	r = query(t, db, `SELECT count(*) FROM "streamlake_dev"."events" WHERE occurred_at >= TIMESTAMP '2024-01-04 00:00:00'`)
	n := 0
	for _, e := range generate(time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)) {
		if !e.Occurred.Before(time.Date(2024, 1, 4, 0, 0, 0, 0, time.UTC)) {
			n++
		}
	}
	if got := r.Cells()[0][0]; got != fmt.Sprint(n) {
		t.Errorf("timestamp filter: %s rows, want %d", got, n)
	}
}

// A lake with no files yet is an empty table with the same columns.
func TestEmptyLake(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "missing"))
	r := query(t, db, `SELECT * FROM "streamlake_dev"."events"`)
	if len(r.Rows) != 0 || len(r.Columns) != 14 || r.Types[8] != "MAP(VARCHAR, VARCHAR)" {
		t.Errorf("empty lake: %v %v %d rows", r.Columns, r.Types, len(r.Rows))
	}
	saved, _, err := queries.For(schema.Default(), database, table)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range saved {
		if r := query(t, db, q.SQL); len(r.Rows) != 0 {
			t.Errorf("%s on an empty lake: %d rows", q.ID, len(r.Rows))
		}
	}
}

// The macros give Trino's meaning; DuckDB's own functions would not.
func TestMacros(t *testing.T) {
	db := open(t, t.TempDir())
	r := query(t, db, `SELECT
  date_diff('day', TIMESTAMP '2024-05-01 23:00:00', TIMESTAMP '2024-05-02 01:00:00'),
  date_diff('millisecond', TIMESTAMP '2024-05-01 12:00:00.0009', TIMESTAMP '2024-05-01 12:00:00.0021'),
  date_diff('hour', TIMESTAMP '2024-05-02 01:00:00', TIMESTAMP '2024-05-01 23:30:00'),
  date_format(TIMESTAMP '2024-05-01 07:08:09', '%Y-%m-%d %H:%i:%s %M'),
  date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d') = strftime(current_date - INTERVAL '7' DAY, '%Y-%m-%d'),
  current_setting('TimeZone')`)
	want := []string{"0", "1", "-1", "2024-05-01 07:08:09 May", "true", "UTC"}
	if got := r.Cells()[0]; !slices.Equal(got, want) {
		t.Errorf("macros: %v, want %v", got, want)
	}
	if len(Macros) != 2 {
		t.Errorf("%d macros: the README's list must change with them", len(Macros))
	}
}

func TestWriteTable(t *testing.T) {
	db := open(t, t.TempDir())
	r := query(t, db, `SELECT 'u-1' AS user_id, DATE '2024-05-01' AS day_utc, 12.5 :: DOUBLE AS watched_minutes, 3 :: BIGINT AS reports,
  TIMESTAMP '2024-05-01 12:00:00.25' AS at, NULL AS missing, MAP {'a': 'b'} AS m
UNION ALL SELECT 'user-long-name', DATE '2024-04-30', 1e20, 10, NULL, NULL, MAP {}`)
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `user_id         day_utc     watched_minutes  reports  at                       missing  m
-------         -------     ---------------  -------  --                       -------  -
u-1             2024-05-01  12.5             3        2024-05-01 12:00:00.250  NULL     {a=b}
user-long-name  2024-04-30  1e+20            10       NULL                     NULL     {}
(2 rows)
`
	if b.String() != want {
		t.Errorf("table\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := r.WriteTableHead(&b, 1); err != nil {
		t.Fatal(err)
	}
	head := `user_id  day_utc     watched_minutes  reports  at                       missing  m
-------  -------     ---------------  -------  --                       -------  -
u-1      2024-05-01  12.5             3        2024-05-01 12:00:00.250  NULL     {a=b}
(2 rows, the first 1 shown)
`
	if b.String() != head {
		t.Errorf("head\n%s\nwant\n%s", b.String(), head)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Config{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("empty config: %v", err)
	}
	c := Config{DataDir: t.TempDir(), Database: database, Table: table, Columns: []schema.Column{{Name: "x", Type: "array<int>"}}}
	if _, err := Open(ctx, c); err == nil || !strings.Contains(err.Error(), `column x has type "array<int>"`) {
		t.Errorf("unknown type: %v", err)
	}
	db := open(t, t.TempDir())
	if _, err := db.Query(ctx, "SELECT nope FROM nowhere"); err == nil {
		t.Error("a bad query must fail")
	}
}

// Files written after Open are read by the next query: the view globs at each query.
func TestNewFilesVisible(t *testing.T) {
	at := time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)
	events := generate(at)
	dir := writeLake(t, events[:1])
	db := open(t, dir)
	count := func() string { return query(t, db, `SELECT count(*) FROM "streamlake_dev"."events"`).Cells()[0][0] }
	if got := count(); got != "1" {
		t.Fatalf("first count %s", got)
	}
	if _, err := testLake(filepath.Dir(dir)).WriteParquet(events[1].partitionKeys, at, []openx.Row{events[1].row()}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "2" {
		t.Errorf("after a new file: %s rows, want 2", got)
	}
}

// After a schema change appends a column (docs/schema-changes.md), the lake holds files with
// and without it: the view reads both, by name, and the old files' rows have NULL there.
func TestColumnAddedBySchemaChange(t *testing.T) {
	s := schema.Default()
	oldCols := s.GlueColumns()
	newCols := append(slices.Clone(oldCols), schema.Column{Name: "device", Type: "string"})
	old := testLake(filepath.Join(t.TempDir(), "lake"))
	old.Columns = oldCols
	cur := *old
	cur.Columns = newCols
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	before := event{Event: querycheck.Event{ID: "e-old", Type: "play", User: "u-1", Occurred: at, Ingested: at}}
	after := event{Event: querycheck.Event{ID: "e-new", Type: "play", User: "u-1", Occurred: at.Add(time.Hour), Ingested: at.Add(time.Hour)}}
	keys := func(t time.Time) map[string]string {
		return map[string]string{"year": t.Format("2006"), "month": t.Format("01"), "day": t.Format("02"), "hour": t.Format("15")}
	}
	// The older file comes first in the glob, so its column set is the one a plain read takes.
	if _, err := old.WriteParquet(keys(before.Occurred), before.Ingested, []openx.Row{before.row()}); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.WriteParquet(keys(after.Occurred), after.Ingested, []openx.Row{append(after.row(), openx.Value{Str: "tv"})}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), Config{DataDir: dataDir(old), Database: database, Table: table,
		Columns: newCols, Partitions: s.PartitionColumns()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	got := query(t, db, `SELECT event_id, coalesce(device, 'NULL'), hour FROM streamlake_dev.events ORDER BY event_id`).Cells()
	want := [][]string{{"e-new", "tv", "11"}, {"e-old", "NULL", "10"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}
