package awsrules

import (
	"slices"
	"testing"
)

// valid is an event-time partitioned, Parquet-converting destination that deploys.
func valid() DeliveryRules {
	return DeliveryRules{
		Prefix:                "data/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/",
		ErrorPrefix:           "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
		BufferMiB:             128,
		BufferSeconds:         300,
		Compression:           "UNCOMPRESSED",
		FormatConversion:      true,
		DynamicPartitioning:   true,
		LambdaProcessor:       true,
		ProcessorBufferMiB:    1,
		ProcessorBufferSecond: 60,
		ProcessorRetries:      3,
	}
}

func TestDeliveryRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*DeliveryRules)
		want   string
	}{
		{"valid", func(*DeliveryRules) {}, ""},
		{"conversion needs 64 MiB", func(r *DeliveryRules) { r.BufferMiB = 32 }, "record format conversion needs a buffer size of at least 64 MiB, got 32"},
		{"conversion needs UNCOMPRESSED", func(r *DeliveryRules) { r.Compression = "GZIP" }, `record format conversion needs compression UNCOMPRESSED (Parquet compresses itself), got "GZIP"`},
		{"buffer too large", func(r *DeliveryRules) { r.BufferMiB = 129 }, "buffer size must be 1..128 MiB, got 129"},
		{"dynamic partitioning interval", func(r *DeliveryRules) { r.BufferSeconds = 30 }, "dynamic partitioning needs a buffer interval of at least 60 s, got 30"},
		{"error prefix missing", func(r *DeliveryRules) { r.ErrorPrefix = "" }, "uses expressions, so an error prefix is required"},
		{"error prefix without error-output-type", func(r *DeliveryRules) { r.ErrorPrefix = "errors/" }, "must contain !{firehose:error-output-type}"},
		{"partition key in error prefix", func(r *DeliveryRules) {
			r.ErrorPrefix = "errors/!{firehose:error-output-type}/!{partitionKeyFromLambda:year}/"
		}, "error prefix must not use partition key expressions"},
		{"keys without dynamic partitioning", func(r *DeliveryRules) { r.DynamicPartitioning = false }, "dynamic partitioning must be enabled"},
		{"dynamic partitioning without keys", func(r *DeliveryRules) {
			r.Prefix = "data/year=!{timestamp:yyyy}/"
		}, "needs at least one partitionKeyFrom* expression"},
		{"lambda keys without lambda", func(r *DeliveryRules) { r.LambdaProcessor = false }, "a Lambda processor is required"},
		{"query keys without extraction", func(r *DeliveryRules) { r.Prefix = "data/year=!{partitionKeyFromQuery:year}/" }, "MetadataExtraction processor is required"},
		{"week year typo", func(r *DeliveryRules) {
			r.DynamicPartitioning, r.Prefix = false, "data/!{timestamp:YYYY}/"
		}, "is not a date pattern"},
		{"unknown namespace", func(r *DeliveryRules) { r.Prefix += "!{nope:x}/" }, `namespace "nope" is unknown`},
		{"malformed", func(r *DeliveryRules) { r.Prefix += "!{timestamp/" }, "malformed"},
		{"leading slash", func(r *DeliveryRules) { r.ErrorPrefix = "/" + r.ErrorPrefix }, "must not start with /"},
		{"error-output-type in data prefix", func(r *DeliveryRules) { r.Prefix += "!{firehose:error-output-type}/" }, "it belongs in the error prefix"},
		{"processor buffer", func(r *DeliveryRules) { r.ProcessorBufferMiB = 4 }, "Lambda processor buffer size must be 0.2..3 MiB, got 4"},
		{"processor interval", func(r *DeliveryRules) { r.ProcessorBufferSecond = 30 }, "Lambda processor buffer interval must be 60..900 s, got 30"},
		{"processor retries", func(r *DeliveryRules) { r.ProcessorRetries = 301 }, "retries must be 0..300"},
		{"no conversion, gzip ok", func(r *DeliveryRules) { r.FormatConversion, r.Compression = false, "GZIP" }, ""},
	}
	for _, tt := range tests {
		r := valid()
		tt.mutate(&r)
		checkErr(t, tt.name, r.Check(), tt.want)
	}
}

func TestDeliveryRulesReportsAll(t *testing.T) {
	r := valid()
	r.BufferMiB, r.Compression, r.ErrorPrefix = 8, "GZIP", "errors/"
	err := r.Check()
	for _, want := range []string{"at least 64 MiB", "UNCOMPRESSED", "error-output-type"} {
		checkErr(t, want, err, want)
	}
}

func TestPrefixMatchesTable(t *testing.T) {
	keys := []string{"year", "month", "day", "hour"}
	checkErr(t, "match", CheckPrefixMatchesTable(valid().Prefix, keys), "")
	checkErr(t, "order", CheckPrefixMatchesTable("data/month=!{partitionKeyFromLambda:month}/year=!{partitionKeyFromLambda:year}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/", keys), "same names, same order")
	checkErr(t, "missing", CheckPrefixMatchesTable("data/year=!{partitionKeyFromLambda:year}/", keys), "partitions the lake by [year]")
	checkErr(t, "wrong key", CheckPrefixMatchesTable("data/year=!{partitionKeyFromLambda:yr}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/", keys), `folder "year" is filled by !{partitionKeyFromLambda:yr}`)
	checkErr(t, "arrival time", CheckPrefixMatchesTable("data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", keys), "")
	if got := PrefixPartitions(valid().Prefix); !slices.Equal(got, keys) {
		t.Errorf("PrefixPartitions = %v", got)
	}
	if got := StaticPrefix(valid().Prefix); got != "data/" {
		t.Errorf("StaticPrefix = %q", got)
	}
	if got := StaticPrefix(valid().ErrorPrefix); got != "errors/" {
		t.Errorf("StaticPrefix(error) = %q", got)
	}
}
