// Command base builds the rows and writes nothing: the baseline of the size and build-time
// measurements.
package main

import (
	"fmt"

	"github.com/streamlake/streamlake/tools/parquetbench/rows"
)

func main() {
	_, rows := rows.SimpleRows(10_000)
	fmt.Println(len(rows))
}
