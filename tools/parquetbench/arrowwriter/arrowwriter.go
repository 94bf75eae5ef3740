// Package arrowwriter writes lake rows with apache/arrow-go, the candidate lakeparquet was
// measured against.
package arrowwriter

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/schema"
)

// WriteArrow writes rows as one Parquet file with arrow-go: the same schema as lakeparquet
// (optional columns in table order, INT96 timestamps, MAP of strings, Snappy).
func WriteArrow(w io.Writer, cols []schema.Column, rows []openx.Row) error {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		var t arrow.DataType
		switch schema.Type(c.Type) {
		case schema.String:
			t = arrow.BinaryTypes.String
		case schema.Timestamp:
			t = &arrow.TimestampType{Unit: arrow.Nanosecond}
		case schema.Double:
			t = arrow.PrimitiveTypes.Float64
		case schema.Long:
			t = arrow.PrimitiveTypes.Int64
		case schema.Boolean:
			t = arrow.FixedWidthTypes.Boolean
		case schema.StringMap:
			t = arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
		default:
			return fmt.Errorf("column %s: type %s", c.Name, c.Type)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: true}
	}
	sc := arrow.NewSchema(fields, nil)
	fw, err := pqarrow.NewFileWriter(sc, w,
		parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithCreatedBy("streamlake-local")),
		pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true)))
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			appendArrow(b.Field(i), schema.Type(cols[i].Type), v)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := fw.Write(rec); err != nil {
		return err
	}
	return fw.Close()
}

func appendArrow(fb array.Builder, t schema.Type, v openx.Value) {
	if v.Null {
		fb.AppendNull()
		return
	}
	switch t {
	case schema.String:
		fb.(*array.StringBuilder).Append(v.Str)
	case schema.Timestamp:
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(v.Time.UnixNano()))
	case schema.Double:
		fb.(*array.Float64Builder).Append(v.F64)
	case schema.Long:
		fb.(*array.Int64Builder).Append(v.I64)
	case schema.Boolean:
		fb.(*array.BooleanBuilder).Append(v.Bool)
	case schema.StringMap:
		mb := fb.(*array.MapBuilder)
		mb.Append(true)
		kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
		for _, e := range v.Map {
			kb.Append(e.Key)
			if e.Null {
				ib.AppendNull()
			} else {
				ib.Append(e.Value)
			}
		}
	}
}
