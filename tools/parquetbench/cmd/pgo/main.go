// Command pgo writes typical rows with parquet-go: its size and build time are measured.
package main

import (
	"log"
	"os"

	"github.com/streamlake/streamlake/internal/lakeparquet"
	"github.com/streamlake/streamlake/tools/parquetbench/rows"
)

func main() {
	cols, rows := rows.SimpleRows(10_000)
	w, err := lakeparquet.NewWriter(os.Stdout, cols)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
}
