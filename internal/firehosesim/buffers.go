package firehosesim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/openx"
)

// buffer is one S3 buffer: the rows of one partition, or the raw records. Firehose writes it
// when it holds BufferBytes or its first record has waited BufferInterval.
type buffer struct {
	keys    map[string]string
	rows    []openx.Row
	records [][]byte
	bytes   int
	firstAt time.Time // when the buffer got its first record
	oldest  time.Time // the arrival time of its oldest record, which names the object's folder
}

func (b *buffer) add(r record, data []byte, row openx.Row) {
	if len(b.records) == 0 && len(b.rows) == 0 {
		b.firstAt, b.oldest = time.Now(), r.arrival
	}
	if r.arrival.Before(b.oldest) {
		b.oldest = r.arrival
	}
	if row != nil {
		b.rows = append(b.rows, row)
	} else {
		b.records = append(b.records, data)
	}
	b.bytes += len(data)
}

func (b *buffer) empty() bool { return len(b.rows) == 0 && len(b.records) == 0 }

func (b *buffer) due(now time.Time, size int, interval time.Duration) bool {
	return !b.empty() && (b.bytes >= size || now.Sub(b.firstAt) >= interval)
}

func (b *buffer) reset() { *b = buffer{keys: b.keys} }

// buffer returns the Parquet buffer of a partition (nil keys: the one arrival-time buffer).
func (d *Delivery) buffer(keys map[string]string) *buffer {
	id := partitionID(keys)
	b := d.data[id]
	if b == nil {
		b = &buffer{keys: maps.Clone(keys)}
		d.data[id] = b
	}
	return b
}

// partitionID is a stable name for a set of partition keys.
func partitionID(keys map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		fmt.Fprintf(&b, "%s=%s/", k, keys[k])
	}
	return b.String()
}

// flush writes the S3 buffers that are due, or all of them.
func (d *Delivery) flush(now time.Time, all bool) error {
	for _, id := range slices.Sorted(maps.Keys(d.data)) {
		b := d.data[id]
		if !all && !b.due(now, d.c.BufferBytes, d.c.BufferInterval) || b.empty() {
			continue
		}
		if _, err := d.c.Lake.WriteParquet(b.keys, b.oldest, b.rows); err != nil {
			return fmt.Errorf("firehosesim: %w", err)
		}
		d.counts.ParquetFiles++
		d.counts.ParquetRows += len(b.rows)
		delete(d.data, id)
	}
	if b := d.raw; (all || b.due(now, d.c.BufferBytes, d.c.BufferInterval)) && !b.empty() {
		if _, err := d.c.Lake.WriteRaw(b.oldest, b.records); err != nil {
			return fmt.Errorf("firehosesim: %w", err)
		}
		d.counts.RawFiles++
		b.reset()
	}
	return nil
}

// writeErrors writes one error object of a batch's records of one output type.
func (d *Delivery) writeErrors(outputType string, recs []firehoserec.Record) error {
	if len(recs) == 0 {
		return nil
	}
	oldest := recs[0].ArrivalTimestamp
	for _, r := range recs {
		if r.ArrivalTimestamp.Before(oldest) {
			oldest = r.ArrivalTimestamp
		}
	}
	if _, err := d.c.Lake.WriteErrors(outputType, oldest, recs); err != nil {
		return fmt.Errorf("firehosesim: %w", err)
	}
	d.counts.ErrorFiles++
	return nil
}
