package lakesql

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Result is a query's answer.
type Result struct {
	Columns []string
	// Types are DuckDB's type names of the columns (VARCHAR, TIMESTAMP, ...).
	Types []string
	// Rows hold the values as the driver returns them: nil for NULL, string, int64, float64,
	// bool, time.Time, duckdb.OrderedMap, ...
	Rows [][]any
}

// Query runs one SQL statement and reads all its rows.
func (d *DB) Query(ctx context.Context, query string) (*Result, error) {
	rows, err := d.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("lakesql: %w", err)
	}
	defer func() { _ = rows.Close() }()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("lakesql: %w", err)
	}
	r := &Result{}
	for _, t := range types {
		r.Columns = append(r.Columns, t.Name())
		r.Types = append(r.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("lakesql: %w", err)
		}
		r.Rows = append(r.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lakesql: %w", err)
	}
	return r, nil
}

// Cells returns the rows as the table prints them.
func (r *Result) Cells() [][]string {
	out := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = Format(r.Types[j], v)
		}
	}
	return out
}

// WriteTable prints the result as an aligned text table, a rule under the header and the
// row count last.
func (r *Result) WriteTable(w io.Writer) error { return r.WriteTableHead(w, len(r.Rows)) }

// WriteTableHead is WriteTable showing at most the first limit rows; the count says how many
// there are in all.
func (r *Result) WriteTableHead(w io.Writer, limit int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rule := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		rule[i] = strings.Repeat("-", len(c))
	}
	lines := [][]string{r.Columns, rule}
	flat := strings.NewReplacer("\t", " ", "\n", " ")
	cells := r.Cells()
	for _, row := range cells[:min(max(0, limit), len(cells))] {
		for i, c := range row {
			row[i] = flat.Replace(c)
		}
		lines = append(lines, row)
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(tw, strings.Join(l, "\t")); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	noun := "rows"
	if len(r.Rows) == 1 {
		noun = "row"
	}
	if limit < len(r.Rows) {
		_, err := fmt.Fprintf(w, "(%d %s, the first %d shown)\n", len(r.Rows), noun, max(0, limit))
		return err
	}
	_, err := fmt.Fprintf(w, "(%d %s)\n", len(r.Rows), noun)
	return err
}

// Format renders one value the way Athena's console shows it: NULL, timestamps to the
// millisecond, dates as yyyy-mm-dd, maps as {k=v, ...}, numbers without exponent when short.
func Format(dbType string, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32, int16, int8, uint64, uint32, uint16, uint8, int, *big.Int:
		return fmt.Sprint(x)
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case time.Time:
		if dbType == "DATE" {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = Format("", keys[i]) + "=" + Format("", vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64, bits int) string {
	if math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
