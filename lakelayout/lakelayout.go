// Package lakelayout is the lake's folder layout: its top-level prefixes and the Firehose S3
// prefixes of each partitioning mode, derived from the schema. The components (Lake, Catalog,
// Delivery, Analytics) and the local lake (cmd/streamlake-local) read it from here, so a
// folder name is written once and the local lake needs no Pulumi.
package lakelayout

import (
	"fmt"
	"strings"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// The lake's layout. The Glue table, the Firehose prefixes, the crawler and the Athena
// workgroup all use these constants, so a folder name is written once.
const (
	DataPrefix    = "data/"
	RawPrefix     = "raw/"
	ErrorsPrefix  = "errors/"
	ResultsPrefix = "athena-results/"
	// RedrivePrefix holds the recovery commands' markers (internal/recovery's MarkerRoot),
	// which the lake's lifecycle expires with the errors they record.
	RedrivePrefix = "redrive/"
)

// Partitioning modes of the lake.
const (
	// EventTime partitions by the event's occurred_at (keys returned by the transform Lambda):
	// a late event lands in the hour it happened. Needs Firehose dynamic partitioning.
	EventTime = "event-time"
	// ArrivalTime partitions by when Firehose delivered the record (!{timestamp:...}).
	ArrivalTime = "arrival-time"
)

// Prefixes are the S3 key prefixes of a delivery stream.
type Prefixes struct {
	Data, Errors, Raw, RawErrors string
}

// hourly renders year=<v>/month=<v>/... for the schema's partitions, v from expr(name, layout).
func hourly(s *schema.Schema, expr func(p schema.Partition) string) string {
	var b strings.Builder
	for _, p := range s.Partitions {
		fmt.Fprintf(&b, "%s=%s/", p.Name, expr(p))
	}
	return b.String()
}

// javaPattern turns a partition's Go layout into the Java date pattern Firehose's
// !{timestamp:...} expects.
func javaPattern(layout string) string {
	return strings.NewReplacer("2006", "yyyy", "01", "MM", "02", "dd", "15", "HH").Replace(layout)
}

// DeliveryPrefixes returns the prefixes for a partitioning mode. Partition folder names come
// from the schema, so they always match the Glue table's partition keys, in order.
func DeliveryPrefixes(s *schema.Schema, partitioning string) Prefixes {
	arrival := hourly(s, func(p schema.Partition) string { return "!{timestamp:" + javaPattern(p.Layout) + "}" })
	data := DataPrefix + arrival
	if partitioning == EventTime {
		data = DataPrefix + hourly(s, func(p schema.Partition) string { return "!{partitionKeyFromLambda:" + p.Name + "}" })
	}
	return Prefixes{
		Data:      data,
		Errors:    ErrorsPrefix + awsrules.ErrorOutputTypeExpr + "/" + arrival,
		Raw:       RawPrefix + arrival,
		RawErrors: ErrorsPrefix + "raw-backup/" + awsrules.ErrorOutputTypeExpr + "/" + arrival,
	}
}
