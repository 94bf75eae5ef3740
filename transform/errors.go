package transform

import (
	"fmt"
	"strings"
)

// Rule names the check a record failed. Rules are logged and counted per batch; the record's
// data never is.
type Rule string

// The rules a record can fail. Every failed record is answered ProcessingFailed with its
// original data, so Firehose writes it under the error prefix; nothing is dropped.
const (
	// RuleJSON: the data is not one syntactically valid JSON document (RFC 8259).
	RuleJSON Rule = "json"
	// RuleUTF8: invalid UTF-8, or a \u escape that is a lone UTF-16 surrogate.
	RuleUTF8 Rule = "utf8"
	// RuleObject: valid JSON, but not an object.
	RuleObject Rule = "object"
	// RuleDuplicateKey: a key appears twice at the top level or inside the extras map
	// (keys are compared after unescaping, so "a" and "\u0061" are the same key).
	RuleDuplicateKey Rule = "duplicate_key"
	// RuleRequired: a required field is missing.
	RuleRequired Rule = "required"
	// RuleEmpty: a required string is "" (the API model asks for minLength 1).
	RuleEmpty Rule = "empty"
	// RuleType: the value has the wrong JSON type (null included).
	RuleType Rule = "type"
	// RuleMaxLength: a string, map key or map value is longer than the field's MaxLength in
	// Unicode code points.
	RuleMaxLength Rule = "max_length"
	// RuleMinimum: a number is below the field's Minimum.
	RuleMinimum Rule = "minimum"
	// RuleNumberRange: a number does not fit its column (double overflow, bigint overflow).
	RuleNumberRange Rule = "number_range"
	// RuleTimestampFormat: a timestamp is neither RFC 3339 nor an epoch number.
	RuleTimestampFormat Rule = "timestamp_format"
	// RuleTimestampRange: a timestamp is before Options.MinEventTime or more than
	// Options.MaxFutureSkew after the record reached the stream.
	RuleTimestampRange Rule = "timestamp_range"
	// RuleUnknownField: a field the schema does not declare, with UnknownFields=reject.
	RuleUnknownField Rule = "unknown_field"
	// RulePipelineField: the producer sent a field the pipeline sets (ingested_at).
	RulePipelineField Rule = "pipeline_field"
	// RuleExtrasConflict: an unknown field has the same name as a key the producer already
	// put in the extras map, so keeping both would lose one.
	RuleExtrasConflict Rule = "extras_conflict"
	// RuleResponseSize: the transformed record did not fit in the 6 MB response; its original
	// data (never larger than what Firehose sent) is returned instead.
	RuleResponseSize Rule = "response_size"
	// RuleInternal: the transform panicked on this record (a bug); recovered.
	RuleInternal Rule = "internal"
)

// RecordError says why one record failed. It carries names, rules, offsets and limits, never
// values from the record.
type RecordError struct {
	Rule Rule
	// Field is the schema field, or the unknown key when it is a plain identifier, or "" when
	// the record as a whole failed.
	Field string
	// Offset is the byte offset in the record's data where the check failed.
	Offset int
	// Detail is fixed text with limits filled in, e.g. "longer than 128 characters".
	Detail string
}

func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Rule))
	if e.Field != "" {
		b.WriteString(" (field ")
		b.WriteString(e.Field)
		b.WriteString(")")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	fmt.Fprintf(&b, " at byte %d", e.Offset)
	return b.String()
}

// safeKey returns an unknown key for logs when it is a plain identifier of at most 64
// characters; anything else could be data a producer put in a key, so it is not shown.
func safeKey(k []byte) string {
	if len(k) == 0 || len(k) > 64 {
		return "(key not shown)"
	}
	for _, c := range k {
		if !identByte(c) {
			return "(key not shown)"
		}
	}
	return string(k)
}

// identByte reports a byte of a plain identifier: an ASCII letter or digit, '_', '-' or '.'.
func identByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
