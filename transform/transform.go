package transform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/schema"
)

// Environment variables the Lambda's main reads (parsing lives in lambda/transform/main.go;
// Environment sets them, for the Pulumi component and the local lake).
const (
	// EnvUnknownFields is "keep" or "reject" (schema.UnknownFields); required.
	EnvUnknownFields = "UNKNOWN_FIELDS"
	// EnvMaxFutureSkew is a Go duration (e.g. "1h"); optional, DefaultMaxFutureSkew.
	EnvMaxFutureSkew = "MAX_FUTURE_SKEW"
	// EnvLogLevel is DEBUG, INFO, WARN or ERROR; optional, falls back to Lambda's
	// AWS_LAMBDA_LOG_LEVEL, then INFO.
	EnvLogLevel = "LOG_LEVEL"
	// EnvDataset names the dataset whose schema the function validates against, one of the
	// files its binary embeds (schema.Datasets); optional, schema.DefaultDataset.
	EnvDataset = "DATASET"
)

// Environment is a dataset's function's environment for its unknownFields and lambdaLogLevel
// settings, in the variables its main reads: the Pulumi component deploys it and the local
// lake runs the bootstrap with it. The default dataset's function has no DATASET variable, as
// before there were datasets. The maximum future skew is left to the default.
func Environment(dataset string, unknown schema.UnknownFields, logLevel string) map[string]string {
	env := map[string]string{
		EnvUnknownFields: string(unknown),
		EnvLogLevel:      logLevel,
	}
	if dataset != schema.DefaultDataset {
		env[EnvDataset] = dataset
	}
	return env
}

// Options configure a Transformer. The zero value keeps unknown fields, bounds event times to
// [DefaultMinEventTime, arrival+DefaultMaxFutureSkew] and logs nothing.
type Options struct {
	// UnknownFields decides the fate of top-level fields the schema does not declare;
	// "" means schema.KeepUnknown.
	UnknownFields schema.UnknownFields
	// MaxFutureSkew is how far after its arrival in the stream an event time may lie;
	// 0 means DefaultMaxFutureSkew. Use a negative value for "not after arrival at all".
	MaxFutureSkew time.Duration
	// MinEventTime is the earliest accepted event time; zero means DefaultMinEventTime.
	MinEventTime time.Time
	// Logger receives one line per rejected record and one summary per batch; nil discards.
	Logger *slog.Logger
	// Now is used for ingested_at only when a record carries no arrival time; nil is time.Now.
	Now func() time.Time
}

// field is a schema field with what the hot path needs precomputed.
type field struct {
	schema.Field
	key          []byte // `"name":`
	maxLenDetail string
	minDetail    string
}

// partition is a partition key with its JSON prefix and, when its layout is a field of the
// formatted event time, where that field is.
type partition struct {
	schema.Partition
	key   []byte // `"year":`
	field [2]int // {0, 0}: time.Format
}

// Transformer validates and normalizes Firehose records against one schema. It is safe for
// concurrent use.
type Transformer struct {
	unknown    schema.UnknownFields
	minMs      int64
	skewMs     int64
	minDetail  string
	skewDetail string
	log        *slog.Logger
	now        func() time.Time

	fields    []field
	extras    int // -1: none
	eventTime int
	arrival   int
	trace     int // -1: none
	parts     []partition

	pool sync.Pool
}

// New checks the schema and options and precomputes the validator.
func New(s *schema.Schema, o Options) (*Transformer, error) {
	if s == nil {
		return nil, errors.New("transform: schema is nil")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("transform: %w", err)
	}
	t := &Transformer{unknown: o.UnknownFields, log: o.Logger, now: o.Now, extras: -1, trace: -1}
	if t.unknown == "" {
		t.unknown = schema.KeepUnknown
	}
	if t.unknown != schema.KeepUnknown && t.unknown != schema.RejectUnknown {
		return nil, fmt.Errorf("transform: unknown fields must be %q or %q, got %q", schema.KeepUnknown, schema.RejectUnknown, t.unknown)
	}
	if t.unknown == schema.KeepUnknown && s.Extras == "" {
		return nil, fmt.Errorf("transform: unknown fields %q needs an extras field in schema %q", schema.KeepUnknown, s.Name)
	}
	if err := t.bounds(o); err != nil {
		return nil, err
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.compile(s)
	t.pool.New = func() any { return &state{vals: make([]fieldVal, len(t.fields))} }
	return t, nil
}

// bounds sets the accepted event-time range from the options.
func (t *Transformer) bounds(o Options) error {
	skew := o.MaxFutureSkew
	switch {
	case skew == 0:
		skew = DefaultMaxFutureSkew
	case skew < 0:
		skew = 0
	}
	minTime := o.MinEventTime
	if minTime.IsZero() {
		minTime = DefaultMinEventTime
	}
	if minTime.UnixMilli() < 0 || minTime.UnixMilli() > maxMillis {
		return fmt.Errorf("transform: minimum event time %s must be between 1970 and 9999", minTime.Format(time.RFC3339))
	}
	t.minMs, t.skewMs = minTime.UnixMilli(), skew.Milliseconds()
	t.minDetail = "before " + minTime.UTC().Format(schema.TimestampLayout) + " or not a plausible epoch time"
	t.skewDetail = "more than " + skew.String() + " after the record reached the stream"
	return nil
}

// compile precomputes the fields' JSON keys and error details, the roles' indexes and the
// partition keys' JSON prefixes.
func (t *Transformer) compile(s *schema.Schema) {
	for i, f := range s.Fields {
		cf := field{Field: f, key: append(appendQuoted(nil, f.Name), ':')}
		if f.MaxLength > 0 {
			cf.maxLenDetail = "longer than " + strconv.Itoa(f.MaxLength) + " characters"
		}
		if f.HasMinimum {
			cf.minDetail = "below the minimum " + strconv.FormatFloat(f.Minimum, 'g', -1, 64)
		}
		t.fields = append(t.fields, cf)
		switch f.Name {
		case s.Extras:
			t.extras = i
		case s.EventTime:
			t.eventTime = i
		case s.ArrivalTime:
			t.arrival = i
		}
		if f.Name == schema.TraceField && f.Type == schema.String {
			t.trace = i
		}
	}
	for _, p := range s.Partitions {
		t.parts = append(t.parts, partition{Partition: p, key: append(appendQuoted(nil, p.Name), ':'), field: layoutFields[p.Layout]})
	}
}

// Stats counts one batch.
type Stats struct {
	Records, OK, Failed int
	// InputBytes is the sum of the records' data; ResponseBytes the response's length.
	InputBytes, ResponseBytes int
	// FailedByRule counts failed records by rule; nil when none failed.
	FailedByRule map[Rule]int
}

// The response envelope, written by hand so its bytes are exactly what Firehose documents:
// no otfMetadata, and partitionKeys only on Ok records.
const (
	respOpen     = `{"records":[`
	respClose    = `]}`
	recOpen      = `{"recordId":`
	okMid        = `,"result":"Ok","data":"`
	okMeta       = `","metadata":{"partitionKeys":{`
	okClose      = `}}}`
	failedMid    = `,"result":"ProcessingFailed","data":"`
	failedClose  = `"}`
	failedFixed  = len(recOpen) + len(failedMid) + len(failedClose)
	okEstimation = 192 // typical bytes an Ok record adds over its failed form
)

var b64 = base64.StdEncoding

// failedSize is the length of a record's ProcessingFailed answer.
func failedSize(r *events.KinesisFirehoseEventRecord) int {
	return failedFixed + quotedLen(r.RecordID) + b64.EncodedLen(len(r.Data))
}

// ErrResponseTooLarge means that even answering every record ProcessingFailed with its
// original data would exceed MaxResponseBytes. That needs an invocation larger than Lambda
// accepts, so it does not happen; the batch then fails as a whole and Firehose retries it.
var ErrResponseTooLarge = errors.New("transform: the batch cannot be answered within Lambda's response limit")

// Transform answers one Firehose invocation: the response JSON with one record per input
// record, in order. Records that fail validation are answered ProcessingFailed with their
// original data; a panic on one record fails that record only. The only error is
// ErrResponseTooLarge.
func (t *Transformer) Transform(ctx context.Context, ev *events.KinesisFirehoseEvent) ([]byte, Stats, error) {
	began := time.Now()
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)

	recs := ev.Records
	stats := Stats{Records: len(recs)}
	// rest is what the records not yet answered, and the closing bracket, need at least.
	rest := len(respClose)
	st.sizes = st.sizes[:0]
	for i := range recs {
		n := failedSize(&recs[i])
		st.sizes = append(st.sizes, n)
		rest += n
		stats.InputBytes += len(recs[i].Data)
	}
	rest += max(len(recs)-1, 0) // commas
	if len(respOpen)+rest > MaxResponseBytes {
		return nil, stats, fmt.Errorf("%w: %d records need at least %d bytes", ErrResponseTooLarge, len(recs), len(respOpen)+rest)
	}
	resp := make([]byte, 0, min(len(respOpen)+rest+len(recs)*okEstimation, MaxResponseBytes))
	resp = append(resp, respOpen...)
	for i := range recs {
		r := &recs[i]
		rest -= st.sizes[i]
		if i > 0 {
			resp = append(resp, ',')
			rest--
		}
		mark := len(resp)
		var rerr *RecordError
		resp, rerr = t.answer(st, resp, r)
		if rerr == nil && len(resp)+rest > MaxResponseBytes {
			resp = appendFailed(resp[:mark], r)
			rerr = &RecordError{Rule: RuleResponseSize, Detail: "the transformed record does not fit in the response; returned as sent"}
		}
		if rerr == nil {
			stats.OK++
			continue
		}
		stats.Failed++
		if stats.FailedByRule == nil {
			stats.FailedByRule = map[Rule]int{}
		}
		stats.FailedByRule[rerr.Rule]++
		t.logRejected(ctx, ev.InvocationID, r, rerr)
	}
	resp = append(resp, respClose...)
	stats.ResponseBytes = len(resp)
	t.logSummary(ctx, ev.InvocationID, stats, time.Since(began))
	return resp, stats, nil
}

// answer appends one record's answer. A panic while transforming it is recovered and the record
// answered ProcessingFailed (RuleInternal).
func (t *Transformer) answer(st *state, resp []byte, r *events.KinesisFirehoseEventRecord) (out []byte, rerr *RecordError) {
	mark := len(resp)
	defer func() {
		if p := recover(); p != nil {
			// The record's scratch may be half-written: start the next record from a fresh
			// one, keeping the batch's sizes.
			*st = state{vals: make([]fieldVal, len(t.fields)), sizes: st.sizes}
			out = appendFailed(resp[:mark], r)
			rerr = &RecordError{Rule: RuleInternal, Detail: fmt.Sprintf("panic: %v", p)}
		}
	}()
	arrival := t.arrivalMillis(r)
	if testHook != nil {
		testHook(r.Data)
	}
	if !t.record(st, r.Data, arrival) {
		e := st.sc.err
		return appendFailed(resp, r), &e
	}
	resp = append(resp, recOpen...)
	resp = appendQuoted(resp, r.RecordID)
	resp = append(resp, okMid...)
	resp = b64.AppendEncode(resp, st.out)
	resp = append(resp, okMeta...)
	resp = t.appendPartitionKeys(resp, st)
	resp = append(resp, okClose...)
	return resp, nil
}

// testHook, when set by a test, runs before each record is transformed (to inject a panic).
var testHook func(data []byte)

// appendFailed appends a ProcessingFailed answer carrying the record's original data, which
// Firehose writes under the error prefix.
func appendFailed(resp []byte, r *events.KinesisFirehoseEventRecord) []byte {
	resp = append(resp, recOpen...)
	resp = appendQuoted(resp, r.RecordID)
	resp = append(resp, failedMid...)
	resp = b64.AppendEncode(resp, r.Data)
	return append(resp, failedClose...)
}

// appendPartitionKeys appends "year":"2024","month":"05",... for dynamic partitioning, from
// the event time of the record st holds.
func (t *Transformer) appendPartitionKeys(dst []byte, st *state) []byte {
	ts, ms := st.eventTS[:], st.vals[t.eventTime].ms
	for i := range t.parts {
		p := &t.parts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, p.key...)
		if f := p.field; f[1] > 0 {
			dst = append(append(append(dst, '"'), ts[f[0]:f[1]]...), '"')
		} else {
			dst = appendQuoted(dst, time.UnixMilli(ms).UTC().Format(p.Layout))
		}
	}
	return dst
}

// layoutFields are the partition layouts that are one field of schema.TimestampLayout, and
// where: such a key is those bytes of the formatted event time, which saves a time.Format
// per key and record (TestLayoutFields keeps the table true).
var layoutFields = map[string][2]int{"2006": {0, 4}, "01": {5, 7}, "02": {8, 10}, "15": {11, 13}}

// arrivalMillis is when the record reached the Kinesis stream (its Kinesis metadata), else when
// it reached Firehose, else now.
func (t *Transformer) arrivalMillis(r *events.KinesisFirehoseEventRecord) int64 {
	for _, a := range [...]time.Time{r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time, r.ApproximateArrivalTimestamp.Time} {
		if ms := a.UnixMilli(); !a.IsZero() && ms > 0 && ms <= maxMillis {
			return ms
		}
	}
	return t.now().UnixMilli()
}

// Record is one record transformed on its own.
type Record struct {
	// JSON is the normalized event, one compact object.
	JSON []byte
	// PartitionKeys are the dynamic partitioning keys (year, month, day, hour).
	PartitionKeys map[string]string
}

// TransformRecord validates and normalizes one record's data that reached the stream at
// arrival (zero: now). The error is a *RecordError.
func (t *Transformer) TransformRecord(data []byte, arrival time.Time) (Record, error) {
	r := events.KinesisFirehoseEventRecord{Data: data}
	r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = arrival
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)
	if !t.record(st, data, t.arrivalMillis(&r)) {
		e := st.sc.err
		return Record{}, &e
	}
	keys := map[string]string{}
	// Reuse the response writer so the keys are exactly what Firehose gets.
	raw := append([]byte{'{'}, t.appendPartitionKeys(nil, st)...)
	if err := json.Unmarshal(append(raw, '}'), &keys); err != nil {
		return Record{}, err
	}
	return Record{JSON: append([]byte(nil), st.out...), PartitionKeys: keys}, nil
}

// Invoke implements the aws-lambda-go lambda.Handler interface: it decodes the Firehose event
// (as json.Unmarshal would, faster) and returns the response bytes as they are, with no
// second JSON encoding.
func (t *Transformer) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.KinesisFirehoseEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return nil, fmt.Errorf("transform: decode the Firehose event: %w", err)
	}
	resp, _, err := t.Transform(ctx, &ev)
	return resp, err
}

// logRejected writes one line per failed record: ids, field and rule, never the data.
func (t *Transformer) logRejected(ctx context.Context, invocation string, r *events.KinesisFirehoseEventRecord, e *RecordError) {
	if !t.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{
		slog.String("invocation_id", invocation),
		slog.String("record_id", r.RecordID),
		slog.String("rule", string(e.Rule)),
		slog.String("field", e.Field),
		slog.String("detail", e.Detail),
		slog.Int("offset", e.Offset),
		slog.Int("bytes", len(r.Data)),
	}
	if id := t.traceID(r.Data); id != "" {
		attrs = append(attrs, slog.String(schema.TraceField, id))
	}
	level := slog.LevelWarn
	if e.Rule == RuleInternal {
		level = slog.LevelError
	}
	t.log.LogAttrs(ctx, level, "record rejected", attrs...)
}

// traceID finds the event id of a rejected record when the record is well-formed up to it:
// a top-level string within the field's MaxLength. Anything else yields "".
func (t *Transformer) traceID(data []byte) string {
	if t.trace < 0 {
		return ""
	}
	f := &t.fields[t.trace]
	sc := &scanner{b: data}
	sc.ws()
	if sc.peek() != '{' {
		return ""
	}
	var id string
	var buf []byte
	sc.members(func(key token) bool {
		if string(key.text(data, &buf)) != f.Name {
			_, _, ok := sc.value()
			return ok
		}
		if sc.peek() == '"' {
			if v, ok := sc.str(); ok && v.chars > 0 && (f.MaxLength == 0 || v.chars <= f.MaxLength) {
				id = string(v.text(data, &buf))
			}
		}
		return false
	})
	return id
}

// logSummary writes one line per batch with its counts.
func (t *Transformer) logSummary(ctx context.Context, invocation string, s Stats, took time.Duration) {
	if !t.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("invocation_id", invocation),
		slog.Int("records", s.Records),
		slog.Int("ok", s.OK),
		slog.Int("failed", s.Failed),
		slog.Int("input_bytes", s.InputBytes),
		slog.Int("response_bytes", s.ResponseBytes),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
	}
	if len(s.FailedByRule) > 0 {
		byRule := make([]any, 0, len(s.FailedByRule))
		for _, r := range allRules {
			if n := s.FailedByRule[r]; n > 0 {
				byRule = append(byRule, slog.Int(string(r), n))
			}
		}
		attrs = append(attrs, slog.Group("failed_by_rule", byRule...))
	}
	t.log.LogAttrs(ctx, slog.LevelInfo, "batch transformed", attrs...)
}

// allRules orders the summary's failed_by_rule group.
var allRules = []Rule{
	RuleJSON, RuleUTF8, RuleObject, RuleDuplicateKey, RuleRequired, RuleEmpty, RuleType,
	RuleMaxLength, RuleMinimum, RuleNumberRange, RuleTimestampFormat, RuleTimestampRange,
	RuleUnknownField, RulePipelineField, RuleExtrasConflict, RuleResponseSize, RuleInternal,
}
