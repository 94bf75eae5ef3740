package parquetbench

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func countRows(t *testing.T, b []byte) int64 {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f.NumRows()
}
