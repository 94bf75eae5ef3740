// Command arrow writes typical rows with arrow-go: its size and build time are measured.
package main

import (
	"log"
	"os"

	"github.com/streamlake/streamlake/tools/parquetbench/arrowwriter"
	"github.com/streamlake/streamlake/tools/parquetbench/rows"
)

func main() {
	cols, rows := rows.SimpleRows(10_000)
	if err := arrowwriter.WriteArrow(os.Stdout, cols, rows); err != nil {
		log.Fatal(err)
	}
}
