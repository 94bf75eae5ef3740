package awsrules

import (
	"fmt"
	"time"
)

// FreshnessConfig is what decides how long an event takes, at worst, from its arrival in the
// stream to being queryable.
type FreshnessConfig struct {
	// ProcessorBufferSeconds: Firehose waits up to this long to fill a batch for the Lambda.
	ProcessorBufferSeconds int
	// BufferSeconds: Firehose then waits up to this long before writing an S3 object.
	BufferSeconds int
	// Projection: Athena computes the partitions (partition projection) instead of reading
	// them from the Glue catalog.
	Projection bool
	// CrawlerSchedule is the crawler's cron(...) expression; "" when there is no crawler.
	CrawlerSchedule string
}

// Freshness is the worst-case time from an event's arrival in the stream to being queryable.
// The bounds leave out what takes seconds (Firehose reading the stream, the Lambda call, the
// S3 write) and the crawl's own run time, which no setting decides: a catalog-table crawl
// lists the table's partitions, so it takes minutes and grows with the lake.
type Freshness struct {
	// Delivery is until the event's Parquet object is in S3: ProcessorBufferSeconds +
	// BufferSeconds. With dynamic partitioning each partition buffers on its own, with the
	// same interval.
	Delivery time.Duration
	// CrawlerGap is the longest time between two crawler runs; 0 without a crawler.
	CrawlerGap time.Duration
	// Athena is until an Athena query returns the event. With projection the object is
	// queryable as soon as it lands (Delivery). Without, the first object of a new hour waits
	// for the next crawl to register its partition: Delivery + CrawlerGap (+ the crawl).
	Athena time.Duration
	// Catalog is until the Glue catalog lists the event's partition, which engines that do not
	// read projection (Spark on EMR or Glue, Redshift Spectrum) need: Delivery + CrawlerGap
	// (+ the crawl); 0 without a crawler (those engines never see new hours).
	Catalog time.Duration
}

// WorstCaseFreshness computes Freshness from the configuration. A configuration with neither
// projection nor a crawler makes nothing queryable and is an error.
func WorstCaseFreshness(c FreshnessConfig) (Freshness, error) {
	if c.ProcessorBufferSeconds < 0 || c.BufferSeconds < 0 {
		return Freshness{}, fmt.Errorf("buffer intervals must not be negative, got processor %d s and Firehose %d s", c.ProcessorBufferSeconds, c.BufferSeconds)
	}
	f := Freshness{Delivery: time.Duration(c.ProcessorBufferSeconds+c.BufferSeconds) * time.Second}
	if c.CrawlerSchedule != "" {
		gap, err := ScheduleGap(c.CrawlerSchedule)
		if err != nil {
			return Freshness{}, fmt.Errorf("crawler schedule: %w", err)
		}
		f.CrawlerGap = gap
		f.Catalog = f.Delivery + gap
	}
	switch {
	case c.Projection:
		f.Athena = f.Delivery
	case c.CrawlerSchedule != "":
		f.Athena = f.Catalog
	default:
		return Freshness{}, fmt.Errorf("neither partition projection nor a crawler: new partitions would never be queryable")
	}
	return f, nil
}
