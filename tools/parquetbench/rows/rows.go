// Package rows makes lake rows for the size and build-time measurements of cmd/*.
package rows

import (
	"fmt"
	"time"

	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/schema"
)

// SimpleRows returns n rows shaped like the benchmark's typical rows, without the producer and the transform,
// so the size and build-time measurements of cmd/* count only the writers.
func SimpleRows(n int) ([]schema.Column, []openx.Row) {
	cols := schema.Default().GlueColumns()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	rows := make([]openx.Row, n)
	for i := range rows {
		rows[i] = openx.Row{
			{Str: fmt.Sprintf("0b9f6a52-1c1e-4a57-9d0c-%012d", i)}, {Str: "progress"}, {Str: fmt.Sprintf("u-%d", i%1000)},
			{Time: at.Add(-time.Duration(i) * time.Second)}, {Str: fmt.Sprintf("course-%d/video-%d", i%17, i%5)},
			{Str: fmt.Sprintf("s-%x", i/40)}, {F64: float64(i%3600) + .5}, {F64: 30},
			{Map: []openx.Entry{{Key: "player", Value: "web"}, {Key: "app_version", Value: "5.2.1"}}}, {Time: at},
		}
	}
	return cols, rows
}
