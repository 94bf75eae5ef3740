package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/schema"
)

// stdlibTransform is the obvious alternative to the transform, the yardstick of its
// hand-written scanner (BenchmarkInvokeVsStdlib): the same contract written the
// straightforward way. encoding/json decodes the invocation into aws-lambda-go's
// KinesisFirehoseEvent and each record's data into a map[string]any (UseNumber, so bigints
// and number tokens survive); the fields are checked against the same schema rules; time.Parse
// reads RFC 3339; unknown fields move to the extras map; json.Marshal writes the record and
// an events.KinesisFirehoseResponse with its partition keys. Like the transform it checks
// UTF-8 and repeated keys (json.Unmarshal would keep the last one silently), with
// utf8.Valid and a token walk (checkDups). It does not log and has no response-size guard
// (a batch of realistic records is far below 6 MB).
type stdlibTransform struct {
	s         *schema.Schema
	unknown   schema.UnknownFields
	minTime   time.Time
	skew      time.Duration
	checkDups bool
}

func newStdlibTransform(s *schema.Schema, unknown schema.UnknownFields) *stdlibTransform {
	return &stdlibTransform{s: s, unknown: unknown, minTime: DefaultMinEventTime, skew: DefaultMaxFutureSkew, checkDups: true}
}

// Invoke is the handler: Firehose event bytes in, response bytes out.
func (h *stdlibTransform) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.KinesisFirehoseEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("decode the Firehose event: %w", err)
	}
	resp := events.KinesisFirehoseResponse{Records: make([]events.KinesisFirehoseResponseRecord, 0, len(ev.Records))}
	for _, r := range ev.Records {
		arrival := r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time
		if arrival.IsZero() {
			arrival = r.ApproximateArrivalTimestamp.Time
		}
		if arrival.IsZero() {
			arrival = time.Now()
		}
		data, keys, err := h.record(r.Data, arrival)
		if err != nil {
			resp.Records = append(resp.Records, events.KinesisFirehoseResponseRecord{
				RecordID: r.RecordID, Result: events.KinesisFirehoseTransformedStateProcessingFailed, Data: r.Data})
			continue
		}
		out := events.KinesisFirehoseResponseRecord{RecordID: r.RecordID, Result: events.KinesisFirehoseTransformedStateOk, Data: data}
		out.Metadata.PartitionKeys = keys
		resp.Records = append(resp.Records, out)
	}
	return json.Marshal(resp)
}

// record validates and normalizes one record's data; the error says why it failed.
func (h *stdlibTransform) record(data []byte, arrival time.Time) ([]byte, map[string]string, error) {
	if !utf8.Valid(data) {
		return nil, nil, errors.New("invalid UTF-8")
	}
	if h.checkDups {
		if err := duplicateKey(data, h.s.Extras); err != nil {
			return nil, nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("data after the object")
	}
	if in == nil {
		return nil, nil, errors.New("not an object")
	}
	out := map[string]any{}
	var eventMs int64
	for _, f := range h.s.Fields {
		v, ok := in[f.Name]
		switch {
		case f.Source == schema.Pipeline && ok:
			return nil, nil, fmt.Errorf("%s: set by the pipeline", f.Name)
		case f.Source == schema.Pipeline:
			continue
		case !ok && f.Required:
			return nil, nil, fmt.Errorf("%s: required", f.Name)
		case !ok:
			continue
		}
		nv, ms, err := h.value(f, v, arrival)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if f.Name == h.s.EventTime {
			eventMs = ms
		}
		out[f.Name] = nv
	}
	if err := h.unknownFields(in, out); err != nil {
		return nil, nil, err
	}
	out[h.s.ArrivalTime] = time.UnixMilli(arrival.UnixMilli()).UTC().Format(schema.TimestampLayout)
	keys := map[string]string{}
	at := time.UnixMilli(eventMs).UTC()
	for _, p := range h.s.Partitions {
		keys[p.Name] = at.Format(p.Layout)
	}
	b, err := json.Marshal(out)
	return b, keys, err
}

// value checks one field's value and returns it normalized (timestamps also as epoch ms).
func (h *stdlibTransform) value(f schema.Field, v any, arrival time.Time) (any, int64, error) {
	switch f.Type {
	case schema.String:
		s, ok := v.(string)
		switch {
		case !ok:
			return nil, 0, errors.New("not a string")
		case f.Required && s == "":
			return nil, 0, errors.New("empty")
		case f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength:
			return nil, 0, errors.New("too long")
		}
		return s, 0, nil
	case schema.Double, schema.Long:
		return numberValue(f, v)
	case schema.Boolean:
		if _, ok := v.(bool); !ok {
			return nil, 0, errors.New("not a boolean")
		}
		return v, 0, nil
	case schema.Timestamp:
		ms, err := parseTimestamp(v)
		if err != nil {
			return nil, 0, err
		}
		if ms < h.minTime.UnixMilli() || ms > arrival.Add(h.skew).UnixMilli() {
			return nil, 0, errors.New("out of range")
		}
		return time.UnixMilli(ms).UTC().Format(schema.TimestampLayout), ms, nil
	case schema.StringMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, 0, errors.New("not an object")
		}
		out := make(map[string]string, len(m))
		for k, e := range m {
			s, ok := e.(string)
			if !ok || utf8.RuneCountInString(k) > f.MaxLength || utf8.RuneCountInString(s) > f.MaxLength {
				return nil, 0, fmt.Errorf("key %q: not a string within %d characters", k, f.MaxLength)
			}
			out[k] = s
		}
		return out, 0, nil
	}
	return nil, 0, fmt.Errorf("unknown type %s", f.Type)
}

// numberValue checks a double or bigint: a finite double, or an int64 literal, at or above
// the minimum. The token itself is kept (json.Number marshals as it was sent).
func numberValue(f schema.Field, v any) (any, int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, 0, errors.New("not a number")
	}
	x, err := n.Float64()
	if err != nil || math.IsInf(x, 0) {
		return nil, 0, errors.New("out of range")
	}
	if f.Type == schema.Long {
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, 0, errors.New("not a bigint")
		}
		x = float64(i)
	}
	if f.HasMinimum && x < f.Minimum {
		return nil, 0, errors.New("below the minimum")
	}
	return n, 0, nil
}

// parseTimestamp reads RFC 3339 (T, t or a space; Z or z) with time.Parse, or a number of
// epoch seconds (below EpochMillisThreshold) or milliseconds, truncated to milliseconds.
func parseTimestamp(v any) (int64, error) {
	switch t := v.(type) {
	case string:
		if len(t) < 20 {
			return 0, errors.New("not RFC 3339")
		}
		s := []byte(t)
		if s[10] == 't' || s[10] == ' ' {
			s[10] = 'T'
		}
		if s[len(s)-1] == 'z' {
			s[len(s)-1] = 'Z'
		}
		tm, err := time.Parse(time.RFC3339Nano, string(s))
		if err != nil {
			return 0, err
		}
		return tm.UnixMilli(), nil
	case json.Number:
		x, err := t.Float64()
		if err != nil {
			return 0, err
		}
		if x < EpochMillisThreshold {
			x *= 1000
		}
		return int64(math.Floor(x)), nil
	}
	return 0, errors.New("not a timestamp")
}

// unknownFields moves the fields the schema does not declare into the extras map (strings
// as they are, anything else as its JSON text), or refuses them.
func (h *stdlibTransform) unknownFields(in, out map[string]any) error {
	var attrs map[string]string
	for k, v := range in {
		if _, known := h.s.Field(k); known {
			continue
		}
		if h.unknown == schema.RejectUnknown {
			return fmt.Errorf("%s: unknown field", k)
		}
		if attrs == nil {
			attrs, _ = out[h.s.Extras].(map[string]string)
			if attrs == nil {
				attrs = map[string]string{}
			}
		}
		if _, dup := attrs[k]; dup {
			return fmt.Errorf("%s: also a key of %s", k, h.s.Extras)
		}
		s, ok := v.(string)
		if !ok {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			s = string(b)
		}
		f, _ := h.s.Field(h.s.Extras)
		if utf8.RuneCountInString(k) > f.MaxLength || utf8.RuneCountInString(s) > f.MaxLength {
			return fmt.Errorf("%s: longer than %d characters", k, f.MaxLength)
		}
		attrs[k] = s
	}
	if attrs != nil {
		out[h.s.Extras] = attrs
	}
	return nil
}

// duplicateKey reports a key repeated at the top level of data or in its extras object:
// json.Unmarshal keeps the last one silently, so a token walk looks first.
func duplicateKey(data []byte, extras string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// Not an object (or not JSON): decoding the record says so, with its own message.
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil //nolint:nilerr // the record's decode reports it
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%s: repeated", strings.ToValidUTF8(key, "?"))
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if key == extras {
			if err := duplicateKey(raw, ""); err != nil {
				return fmt.Errorf("%s.%w", extras, err)
			}
		}
	}
	return nil
}

// The alternative is a fair one: on the golden batch (every kind of failure the transform
// knows, in both unknown-field modes) and on the benchmark's batch it answers every record
// as Invoke does, with the same partition keys and, for Ok records, the same columns and
// values (extras compared by key: the alternative writes a non-string unknown field's JSON
// text with sorted keys).
func TestStdlibTransformAgreesWithInvoke(t *testing.T) {
	golden, err := os.ReadFile("testdata/firehose-kinesis-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	_, bench, _ := benchBatch(500, 0)
	for _, mode := range []schema.UnknownFields{schema.KeepUnknown, schema.RejectUnknown} {
		for name, payload := range map[string][]byte{"golden": golden, "bench": bench} {
			want, err := newTransformer(t, Options{UnknownFields: mode}).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			got, err := newStdlibTransform(schema.Default(), mode).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			// The benchmark's records carry unknown fields: with reject, every one fails.
			if ok := compareResponses(t, fmt.Sprintf("%s/%s", name, mode), want, got); ok == 0 && mode == schema.KeepUnknown {
				t.Errorf("%s/%s: no record was Ok: nothing compared", name, mode)
			}
		}
	}
}

// compareResponses compares two responses record by record and returns how many were Ok.
func compareResponses(t *testing.T, name string, want, got []byte) int {
	t.Helper()
	var w, g events.KinesisFirehoseResponse
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if len(w.Records) != len(g.Records) || len(w.Records) == 0 {
		t.Fatalf("%s: %d records answered, want %d", name, len(g.Records), len(w.Records))
	}
	ok := 0
	for i, wr := range w.Records {
		gr := g.Records[i]
		if gr.RecordID != wr.RecordID || gr.Result != wr.Result || !maps.Equal(gr.Metadata.PartitionKeys, wr.Metadata.PartitionKeys) {
			t.Errorf("%s: record %d: %s %s %v, want %s %s %v", name, i, gr.RecordID, gr.Result, gr.Metadata.PartitionKeys, wr.RecordID, wr.Result, wr.Metadata.PartitionKeys)
			continue
		}
		if wr.Result != events.KinesisFirehoseTransformedStateOk {
			if !bytes.Equal(gr.Data, wr.Data) {
				t.Errorf("%s: record %d: a failed record keeps its data", name, i)
			}
			continue
		}
		ok++
		var wd, gd map[string]any
		if err := json.Unmarshal(wr.Data, &wd); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(gr.Data, &gd); err != nil {
			t.Fatal(err)
		}
		wa, _ := wd["attributes"].(map[string]any)
		ga, _ := gd["attributes"].(map[string]any)
		delete(wd, "attributes")
		delete(gd, "attributes")
		if !reflect.DeepEqual(wd, gd) || !slices.Equal(slices.Sorted(maps.Keys(wa)), slices.Sorted(maps.Keys(ga))) {
			t.Errorf("%s: record %d:\n got %s\nwant %s", name, i, gr.Data, wr.Data)
		}
	}
	return ok
}

// BenchmarkInvokeVsStdlib is why the transform scans JSON by hand: Invoke against
// stdlibTransform, the same contract written with encoding/json, on the same batches in one
// run. impl=encoding-json-no-dup-check is the alternative without its repeated-key walk,
// to show what that check costs it. Compare with
//
//	go test ./transform -run '^$' -bench InvokeVsStdlib -cpu 1 -count 6 | tee bench.txt
//	benchstat -col /impl bench.txt
func BenchmarkInvokeVsStdlib(b *testing.B) {
	for _, size := range []struct {
		name     string
		n, bytes int
	}{{"500x300B", 500, 0}, {"max", 0, int(SafeProcessorBufferMiB * (1 << 20))}} {
		ev, payload, data := benchBatch(size.n, size.bytes)
		noDups := newStdlibTransform(schema.Default(), schema.KeepUnknown)
		noDups.checkDups = false
		for _, impl := range []struct {
			name   string
			invoke func(context.Context, []byte) ([]byte, error)
		}{
			{"streamlake", newTransformer(b, Options{}).Invoke},
			{"encoding-json", newStdlibTransform(schema.Default(), schema.KeepUnknown).Invoke},
			{"encoding-json-no-dup-check", noDups.Invoke},
		} {
			b.Run("batch="+size.name+"/impl="+impl.name, func(b *testing.B) {
				resp, err := impl.invoke(context.Background(), payload)
				if err != nil || bytes.Count(resp, []byte(`"result":"Ok"`)) != len(ev.Records) {
					b.Fatalf("not every record is Ok: %v", err)
				}
				b.SetBytes(int64(data))
				b.ReportAllocs()
				m := startMeter()
				for b.Loop() {
					if _, err := impl.invoke(context.Background(), payload); err != nil {
						b.Fatal(err)
					}
				}
				m.report(b, len(ev.Records))
			})
		}
	}
}
