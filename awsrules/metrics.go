package awsrules

import (
	"fmt"
	"slices"
	"strings"
)

// Metrics is the catalog of CloudWatch metrics streamlake may alarm on or chart: for each
// namespace and metric, the dimension sets AWS publishes it with. An alarm whose metric or
// dimensions are not here would never receive data and so never fire.
var Metrics = map[string]map[string][][]string{
	"AWS/ApiGateway": {
		"5XXError":           apiDims,
		"4XXError":           apiDims,
		"Count":              apiDims,
		"Latency":            apiDims,
		"IntegrationLatency": apiDims,
	},
	"AWS/Kinesis": {
		"GetRecords.IteratorAgeMilliseconds": streamDims,
		"GetRecords.Success":                 streamDims,
		"GetRecords.Latency":                 streamDims,
		"GetRecords.Records":                 streamDims,
		"GetRecords.Bytes":                   streamDims,
		"IncomingRecords":                    streamDims,
		"IncomingBytes":                      streamDims,
		"PutRecord.Success":                  streamDims,
		"PutRecord.Latency":                  streamDims,
		"PutRecords.Success":                 streamDims,
		"PutRecords.Latency":                 streamDims,
		"PutRecords.FailedRecords":           streamDims,
		"PutRecords.ThrottledRecords":        streamDims,
		"PutRecords.TotalRecords":            streamDims,
		"WriteProvisionedThroughputExceeded": streamDims,
		"ReadProvisionedThroughputExceeded":  streamDims,
	},
	"AWS/Firehose": {
		"DeliveryToS3.DataFreshness":        firehoseDims,
		"DeliveryToS3.Success":              firehoseDims,
		"DeliveryToS3.Records":              firehoseDims,
		"DeliveryToS3.Bytes":                firehoseDims,
		"BackupToS3.Success":                firehoseDims,
		"BackupToS3.DataFreshness":          firehoseDims,
		"DataReadFromKinesisStream.Records": firehoseDims,
		"DataReadFromKinesisStream.Bytes":   firehoseDims,
		"KinesisMillisBehindLatest":         firehoseDims,
		"ThrottledGetRecords":               firehoseDims,
		"ThrottledGetShardIterator":         firehoseDims,
		"ThrottledDescribeStream":           firehoseDims,
		"ExecuteProcessing.Success":         firehoseDims,
		"ExecuteProcessing.Duration":        firehoseDims,
		"SucceedProcessing.Records":         firehoseDims,
		"SucceedConversion.Records":         firehoseDims,
		"FailedConversion.Records":          firehoseDims,
		"PartitionCount":                    firehoseDims,
		"PartitionCountExceeded":            firehoseDims,
		"ActivePartitionsLimit":             firehoseDims,
	},
	"AWS/Lambda": {
		"Errors":               lambdaDims,
		"Throttles":            lambdaDims,
		"Duration":             lambdaDims,
		"Invocations":          lambdaDims,
		"ConcurrentExecutions": lambdaDims,
	},
	// A regional web ACL publishes per Region, Rule (a rule's metric name, or ALL for the
	// whole web ACL) and WebACL (its metric name; the program gives it the web ACL's name).
	"AWS/WAFV2": {
		"BlockedRequests": wafDims,
		"AllowedRequests": wafDims,
		"CountedRequests": wafDims,
	},
	"AWS/Athena": {
		"ProcessedBytes":     athenaDims,
		"TotalExecutionTime": athenaDims,
		"QueryQueueTime":     athenaDims,
	},
}

var (
	apiDims      = [][]string{{"ApiName"}, {"ApiName", "Stage"}, {"ApiName", "Method", "Resource", "Stage"}}
	streamDims   = [][]string{{"StreamName"}}
	firehoseDims = [][]string{{"DeliveryStreamName"}}
	lambdaDims   = [][]string{{"FunctionName"}, {"FunctionName", "Resource"}}
	wafDims      = [][]string{{"Region", "Rule", "WebACL"}}
	// Athena publishes query metrics per workgroup, state and type together.
	athenaDims = [][]string{{"QueryState", "QueryType", "WorkGroup"}}
)

// CheckMetric checks that a metric exists in a namespace and is published with exactly the
// given dimension names.
func CheckMetric(namespace, metric string, dims []string) error {
	ns, ok := Metrics[namespace]
	if !ok {
		return fmt.Errorf("namespace %q is not in the metric catalog", namespace)
	}
	sets, ok := ns[metric]
	if !ok {
		return fmt.Errorf("%s has no metric %q", namespace, metric)
	}
	got := slices.Sorted(slices.Values(dims))
	for _, set := range sets {
		if slices.Equal(got, slices.Sorted(slices.Values(set))) {
			return nil
		}
	}
	return fmt.Errorf("%s %s is published with dimensions %v, not %v: the alarm would never get data", namespace, metric, sets, dims)
}

// CheckDimensionValue rejects dimension values that cannot name a resource: empty values and
// ARNs (CloudWatch dimensions use names).
func CheckDimensionValue(name, value string) error {
	switch {
	case value == "":
		return fmt.Errorf("dimension %s is empty", name)
	case strings.HasPrefix(value, "arn:"):
		return fmt.Errorf("dimension %s is an ARN (%s); CloudWatch publishes by name", name, value)
	}
	return nil
}
