// Package transform is the logic of the Firehose data-transformation Lambda: it validates each
// record of a Kinesis-sourced Firehose invocation against the event schema (package schema,
// the one definition of the event) and normalizes it for Firehose's JSON-to-Parquet conversion
// (OpenX JSON SerDe, Glue table) and dynamic partitioning.
//
// # Contract
//
// Transform (and Invoke, its lambda.Handler form) answers one record per input record, in the
// same order, with the same recordId; the result is Ok or ProcessingFailed. A failed record
// carries its original data, so Firehose writes it under the error prefix with
// !{firehose:error-output-type}; nothing is Dropped (the transform has no reason to drop a
// record, so no record leaves the pipeline unseen). A panic fails only the record it happened
// on (RuleInternal). The only batch-level error is a payload that is not a Firehose event, or
// ErrResponseTooLarge, which needs a request larger than Lambda accepts.
//
// The response envelope is written by hand: {"recordId","result","data"} plus, on Ok records,
// "metadata":{"partitionKeys":{"year":..,"month":..,"day":..,"hour":..}}. aws-lambda-go's
// response type would add an empty otfMetadata and a null partitionKeys to every record.
//
// # Validation (every rule is a Rule; limits come from the schema)
//
//   - The data is one strict RFC 8259 JSON object in valid UTF-8; \u escapes that are lone
//     UTF-16 surrogates are rejected rather than turned into U+FFFD. No key may repeat at the
//     top level or in the extras map, compared after unescaping.
//   - Required fields are present; required strings are not empty (the API model's
//     minLength 1). null is a type error for every field, as in the API model.
//   - Types: string; double (any JSON number that fits a double); bigint (an integer literal
//     within int64, no fraction or exponent); boolean; timestamp; map<string,string> (string
//     values only). MaxLength counts Unicode code points, for strings and for map keys and
//     values; Minimum bounds numbers.
//   - Unknown top-level fields: with schema.KeepUnknown they move into the extras map
//     (attributes): strings as they are, anything else as its compact JSON text (1.50 stays
//     "1.50", null becomes "null", {"a": [1]} becomes "{\"a\":[1]}"), all within the map's
//     MaxLength. An unknown field named like a key the producer already put in the map is
//     rejected (RuleExtrasConflict): keeping both would lose one. With schema.RejectUnknown
//     any unknown field fails the record.
//   - Pipeline fields (ingested_at) sent by a producer fail the record (RulePipelineField) in
//     both modes: overwriting would silently drop what was sent, and keeping it in attributes
//     would be confusing. The API's request models forbid the field too ({"not": {}}), so a
//     producer going through the API gets a 400 instead.
//
// # Timestamps
//
// A client timestamp is either a string matching schema.ClientTimestamp (RFC 3339: T, t or a
// space between date and time; Z, z or a ±hh:mm offset; any number of fraction digits) with
// a real calendar date and time (no leap second 60, no 24:00), or a JSON number of epoch
// seconds or milliseconds: below EpochMillisThreshold (1e11) it is seconds, else milliseconds.
// Numbers are read exactly in decimal, exponents included (1.7145648e9 is fine). Numeric
// strings ("1714564800") are rejected: the API model only allows RFC 3339 strings. The
// result is UTC, truncated (never rounded) to milliseconds, written as
// schema.TimestampLayout, which the OpenX SerDe parses into a Glue timestamp. Event times
// before Options.MinEventTime (2000-01-01) or more than Options.MaxFutureSkew (1 h) after the
// record reached the stream fail the record (RuleTimestampRange): they are zero values, unit
// mix-ups or wrong device clocks, and would open lake partitions far in the past or future.
//
// ingested_at is when the record reached the Kinesis stream (its kinesisRecordMetadata
// arrival time), else its Firehose arrival time, else now.
//
// # Output
//
// One compact JSON object per record, no trailing newline (the OpenX SerDe reads
// concatenated objects, {"a":1}{"a":2}, and Firehose's conversion splits records itself).
// Its keys are the Glue columns in schema order; absent optional fields are left out, which
// the SerDe reads as NULL. Strings and numbers are the producer's validated tokens, copied
// (a double token over 32 characters is rewritten in its shortest form, the same value);
// timestamps are normalized. Partition keys are the UTC year, month, day and hour of the
// event time, zero-padded, named by schema.Partitions.
//
// # Size
//
// A response never exceeds MaxResponseBytes: before a record is answered Ok, the transform
// checks that the rest of the batch still fits when answered as sent, and otherwise answers
// it ProcessingFailed (RuleResponseSize). SafeProcessorBufferMiB is the largest Firehose
// processor buffer for which TestSafeProcessorBuffer proves that this never happens.
//
// # Logs
//
// One WARN line per failed record (ERROR for RuleInternal) with invocation_id, record_id,
// rule, field, detail, byte offset, size and, when it can be read, the event_id; never data.
// One INFO line per batch with the counts and failed_by_rule.
package transform
