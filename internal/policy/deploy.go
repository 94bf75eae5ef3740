package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/transform"
)

const deliveryFix = "components/delivery.go (DeliveryArgs from stacks.Build): "

// destination is a Firehose S3 destination (the extended one or its backup) as plain values,
// with Firehose's defaults for what the program leaves unset.
type destination struct {
	Path                string // input path, for messages
	Prefix, ErrorPrefix string
	BufferMiB, Seconds  int
	Compression         string
}

// delivery is a Firehose stream's extended S3 configuration as plain values.
type delivery struct {
	destination
	Conversion, Dynamic, MetadataExtraction bool
	Lambda                                  *processor
	Backup                                  *destination
}

type processor struct {
	LambdaArn, RoleArn string
	BufferMiB          float64
	Seconds, Retries   int
	Unparsed           []string
}

func intOr(v any, path string, def int) int {
	if f, ok := num(v, path); ok {
		return int(f)
	}
	return def
}

func destinationOf(e any, path string, defCompression string) destination {
	c := str(e, "compressionFormat")
	if c == "" {
		c = defCompression
	}
	return destination{
		Path: path, Prefix: str(e, "prefix"), ErrorPrefix: str(e, "errorOutputPrefix"),
		BufferMiB: intOr(e, "bufferingSize", defaultBufferMiB), Seconds: intOr(e, "bufferingInterval", defaultBufferSeconds),
		Compression: c,
	}
}

// deliveryOf reads a delivery stream; nil when it has no extended S3 destination
// (sec-firehose-encrypted reports that).
func deliveryOf(r *stacktest.Resource) *delivery {
	e := r.In("extendedS3Configuration")
	if e == nil {
		return nil
	}
	d := &delivery{
		destination: destinationOf(e, "extendedS3Configuration", "UNCOMPRESSED"),
		Conversion:  stacktest.Path(e, "dataFormatConversionConfiguration") != nil && boolOr(e, "dataFormatConversionConfiguration.enabled", true),
		Dynamic:     boolOr(e, "dynamicPartitioningConfiguration.enabled", false),
	}
	if boolOr(e, "processingConfiguration.enabled", false) {
		for _, p := range list(e, "processingConfiguration.processors") {
			switch str(p, "type") {
			case "MetadataExtraction":
				d.MetadataExtraction = true
			case "Lambda":
				lp := &processor{BufferMiB: defaultProcessorBufferMiB, Seconds: defaultProcessorSeconds, Retries: defaultProcessorRetries}
				for _, param := range list(p, "parameters") {
					name, value := str(param, "parameterName"), str(param, "parameterValue")
					var err error
					switch name {
					case "LambdaArn":
						lp.LambdaArn = value
					case "RoleArn":
						lp.RoleArn = value
					case "BufferSizeInMBs":
						lp.BufferMiB, err = strconv.ParseFloat(value, 64)
					case "BufferIntervalInSeconds":
						lp.Seconds, err = strconv.Atoi(value)
					case "NumberOfRetries":
						lp.Retries, err = strconv.Atoi(value)
					}
					if err != nil {
						lp.Unparsed = append(lp.Unparsed, name+"="+value)
					}
				}
				d.Lambda = lp
			}
		}
	}
	if str(e, "s3BackupMode") == "Enabled" {
		b := destinationOf(stacktest.Path(e, "s3BackupConfiguration"), "extendedS3Configuration.s3BackupConfiguration", "UNCOMPRESSED")
		d.Backup = &b
	}
	return d
}

// property names the input a DeliveryRules message is about.
func property(path, msg string) string {
	switch {
	case strings.Contains(msg, "error prefix"):
		return path + ".errorOutputPrefix"
	case strings.Contains(msg, "prefix"):
		return path + ".prefix"
	case strings.Contains(msg, "Lambda processor"):
		return "extendedS3Configuration.processingConfiguration"
	case strings.Contains(msg, "buffer size"):
		return path + ".bufferingSize"
	case strings.Contains(msg, "interval"):
		return path + ".bufferingInterval"
	case strings.Contains(msg, "compression"):
		return path + ".compressionFormat"
	case strings.Contains(msg, "dynamic partitioning"):
		return "extendedS3Configuration.dynamicPartitioningConfiguration"
	}
	return path
}

// The DeliveryRules of a destination, with every input outside the rule under test set to a
// value AWS accepts, so each rule id reports only its own problems.
func bufferingRules(d destination, conversion bool) awsrules.DeliveryRules {
	return awsrules.DeliveryRules{BufferMiB: d.BufferMiB, BufferSeconds: d.Seconds, Compression: d.Compression, FormatConversion: conversion}
}

func prefixRules(d destination) awsrules.DeliveryRules {
	keys := false
	for _, e := range awsrules.Expressions(d.Prefix) {
		keys = keys || strings.HasPrefix(e.Namespace, "partitionKeyFrom")
	}
	return awsrules.DeliveryRules{Prefix: d.Prefix, ErrorPrefix: d.ErrorPrefix, BufferMiB: awsrules.MaxBufferMiB, BufferSeconds: defaultBufferSeconds,
		Compression: "UNCOMPRESSED", DynamicPartitioning: keys, LambdaProcessor: true, MetadataExtraction: true,
		ProcessorBufferMiB: defaultProcessorBufferMiB, ProcessorBufferSecond: defaultProcessorSeconds, ProcessorRetries: defaultProcessorRetries}
}

func violationsFrom(r *stacktest.Resource, path string, msgs []string, fix string) []Violation {
	var out []Violation
	for _, m := range msgs {
		out = append(out, violation(r, property(path, m), m, fix))
	}
	return out
}

func minus(msgs []string, drop ...[]string) []string {
	var out []string
	for _, m := range msgs {
		dup := false
		for _, d := range drop {
			dup = dup || slices.Contains(d, m)
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}

func checkFirehoseBuffering(_ *Stack, r *stacktest.Resource) []Violation {
	d := deliveryOf(r)
	if d == nil {
		return nil
	}
	fix := deliveryFix + "BufferMiB 64..128 with Parquet conversion, CompressionFormat UNCOMPRESSED (Parquet compresses its pages itself)"
	out := violationsFrom(r, d.Path, lines(bufferingRules(d.destination, d.Conversion).Check()), fix)
	if d.Backup != nil {
		out = append(out, violationsFrom(r, d.Backup.Path, lines(bufferingRules(*d.Backup, false).Check()), fix)...)
	}
	return out
}

func checkFirehosePrefixes(_ *Stack, r *stacktest.Resource) []Violation {
	d := deliveryOf(r)
	if d == nil {
		return nil
	}
	fix := deliveryFix + "build prefixes with DeliveryPrefixes: an error prefix with " + awsrules.ErrorOutputTypeExpr + " and only !{timestamp:...} in it"
	out := violationsFrom(r, d.Path, lines(prefixRules(d.destination).Check()), fix)
	if d.Backup != nil {
		out = append(out, violationsFrom(r, d.Backup.Path, lines(prefixRules(*d.Backup).Check()), fix)...)
	}
	return out
}

func checkFirehoseDynamicPartitioning(_ *Stack, r *stacktest.Resource) []Violation {
	d := deliveryOf(r)
	if d == nil {
		return nil
	}
	rules := awsrules.DeliveryRules{Prefix: d.Prefix, ErrorPrefix: "errors/" + awsrules.ErrorOutputTypeExpr + "/",
		BufferMiB: d.BufferMiB, BufferSeconds: d.Seconds, Compression: "UNCOMPRESSED",
		DynamicPartitioning: d.Dynamic, LambdaProcessor: d.Lambda != nil, MetadataExtraction: d.MetadataExtraction,
		ProcessorBufferMiB: defaultProcessorBufferMiB, ProcessorBufferSecond: defaultProcessorSeconds, ProcessorRetries: defaultProcessorRetries}
	msgs := minus(lines(rules.Check()), lines(prefixRules(d.destination).Check()), lines(bufferingRules(d.destination, false).Check()))
	return violationsFrom(r, d.Path, msgs, deliveryFix+"partitionKeyFromLambda needs DynamicPartitioningConfiguration {Enabled: true} and the Lambda processor (partitioning event-time), a 64 MiB buffer and at least 60 s")
}

func checkNoSSEWithKinesisSource(_ *Stack, r *stacktest.Resource) []Violation {
	if r.In("kinesisSourceConfiguration") != nil && r.Bool("serverSideEncryption.enabled") {
		return []Violation{violation(r, "serverSideEncryption.enabled",
			"server-side encryption on a delivery stream whose source is a Kinesis stream: AWS rejects the stream (data is encrypted by the source stream's key and SSE-KMS in S3)",
			deliveryFix+"remove ServerSideEncryption; keep KmsKeyArn on the S3 destination")}
	}
	return nil
}

// functionByArn returns the declared Lambda function an ARN (possibly qualified) names.
func (s *Stack) functionByArn(arn string) *stacktest.Resource {
	return s.first(TypeFunction, func(f *stacktest.Resource) bool {
		a := arnOf(f)
		return a != "" && (arn == a || strings.HasPrefix(arn, a+":"))
	})
}

func checkFirehoseProcessor(s *Stack, r *stacktest.Resource) []Violation {
	d := deliveryOf(r)
	if d == nil || d.Lambda == nil {
		return nil
	}
	const path = "extendedS3Configuration.processingConfiguration.processors[Lambda]"
	fix := deliveryFix + "ProcessorBufferMiB/ProcessorBufferSeconds/ProcessorRetries within Firehose's limits and the proven safe buffer (transform.SafeProcessorBufferMiB)"
	p := d.Lambda
	var out []Violation
	for _, u := range p.Unparsed {
		out = append(out, violation(r, path+".parameters", "processor parameter "+u+" is not a number", fix))
	}
	rules := awsrules.DeliveryRules{BufferMiB: awsrules.MaxBufferMiB, BufferSeconds: defaultBufferSeconds, Compression: "UNCOMPRESSED",
		LambdaProcessor: true, ProcessorBufferMiB: p.BufferMiB, ProcessorBufferSecond: p.Seconds, ProcessorRetries: p.Retries}
	for _, m := range lines(rules.Check()) {
		out = append(out, violation(r, path+".parameters", m, fix))
	}
	if safe := transform.SafeProcessorBufferMiB; p.BufferMiB > safe {
		out = append(out, violation(r, path+".parameters.BufferSizeInMBs",
			fmt.Sprintf("processor buffer %g MiB exceeds %g MiB, the largest batch the transform's tests prove fits Lambda's 6 MB response limit; records of larger batches fail processing", p.BufferMiB, safe), fix))
	}
	if s.functionByArn(p.LambdaArn) == nil {
		out = append(out, violation(r, path+".parameters.LambdaArn", "processor calls "+p.LambdaArn+", which is not a function of this stack", deliveryFix+"FunctionArn the transform function's Arn"))
	}
	return out
}

func checkLambdaTimeout(s *Stack, fn *stacktest.Resource) []Violation {
	timeout := intOr(fn.Inputs, "timeout", defaultLambdaTimeout)
	arn := arnOf(fn)
	var out []Violation
	for _, fh := range s.OfType(TypeFirehose) {
		if d := deliveryOf(fh); d != nil && d.Lambda != nil && s.functionByArn(d.Lambda.LambdaArn) == fn {
			if timeout < awsrules.MinFirehoseLambdaTimeout || timeout > awsrules.MaxFirehoseLambdaTimeout {
				out = append(out, violation(fn, "timeout",
					fmt.Sprintf("timeout %d s; %s calls it as a Firehose processor, which needs %d..%d s (Firehose waits at most 5 minutes; shorter cuts off full batches)", timeout, fh.Name, awsrules.MinFirehoseLambdaTimeout, awsrules.MaxFirehoseLambdaTimeout),
					"components/transformfunction.go: TimeoutSeconds 60..300"))
			}
		}
	}
	for _, in := range s.OfType(TypeIntegration) {
		if uri := in.Str("uri"); arn != "" && strings.Contains(uri, arn) && timeout > apiGatewayMaxIntegrationSeconds {
			out = append(out, violation(fn, "timeout",
				fmt.Sprintf("timeout %d s; API Gateway integration %s gives up after %d s", timeout, in.Name, apiGatewayMaxIntegrationSeconds),
				"keep functions behind API Gateway under 29 s"))
		}
	}
	return out
}

// tableOf returns the declared Glue table a delivery stream's schema configuration names.
func (s *Stack) tableOf(r *stacktest.Resource) *stacktest.Resource {
	db := r.Str("extendedS3Configuration.dataFormatConversionConfiguration.schemaConfiguration.databaseName")
	name := r.Str("extendedS3Configuration.dataFormatConversionConfiguration.schemaConfiguration.tableName")
	return s.first(TypeTable, func(t *stacktest.Resource) bool { return t.Str("databaseName") == db && state(t, "name") == name })
}

func checkFirehoseSchemaTable(s *Stack, r *stacktest.Resource) []Violation {
	d := deliveryOf(r)
	if d == nil || !d.Conversion {
		return nil
	}
	const p = "extendedS3Configuration.dataFormatConversionConfiguration.schemaConfiguration"
	fix := deliveryFix + "DatabaseName/TableName from stacks.NamesFor (the catalog's table), Region the stack region, RoleArn the delivery role"
	var out []Violation
	if s.tableOf(r) == nil {
		out = append(out, violation(r, p, fmt.Sprintf("conversion reads the schema of %s.%s, which is not a table of this stack: Parquet would follow a schema this program does not own",
			r.Str(p+".databaseName"), r.Str(p+".tableName")), fix))
	}
	if reg := r.Str(p + ".region"); reg != "" && reg != s.Region {
		out = append(out, violation(r, p+".region", "schema region "+reg+" is not the stack region "+s.Region, fix))
	}
	if c := r.Str(p + ".catalogId"); c != "" && c != s.Account {
		out = append(out, violation(r, p+".catalogId", "schema catalog "+c+" is not this account's", fix))
	}
	role := r.Str(p + ".roleArn")
	if s.first(TypeRole, func(x *stacktest.Resource) bool { return arnOf(x) == role }) == nil {
		out = append(out, violation(r, p+".roleArn", "schema role "+role+" is not a role of this stack", fix))
	}
	return out
}

func tablePartitionKeys(t *stacktest.Resource) []string {
	var keys []string
	for _, k := range t.List("partitionKeys") {
		keys = append(keys, str(k, "name"))
	}
	return keys
}

func checkPartitionsMatchTable(s *Stack, r *stacktest.Resource) []Violation {
	d, t := deliveryOf(r), s.tableOf(r)
	if d == nil || t == nil {
		return nil
	}
	if err := awsrules.CheckPrefixMatchesTable(d.Prefix, tablePartitionKeys(t)); err != nil {
		return []Violation{violation(r, "extendedS3Configuration.prefix", err.Error(),
			deliveryFix+"derive the prefix from the schema (DeliveryPrefixes) so its k= folders are the table's partition keys in order")}
	}
	return nil
}

// bucketOfArn returns the bucket name of an S3 bucket ARN in any partition (aws, aws-cn,
// aws-us-gov); anything else comes back as it is, so the location checks report it.
func bucketOfArn(s string) string {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "s3" {
		return s
	}
	return a.Resource
}

func checkTableLocation(s *Stack, r *stacktest.Resource) []Violation {
	d, t := deliveryOf(r), s.tableOf(r)
	if d == nil || t == nil {
		return nil
	}
	want := "s3://" + bucketOfArn(r.Str("extendedS3Configuration.bucketArn")) + "/" + awsrules.StaticPrefix(d.Prefix)
	if got := t.Str("storageDescriptor.location"); got != want {
		return []Violation{violation(r, "extendedS3Configuration.prefix",
			fmt.Sprintf("Firehose writes under %s but table %s reads %s: Athena would see no data", want, t.Name, got),
			"components/catalog.go and delivery.go: both use lakelayout.DataPrefix in the same bucket")}
	}
	return nil
}

// checkPartitionsDiscoverable: new hours of the table Firehose writes become queryable, by
// partition projection that matches the folders Firehose writes, by a crawler of this stack,
// or both.
func checkPartitionsDiscoverable(s *Stack, r *stacktest.Resource) []Violation {
	d, t := deliveryOf(r), s.tableOf(r)
	if d == nil || t == nil || len(tablePartitionKeys(t)) == 0 {
		return nil
	}
	fix := "components/catalog.go: TableParameters (projection derived from DeliveryPrefixes) and/or a crawler of the table (partitionDiscovery)"
	params := t.StrMap("parameters")
	_, projected := params[awsrules.ProjectionEnabled]
	crawled := s.first(TypeCrawler, func(c *stacktest.Resource) bool { return crawlsTable(c, t) }) != nil
	if !projected {
		if !crawled {
			return []Violation{violation(t, "parameters", "neither partition projection nor a crawler of this stack: new hours never become queryable", fix)}
		}
		return nil
	}
	out := violationsFrom(t, "parameters", lines(awsrules.CheckProjection(params, tablePartitionKeys(t))), fix)
	tmpl, err := awsrules.ProjectionTemplate(d.Prefix)
	if err != nil {
		return append(out, violation(r, "extendedS3Configuration.prefix", err.Error(), fix))
	}
	want := "s3://" + bucketOfArn(r.Str("extendedS3Configuration.bucketArn")) + "/" + tmpl
	if got := params[awsrules.LocationTemplate]; got != want {
		out = append(out, violation(t, "parameters."+awsrules.LocationTemplate,
			fmt.Sprintf("template %q is not where Firehose writes (%q): Athena would project empty folders", got, want), fix))
	}
	return out
}

// crawlsTable reports whether crawler c has table t among its catalog targets.
func crawlsTable(c, t *stacktest.Resource) bool {
	for _, target := range c.List("catalogTargets") {
		tables, _ := target.(map[string]any)["tables"].([]any)
		if str(target, "databaseName") == t.Str("databaseName") && slices.Contains(tables, any(state(t, "name"))) {
			return true
		}
	}
	return false
}

func checkCrawlerTarget(s *Stack, c *stacktest.Resource) []Violation {
	var out []Violation
	fix := "components/catalog.go: CatalogTargets [{DatabaseName, Tables: [the events table]}], no S3 targets"
	if len(c.List("s3Targets")) > 0 {
		out = append(out, violation(c, "s3Targets", "an S3-path crawler creates tables of its own instead of adding partitions to the program's table", fix))
	}
	targets := c.List("catalogTargets")
	if len(targets) == 0 {
		out = append(out, violation(c, "catalogTargets", "crawler has no catalog-table target", fix))
	}
	for i, t := range targets {
		db := str(t, "databaseName")
		tables, _ := t.(map[string]any)["tables"].([]any)
		for j, name := range tables {
			if s.first(TypeTable, func(tb *stacktest.Resource) bool {
				return tb.Str("databaseName") == db && tb.Str("name") == name
			}) == nil {
				out = append(out, violation(c, fmt.Sprintf("catalogTargets[%d].tables[%d]", i, j),
					fmt.Sprintf("crawler target %s.%v is not a table of this stack", db, name), fix))
			}
		}
	}
	if sch := c.Str("schedule"); sch != "" {
		if err := awsrules.CheckSchedule(sch); err != nil {
			out = append(out, violation(c, "schedule", err.Error(), "crawlerSchedule in Pulumi.<stack>.yaml"))
		}
	}
	return out
}

// --- CloudWatch ------------------------------------------------------------------------

// checkDimension checks that a dimension value names a resource of this stack.
func (s *Stack) checkDimension(dim, value string) error {
	if err := awsrules.CheckDimensionValue(dim, value); err != nil {
		return err
	}
	if slices.Contains(RegionDimensions, dim) {
		if value != s.Region {
			return fmt.Errorf("dimension %s=%q is not this stack's region %s: the alarm would watch another region", dim, value, s.Region)
		}
		return nil
	}
	if values, ok := DimensionValues[dim]; ok {
		if !slices.Contains(values, value) {
			return fmt.Errorf("dimension %s=%q is not one of the values AWS publishes %v", dim, value, values)
		}
		return nil
	}
	dt, ok := DimensionTypes[dim]
	if !ok {
		return fmt.Errorf("dimension %s is not in DimensionTypes (internal/policy/tables.go): add the resource type whose name fills it", dim)
	}
	if s.first(dt.Type, func(r *stacktest.Resource) bool { return state(r, dt.Property) == value }) == nil {
		return fmt.Errorf("dimension %s=%q names no %s of this stack: it would show another stack's resource, or nothing", dim, value, dt.Type)
	}
	return nil
}

// alarmMetrics returns an alarm's metrics: its own, or those of its metric queries.
func alarmMetrics(a *stacktest.Resource) []struct {
	Path, Namespace, Name string
	Dims                  map[string]string
} {
	type m = struct {
		Path, Namespace, Name string
		Dims                  map[string]string
	}
	if a.Str("metricName") != "" || a.In("metricQueries") == nil {
		return []m{{"", a.Str("namespace"), a.Str("metricName"), a.StrMap("dimensions")}}
	}
	var out []m
	for i, q := range a.List("metricQueries") {
		if stacktest.Path(q, "metric") == nil {
			continue // an expression
		}
		dims := map[string]string{}
		raw, _ := stacktest.Path(q, "metric.dimensions").(map[string]any)
		for k, v := range raw {
			dims[k] = fmt.Sprint(v)
		}
		out = append(out, m{fmt.Sprintf("metricQueries[%d].metric.", i), str(q, "metric.namespace"), str(q, "metric.metricName"), dims})
	}
	return out
}

func checkAlarmMetric(_ *Stack, a *stacktest.Resource) []Violation {
	var out []Violation
	for _, m := range alarmMetrics(a) {
		if err := awsrules.CheckMetric(m.Namespace, m.Name, slices.Sorted(maps.Keys(m.Dims))); err != nil {
			out = append(out, violation(a, m.Path+"metricName/dimensions", err.Error(),
				"components/monitoring.go AlarmSpecs: a metric and dimension set from awsrules.Metrics (add a real metric to the catalog first, with its AWS docs)"))
		}
	}
	return out
}

func checkAlarmDimensions(s *Stack, a *stacktest.Resource) []Violation {
	var out []Violation
	for _, m := range alarmMetrics(a) {
		for _, dim := range slices.Sorted(maps.Keys(m.Dims)) {
			if err := s.checkDimension(dim, m.Dims[dim]); err != nil {
				out = append(out, violation(a, m.Path+"dimensions."+dim, err.Error(),
					"components/monitoring.go: fill dimensions from this stack's resource names (MonitoringArgs), never ARNs"))
			}
		}
	}
	return out
}

func checkAlarmCanChangeState(_ *Stack, a *stacktest.Resource) []Violation {
	th, _ := num(a.Inputs, "threshold")
	op := a.Str("comparisonOperator")
	var state string
	// Every catalog metric is a count, rate, time or age: never negative.
	switch {
	case op == "GreaterThanOrEqualToThreshold" && th <= 0, op == "GreaterThanThreshold" && th < 0:
		state = "always ALARM whenever there is data"
	case op == "LessThanThreshold" && th <= 0, op == "LessThanOrEqualToThreshold" && th < 0:
		state = "never ALARM"
	}
	if state == "" {
		return nil
	}
	return []Violation{violation(a, "threshold", fmt.Sprintf("%s %g on a non-negative metric is %s", op, th, state),
		"components/monitoring.go AlarmThresholds: a threshold that separates normal from broken (e.g. API5xxPerPeriod >= 1)")}
}

func checkDashboardMetrics(s *Stack, d *stacktest.Resource) []Violation {
	var body struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	fix := "components/monitoring.go DashboardRows: metrics from awsrules.Metrics, dimensions from this stack's resource names"
	if err := json.Unmarshal([]byte(d.Str("dashboardBody")), &body); err != nil {
		return []Violation{violation(d, "dashboardBody", "dashboard body is not JSON: "+err.Error(), fix)}
	}
	var out []Violation
	for wi, w := range body.Widgets {
		if w.Type != "metric" {
			continue
		}
		var prev []string
		for li, line := range w.Properties.Metrics {
			var parts []string
			for i, e := range line {
				s, ok := e.(string)
				if !ok {
					break // the options object ends the line
				}
				if s == "." && i < len(prev) {
					s = prev[i]
				}
				parts = append(parts, s)
			}
			prev = parts
			if len(parts) < 2 || len(parts)%2 != 0 {
				out = append(out, violation(d, fmt.Sprintf("dashboardBody.widgets[%d].metrics[%d]", wi, li), fmt.Sprintf("metric line %v is not [namespace, metric, dim, value, ...]", parts), fix))
				continue
			}
			dims := map[string]string{}
			for i := 2; i < len(parts); i += 2 {
				dims[parts[i]] = parts[i+1]
			}
			where := fmt.Sprintf("dashboardBody.widgets[%d %q].metrics[%d]", wi, w.Properties.Title, li)
			if err := awsrules.CheckMetric(parts[0], parts[1], slices.Sorted(maps.Keys(dims))); err != nil {
				out = append(out, violation(d, where, err.Error()+" (the chart stays empty)", fix))
			}
			for _, dim := range slices.Sorted(maps.Keys(dims)) {
				if err := s.checkDimension(dim, dims[dim]); err != nil {
					out = append(out, violation(d, where, err.Error(), fix))
				}
			}
		}
	}
	return out
}

// --- names, keys, lifecycle ------------------------------------------------------------

// nameProperty is the input holding a type's physical name (default "name").
var nameProperty = map[string]string{TypeBucket: "bucket", TypeDashboard: "dashboardName"}

// nameTypes are the types with an AWS name limit.
func nameTypes() []string { return slices.Sorted(maps.Keys(awsrules.NameRules)) }

func checkNames(_ *Stack, r *stacktest.Resource) []Violation {
	prop := nameProperty[r.Type]
	if prop == "" {
		prop = "name"
	}
	name, auto := r.Str(prop), false
	if name == "" {
		// Pulumi auto-names it: the logical name plus "-" and 7 random characters
		// (lowercased for buckets).
		name, auto = r.Name, true
		if r.Type == TypeBucket {
			name = strings.ToLower(name)
		}
	}
	if err := awsrules.CheckName(r.Type, name, auto); err != nil {
		fix := "shorten the logical name (it does not depend on the stack)"
		if !auto {
			fix = "shorten the name's parts in stacks.NamesFor / the component (names that include the stack must fit the longest stack name)"
		}
		return []Violation{violation(r, prop, err.Error(), fix)}
	}
	return nil
}

// keyGrants reports whether a key policy lets a service principal use the key for actions.
func keyGrants(sts []statement, service string, actions ...string) bool {
	for _, need := range actions {
		ok := false
		for _, st := range sts {
			if st.Effect != "Allow" || !slices.Contains(st.Principal["Service"], service) {
				continue
			}
			for _, a := range st.Action {
				ok = ok || a == need || a == "kms:*" || a == "*" || strings.HasSuffix(a, "*") && strings.HasPrefix(need, strings.TrimSuffix(a, "*"))
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func checkKeyGrantsServices(s *Stack, k *stacktest.Resource) []Violation {
	sts, bad := statementsOf(k)
	if bad != nil {
		return []Violation{*bad}
	}
	usesKey := func(v string) bool { return v != "" && (v == arnOf(k) || v == state(k, "keyId")) }
	fix := "components/datakey.go: a key policy statement for the service, with aws:SourceAccount (or the logs encryption-context) condition"
	var out []Violation
	need := func(what, consequence, service string, actions ...string) {
		if !keyGrants(sts, service, actions...) {
			out = append(out, violation(k, "policy", fmt.Sprintf("%s use this key, but the key policy does not let %s %v: %s", what, service, actions, consequence), fix))
		}
	}
	if s.first(TypeLogGroup, func(g *stacktest.Resource) bool { return usesKey(g.Str("kmsKeyId")) }) != nil {
		need("log groups", "creating them fails", "logs."+s.Region+".amazonaws.com", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
	}
	for _, t := range s.where(TypeTopic, func(t *stacktest.Resource) bool { return usesKey(t.Str("kmsMasterKeyId")) }) {
		topic := arnOf(t)
		if s.first(TypeAlarm, func(a *stacktest.Resource) bool {
			return slices.Contains(strList(a.In("alarmActions")), topic) || slices.Contains(strList(a.In("okActions")), topic)
		}) != nil {
			need("alarms notifying topic "+t.Name, "their notifications are dropped silently", "cloudwatch.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey")
		}
		if s.first(TypeEventTarget, func(e *stacktest.Resource) bool { return e.Str("arn") == topic }) != nil {
			need("EventBridge rules notifying topic "+t.Name, "their notifications are dropped silently", "events.amazonaws.com", "kms:Decrypt", "kms:GenerateDataKey")
		}
	}
	return out
}

func checkLifecycle(_ *Stack, r *stacktest.Resource) []Violation {
	var out []Violation
	fix := "components/lake.go lifecycleRules: give every rule an action (or leave the rule out) and valid transitions"
	for i, rule := range r.List("rules") {
		id := str(rule, "id")
		p := fmt.Sprintf("rules[%d %s]", i, id)
		actions := 0
		for _, a := range []string{"expiration", "abortIncompleteMultipartUpload", "noncurrentVersionExpiration"} {
			if stacktest.Path(rule, a) != nil {
				actions++
			}
		}
		actions += len(list(rule, "transitions")) + len(list(rule, "noncurrentVersionTransitions"))
		if actions == 0 {
			out = append(out, violation(r, p, "lifecycle rule "+id+" has no action: S3 rejects the whole configuration (MalformedXML)", fix))
		}
		expire := intOr(rule, "expiration.days", 0)
		for j, t := range list(rule, "transitions") {
			if err := awsrules.CheckTransition(id, str(t, "storageClass"), intOr(t, "days", 0), expire); err != nil {
				out = append(out, violation(r, fmt.Sprintf("%s.transitions[%d]", p, j), err.Error(), fix))
			}
		}
	}
	return out
}
