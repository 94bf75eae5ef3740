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

// Roots are a dataset's top-level folders in the lake. The default dataset keeps the lake's
// own (data/, raw/, errors/), as before there were datasets; every other dataset has a folder
// of its name in each (data/<name>/, ...). The default's partition folders are year=...,
// its error folders an error output type (with '-'), and a dataset's name has neither '='
// nor '-': no dataset's folder is inside another's.
type Roots struct {
	Data, Raw, Errors string
}

// RootsOf returns the folders of a dataset.
func RootsOf(dataset string) Roots {
	if dataset == schema.DefaultDataset {
		return Roots{Data: DataPrefix, Raw: RawPrefix, Errors: ErrorsPrefix}
	}
	return Roots{Data: DataPrefix + dataset + "/", Raw: RawPrefix + dataset + "/", Errors: ErrorsPrefix + dataset + "/"}
}

// DeliveryPrefixes returns the default dataset's prefixes for a partitioning mode.
func DeliveryPrefixes(s *schema.Schema, partitioning string) Prefixes {
	return DatasetPrefixes(schema.DefaultDataset, s, partitioning)
}

// DatasetPrefixes returns a dataset's prefixes for a partitioning mode, under its Roots.
// Partition folder names come from the schema, so they always match the Glue table's
// partition keys, in order.
func DatasetPrefixes(dataset string, s *schema.Schema, partitioning string) Prefixes {
	r := RootsOf(dataset)
	arrival := hourly(s, func(p schema.Partition) string { return "!{timestamp:" + javaPattern(p.Layout) + "}" })
	data := r.Data + arrival
	if partitioning == EventTime {
		data = r.Data + hourly(s, func(p schema.Partition) string { return "!{partitionKeyFromLambda:" + p.Name + "}" })
	}
	return Prefixes{
		Data:      data,
		Errors:    r.Errors + awsrules.ErrorOutputTypeExpr + "/" + arrival,
		Raw:       r.Raw + arrival,
		RawErrors: r.Errors + "raw-backup/" + awsrules.ErrorOutputTypeExpr + "/" + arrival,
	}
}
