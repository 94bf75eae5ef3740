package lakeparquet

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// rows returns how many rows w was given so far: written, or buffered until Close.
func (w *Writer) rows() int { return w.count + len(w.buf) }

// allTypes has a column of every type the schema package knows.
var allTypes = []schema.Column{
	{Name: "s", Type: "string"}, {Name: "t", Type: "timestamp"}, {Name: "d", Type: "double"},
	{Name: "n", Type: "bigint"}, {Name: "b", Type: "boolean"}, {Name: "m", Type: "map<string,string>"},
}

// The schema keeps the table's column order and Hive's types: INT96 timestamps, optional
// columns, a MAP of strings.
func TestSchema(t *testing.T) {
	s, err := Schema(allTypes)
	if err != nil {
		t.Fatal(err)
	}
	want := `message hive_schema {
	optional binary s (STRING);
	optional int96 t;
	optional double d;
	optional int64 n (INT(64,true));
	optional boolean b;
	optional group m (MAP) {
		repeated group key_value {
			required binary key (STRING);
			optional binary value (STRING);
		}
	}
}`
	if got := s.String(); got != want {
		t.Errorf("schema\n%s\nwant\n%s", got, want)
	}
	if _, err := Schema([]schema.Column{{Name: "x", Type: "array<string>"}}); err == nil || !strings.Contains(err.Error(), "column x") {
		t.Errorf("unknown type: %v", err)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Rows come back as they were written, every NULL and empty case included.
func TestRoundTrip(t *testing.T) {
	rows := []openx.Row{
		{{Str: "a"}, {Time: ts("2024-05-01T11:59:30.25Z")}, {F64: -754.5}, {I64: -1 << 62}, {Bool: true},
			{Map: []openx.Entry{{Key: "player", Value: "web"}, {Key: "n", Null: true}, {Key: "", Value: ""}}}},
		{{Null: true}, {Null: true}, {Null: true}, {Null: true}, {Null: true}, {Null: true}},
		{{Str: ""}, {Time: ts("0001-01-01T00:00:00Z")}, {F64: 0}, {I64: 0}, {Bool: false}, {Map: []openx.Entry{}}},
		{{Str: "ü€😀"}, {Time: ts("9999-12-31T23:59:59.999999999Z")}, {F64: 1e300}, {I64: 1<<63 - 1}, {Bool: true},
			{Map: []openx.Entry{{Key: "k", Value: "v"}}}},
		{{Str: "x"}, {Time: ts("1969-12-31T23:59:59.999Z")}, {Null: true}, {I64: 7}, {Null: true}, {Map: []openx.Entry{{Key: "only", Null: true}}}},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, allTypes)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ { // more than one batch of rows
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w.rows() != 1500 {
		t.Errorf("rows() = %d", w.rows())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, buf.Bytes(), allTypes)
	if len(got) != 1500 {
		t.Fatalf("%d rows back", len(got))
	}
	for i, g := range got {
		if want := rows[i%len(rows)]; !reflect.DeepEqual(g, want) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
}

// The footer: Snappy everywhere, no bounds on INT96 (it has no order), our name.
func TestFileMetadata(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, allTypes)
	_ = w.Write(openx.Row{{Str: "a"}, {Time: ts("2024-05-01T00:00:00Z")}, {F64: 1}, {I64: 1}, {Bool: true}, {Map: []openx.Entry{}}})
	_ = w.Write(openx.Row{{Str: "b"}, {Time: ts("1999-05-01T00:00:00Z")}, {F64: 2}, {I64: 2}, {Bool: true}, {Map: []openx.Entry{}}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	if !strings.HasPrefix(md.CreatedBy, CreatedBy) {
		t.Errorf("created by %q", md.CreatedBy)
	}
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			path := strings.Join(c.MetaData.PathInSchema, ".")
			if c.MetaData.Codec != format.Snappy {
				t.Errorf("%s: codec %v", path, c.MetaData.Codec)
			}
			bounds := c.MetaData.Statistics.MinValue != nil || c.MetaData.Statistics.MaxValue != nil
			if c.MetaData.Type == format.Int96 && bounds {
				t.Errorf("%s: INT96 has min/max statistics", path)
			}
			if path == "s" && !bounds {
				t.Errorf("%s: strings lost their statistics", path)
			}
		}
	}
}

func TestInt96(t *testing.T) {
	for _, c := range []struct {
		at        string
		day, nsLo uint32
	}{
		{"1970-01-01T00:00:00Z", 2440588, 0},
		{"2000-01-01T00:00:00.000000001Z", 2451545, 1},
		{"1969-12-31T23:59:59Z", 2440587, uint32(86399_000_000_000 % (1 << 32))},
	} {
		v := Int96(ts(c.at))
		if v[2] != c.day || v[0] != c.nsLo {
			t.Errorf("%s: %v, want day %d, low ns %d", c.at, v, c.day, c.nsLo)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	w, err := NewWriter(io.Discard, allTypes)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(openx.Row{{Str: "a"}}); err == nil || !strings.Contains(err.Error(), "1 values for 6 columns") {
		t.Errorf("short row: %v", err)
	}
}

// readAll reads a file back into rows: the inverse of appendValue, on parquet-go's reader.
func readAll(t *testing.T, b []byte, cols []schema.Column) []openx.Row {
	t.Helper()
	r := parquet.NewReader(bytes.NewReader(b))
	var out []openx.Row
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, pr := range buf[:n] {
			out = append(out, decodeRow(pr, cols))
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func decodeRow(pr parquet.Row, cols []schema.Column) openx.Row {
	row := make(openx.Row, len(cols))
	leaf := 0
	for i, c := range cols {
		var vals []parquet.Value
		width := 1
		if schema.Type(c.Type) == schema.StringMap {
			width = 2
		}
		for _, v := range pr {
			if v.Column() >= leaf && v.Column() < leaf+width {
				vals = append(vals, v)
			}
		}
		row[i] = decodeValue(schema.Type(c.Type), vals, leaf)
		leaf += width
	}
	return row
}

func decodeValue(t schema.Type, vals []parquet.Value, leaf int) openx.Value {
	v := vals[0]
	if t != schema.StringMap {
		if v.DefinitionLevel() == 0 {
			return openx.Value{Null: true}
		}
		switch t {
		case schema.String:
			return openx.Value{Str: string(v.ByteArray())}
		case schema.Timestamp:
			i := v.Int96()
			ns := uint64(i[1])<<32 | uint64(i[0])
			return openx.Value{Time: time.Unix((int64(i[2])-2440588)*86400, int64(ns)).UTC()}
		case schema.Double:
			return openx.Value{F64: v.Double()}
		case schema.Long:
			return openx.Value{I64: v.Int64()}
		case schema.Boolean:
			return openx.Value{Bool: v.Boolean()}
		}
	}
	switch v.DefinitionLevel() {
	case 0:
		return openx.Value{Null: true}
	case 1:
		return openx.Value{Map: []openx.Entry{}}
	}
	var keys, values []parquet.Value
	for _, x := range vals {
		if x.Column() == leaf {
			keys = append(keys, x)
		} else {
			values = append(values, x)
		}
	}
	m := make([]openx.Entry, len(keys))
	for i := range keys {
		m[i] = openx.Entry{Key: string(keys[i].ByteArray()), Value: string(values[i].ByteArray()), Null: values[i].DefinitionLevel() == 2}
	}
	return openx.Value{Map: m}
}

// typicalRows are n rows as the local lake writes them: generated events, through the real
// transform, read as Firehose's conversion reads them.
func typicalRows(tb testing.TB, n int) []openx.Row {
	tb.Helper()
	s := schema.Default()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	g, err := producer.NewGenerator(s, producer.GeneratorOptions{Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := transform.New(s, transform.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := openx.NewReader(s.GlueColumns(), false)
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([]openx.Row, n)
	for i := range rows {
		rec, err := g.Next()
		if err != nil {
			tb.Fatal(err)
		}
		out, err := tr.TransformRecord(rec.Data, now)
		if err != nil {
			tb.Fatal(err)
		}
		if rows[i], err = r.Read(out.JSON); err != nil {
			tb.Fatal(err)
		}
	}
	return rows
}

// Typical rows read back equal: the schema's real columns and the transform's real output.
func TestTypicalRoundTrip(t *testing.T) {
	rows := typicalRows(t, 1000)
	cols := schema.Default().GlueColumns()
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, cols)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, buf.Bytes(), cols); !reflect.DeepEqual(got, rows) {
		t.Fatal("typical rows do not read back equal")
	}
}

// BenchmarkWrite writes one file of 10,000 typical rows (tools/parquetbench compares it with
// arrow-go on the same rows).
func BenchmarkWrite(b *testing.B) {
	rows := typicalRows(b, 10_000)
	cols := schema.Default().GlueColumns()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w, err := NewWriter(&buf, cols)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(buf.Len()), "file-bytes")
}
