package parquetbench

import (
	"fmt"
	"time"

	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// TypicalRows returns n rows as the local lake writes them: generated events, through the
// real transform, read as Firehose's conversion reads them.
func TypicalRows(n int) ([]schema.Column, []openx.Row, error) {
	s := schema.Default()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	g, err := producer.NewGenerator(s, producer.GeneratorOptions{Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		return nil, nil, err
	}
	tr, err := transform.New(s, transform.Options{})
	if err != nil {
		return nil, nil, err
	}
	r, err := openx.NewReader(s.GlueColumns(), false)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]openx.Row, n)
	for i := range rows {
		rec, err := g.Next()
		if err != nil {
			return nil, nil, err
		}
		out, err := tr.TransformRecord(rec.Data, now)
		if err != nil {
			return nil, nil, fmt.Errorf("event %d: %w", i, err)
		}
		if rows[i], err = r.Read(out.JSON); err != nil {
			return nil, nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	return s.GlueColumns(), rows, nil
}
