package awsrules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Firehose limits for an extended S3 destination.
const (
	// MinConversionBufferMiB is the smallest buffer Firehose accepts with record format
	// conversion or dynamic partitioning.
	MinConversionBufferMiB = 64
	MaxBufferMiB           = 128
	MinBufferMiB           = 1
	MaxBufferSeconds       = 900
	// MinDynamicPartitioningBufferSeconds is the shortest interval with dynamic partitioning.
	MinDynamicPartitioningBufferSeconds = 60
	// MinBackupBufferSeconds is the shortest interval of an S3 backup (no zero buffering).
	MinBackupBufferSeconds = 60
	// Lambda processor limits.
	MinProcessorBufferMiB     = 0.2
	MaxProcessorBufferMiB     = 3
	MinProcessorBufferSeconds = 60
	MaxProcessorBufferSeconds = 900
	MaxProcessorRetries       = 300
	MaxPrefixLength           = 1024
	// ErrorOutputTypeExpr is the expression an error prefix must contain whenever the data
	// prefix uses expressions: Firehose puts failures of different kinds in different folders.
	ErrorOutputTypeExpr = "!{firehose:error-output-type}"
)

// Expression namespaces allowed in Firehose prefixes.
const (
	nsTimestamp     = "timestamp"
	nsFirehose      = "firehose"
	nsKeyFromQuery  = "partitionKeyFromQuery"
	nsKeyFromLambda = "partitionKeyFromLambda"
)

var (
	exprRE = regexp.MustCompile(`!\{([^:}]*):([^}]*)\}`)
	// Firehose accepts Java DateTimeFormatter patterns; we allow the letters people use in
	// folder names, which keeps a typo like !{timestamp:YYYY} (week year) out.
	timestampPattern = regexp.MustCompile(`^(yyyy|yy|MM|dd|HH|mm|ss|[-/_=. ])+$`)
)

// Expression is one !{namespace:value} of a prefix.
type Expression struct {
	Namespace, Value string
}

// Expressions returns the expressions of a prefix in order.
func Expressions(prefix string) []Expression {
	var out []Expression
	for _, m := range exprRE.FindAllStringSubmatch(prefix, -1) {
		out = append(out, Expression{Namespace: m[1], Value: m[2]})
	}
	return out
}

// DeliveryRules is what decides whether an extended S3 destination deploys.
type DeliveryRules struct {
	Prefix, ErrorPrefix   string
	BufferMiB             int
	BufferSeconds         int
	Compression           string // UNCOMPRESSED, GZIP, ...
	FormatConversion      bool
	DynamicPartitioning   bool
	LambdaProcessor       bool
	MetadataExtraction    bool
	ProcessorBufferMiB    float64
	ProcessorBufferSecond int
	ProcessorRetries      int
}

// Check returns every broken rule at once, joined.
func (r DeliveryRules) Check() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if r.BufferMiB < MinBufferMiB || r.BufferMiB > MaxBufferMiB {
		add("buffer size must be %d..%d MiB, got %d", MinBufferMiB, MaxBufferMiB, r.BufferMiB)
	}
	if r.BufferSeconds < 0 || r.BufferSeconds > MaxBufferSeconds {
		add("buffer interval must be 0..%d s, got %d", MaxBufferSeconds, r.BufferSeconds)
	}
	if r.FormatConversion {
		if r.BufferMiB < MinConversionBufferMiB {
			add("record format conversion needs a buffer size of at least %d MiB, got %d", MinConversionBufferMiB, r.BufferMiB)
		}
		if r.Compression != "UNCOMPRESSED" {
			add("record format conversion needs compression UNCOMPRESSED (Parquet compresses itself), got %q", r.Compression)
		}
	}
	if r.DynamicPartitioning {
		if r.BufferMiB < MinConversionBufferMiB {
			add("dynamic partitioning needs a buffer size of at least %d MiB, got %d", MinConversionBufferMiB, r.BufferMiB)
		}
		if r.BufferSeconds < MinDynamicPartitioningBufferSeconds {
			add("dynamic partitioning needs a buffer interval of at least %d s, got %d", MinDynamicPartitioningBufferSeconds, r.BufferSeconds)
		}
	}
	if r.LambdaProcessor {
		if r.ProcessorBufferMiB < MinProcessorBufferMiB || r.ProcessorBufferMiB > MaxProcessorBufferMiB {
			add("Lambda processor buffer size must be %.1f..%d MiB, got %g", MinProcessorBufferMiB, MaxProcessorBufferMiB, r.ProcessorBufferMiB)
		}
		if r.ProcessorBufferSecond < MinProcessorBufferSeconds || r.ProcessorBufferSecond > MaxProcessorBufferSeconds {
			add("Lambda processor buffer interval must be %d..%d s, got %d", MinProcessorBufferSeconds, MaxProcessorBufferSeconds, r.ProcessorBufferSecond)
		}
		if r.ProcessorRetries < 0 || r.ProcessorRetries > MaxProcessorRetries {
			add("Lambda processor retries must be 0..%d, got %d", MaxProcessorRetries, r.ProcessorRetries)
		}
	}
	if err := r.checkPrefixes(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (r DeliveryRules) checkPrefixes() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	for _, p := range []struct{ name, v string }{{"prefix", r.Prefix}, {"error prefix", r.ErrorPrefix}} {
		if strings.HasPrefix(p.v, "/") {
			add("%s %q must not start with /", p.name, p.v)
		}
		if len(p.v) > MaxPrefixLength {
			add("%s is longer than %d characters", p.name, MaxPrefixLength)
		}
		if strings.Count(p.v, "!{") != len(Expressions(p.v)) {
			add("%s %q has a malformed !{namespace:expression}", p.name, p.v)
		}
	}
	exprs := Expressions(r.Prefix)
	var fromLambda, fromQuery bool
	for _, e := range exprs {
		switch e.Namespace {
		case nsTimestamp:
			if !timestampPattern.MatchString(e.Value) {
				add("prefix expression !{timestamp:%s} is not a date pattern of yyyy, MM, dd, HH, mm, ss", e.Value)
			}
		case nsFirehose:
			if e.Value == "error-output-type" {
				add("prefix must not use %s; it belongs in the error prefix", ErrorOutputTypeExpr)
			} else if e.Value != "random-string" {
				add("prefix expression !{firehose:%s} is unknown (random-string only)", e.Value)
			}
		case nsKeyFromLambda:
			fromLambda = true
		case nsKeyFromQuery:
			fromQuery = true
		default:
			add("prefix expression namespace %q is unknown", e.Namespace)
		}
	}
	if len(exprs) > 0 {
		if r.ErrorPrefix == "" {
			add("prefix %q uses expressions, so an error prefix is required", r.Prefix)
		} else if !strings.Contains(r.ErrorPrefix, ErrorOutputTypeExpr) {
			add("error prefix %q must contain %s because the prefix uses expressions", r.ErrorPrefix, ErrorOutputTypeExpr)
		}
	}
	for _, e := range Expressions(r.ErrorPrefix) {
		if e.Namespace == nsKeyFromLambda || e.Namespace == nsKeyFromQuery {
			add("error prefix must not use partition key expressions (!{%s:%s}): failed records have no keys", e.Namespace, e.Value)
		}
	}
	if (fromLambda || fromQuery) && !r.DynamicPartitioning {
		add("prefix uses partitionKeyFrom* expressions, so dynamic partitioning must be enabled")
	}
	if r.DynamicPartitioning && !fromLambda && !fromQuery {
		add("dynamic partitioning is enabled, so the prefix needs at least one partitionKeyFrom* expression")
	}
	if fromLambda && !r.LambdaProcessor {
		add("prefix uses partitionKeyFromLambda, so a Lambda processor is required")
	}
	if fromQuery && !r.MetadataExtraction {
		add("prefix uses partitionKeyFromQuery, so a MetadataExtraction processor is required")
	}
	return errors.Join(errs...)
}

// PrefixPartitions returns the Hive partition names of a prefix (the k of every "k=" folder)
// in order, e.g. data/year=!{...}/month=!{...}/ gives [year month].
func PrefixPartitions(prefix string) []string {
	var out []string
	for _, seg := range strings.Split(prefix, "/") {
		if k, _, ok := strings.Cut(seg, "="); ok && k != "" {
			out = append(out, k)
		}
	}
	return out
}

// CheckPrefixMatchesTable checks that the prefix's partition folders are the Glue table's
// partition keys in the same order, and that each partitionKeyFromLambda expression fills the
// folder of the same name.
func CheckPrefixMatchesTable(prefix string, tableKeys []string) error {
	got := PrefixPartitions(prefix)
	if strings.Join(got, ",") != strings.Join(tableKeys, ",") {
		return fmt.Errorf("prefix %q partitions the lake by %v but the Glue table's partition keys are %v (same names, same order)", prefix, got, tableKeys)
	}
	for _, seg := range strings.Split(prefix, "/") {
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			continue
		}
		for _, e := range Expressions(v) {
			if (e.Namespace == nsKeyFromLambda || e.Namespace == nsKeyFromQuery) && e.Value != k {
				return fmt.Errorf("prefix folder %q is filled by !{%s:%s}: key names must match", k, e.Namespace, e.Value)
			}
		}
	}
	return nil
}

// StaticPrefix returns the part of a prefix before its first expression, e.g. "data/".
func StaticPrefix(prefix string) string {
	if i := strings.Index(prefix, "!{"); i >= 0 {
		prefix = prefix[:i]
	}
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		return prefix[:i+1]
	}
	return ""
}
