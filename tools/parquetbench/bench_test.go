package parquetbench

import (
	"bytes"
	"io"
	"testing"

	"github.com/streamlake/streamlake/internal/lakeparquet"
	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/tools/parquetbench/arrowwriter"
)

// Rows is how many rows one benchmark iteration writes: one Parquet file.
const Rows = 10_000

func writeParquetGo(w io.Writer, cols []schema.Column, rows []openx.Row) error {
	pw, err := lakeparquet.NewWriter(w, cols)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := pw.Write(r); err != nil {
			return err
		}
	}
	return pw.Close()
}

func bench(b *testing.B, write func(io.Writer, []schema.Column, []openx.Row) error) {
	cols, rows, err := TypicalRows(Rows)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf.Reset()
		if err := write(&buf, cols, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(buf.Len()), "file-bytes")
}

// BenchmarkWrite compares the writers on the same 10,000 typical rows:
//
//	go test -run '^$' -bench . -count 6 ./ | benchstat -
func BenchmarkWrite(b *testing.B) {
	b.Run("parquet-go", func(b *testing.B) { bench(b, writeParquetGo) })
	b.Run("arrow-go", func(b *testing.B) { bench(b, arrowwriter.WriteArrow) })
}

// Both files hold the same rows: the comparison is fair only if they do.
func TestSameRows(t *testing.T) {
	cols, rows, err := TypicalRows(100)
	if err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(io.Writer, []schema.Column, []openx.Row) error{"parquet-go": writeParquetGo, "arrow-go": arrowwriter.WriteArrow} {
		var buf bytes.Buffer
		if err := write(&buf, cols, rows); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := countRows(t, buf.Bytes()); n != 100 {
			t.Errorf("%s: %d rows", name, n)
		}
	}
}
