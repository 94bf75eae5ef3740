// Package firehosecheck is the oracle of the Firehose transformation contract the transform
// promises: the transform's own tests, its fuzz test, its benchmarks' package and the Lambda's
// end-to-end test check its answers with it. It is written independently of the transform and
// of internal/openx (whose tests compare against it), byte for byte: UTF-8, compact JSON,
// Glue column order, each value decoded with encoding/json.
//
// It is its own package, apart from internal/testenv, so that the transform's test binary does
// not link the AWS SDK and the stand-ins (they doubled its benchmarks' live heap): it imports
// only the schema and aws-lambda-go's event types, and no AWS SDK (a test keeps it so).
package firehosecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/schema"
)

// Record verifies a transformed record against the Glue table the way Firehose's OpenX
// JSON SerDe will read it: one compact JSON object, no duplicate keys, every key a column in
// column order, every value of the column's type, timestamps in the form the SerDe parses.
// It returns the decoded object.
func Record(s *schema.Schema, out []byte) (map[string]any, error) {
	if !utf8.Valid(out) {
		return nil, fmt.Errorf("output is not UTF-8")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, fmt.Errorf("output is not JSON: %w", err)
	}
	if !bytes.Equal(compact.Bytes(), out) {
		return nil, fmt.Errorf("output is not compact")
	}
	cols := map[string]int{}
	types := map[string]string{}
	for i, c := range s.GlueColumns() {
		cols[c.Name], types[c.Name] = i, c.Type
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("output is not an object")
	}
	obj := map[string]any{}
	last := -1
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		i, ok := cols[key]
		if !ok {
			return nil, fmt.Errorf("key %q is not a Glue column", key)
		}
		if i <= last {
			return nil, fmt.Errorf("key %q out of column order or repeated", key)
		}
		last = i
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		v, err := checkValue(types[key], raw)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", key, types[key], err)
		}
		obj[key] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, fmt.Errorf("output object not closed")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the output object")
	}
	return obj, nil
}

// checkValue checks one value against a Hive type.
func checkValue(hive string, raw json.RawMessage) (any, error) {
	switch schema.Type(hive) {
	case schema.String:
		var v string
		return v, strictDecode(raw, &v)
	case schema.Timestamp:
		var v string
		if err := strictDecode(raw, &v); err != nil {
			return nil, err
		}
		if !schema.FirehoseTimestamp.MatchString(v) {
			return nil, fmt.Errorf("timestamp %q is not in the SerDe's form", v)
		}
		return v, nil
	case schema.Double:
		var v json.Number
		if err := strictDecode(raw, &v); err != nil {
			return nil, err
		}
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s is not a finite double", v)
		}
		return f, nil
	case schema.Long:
		var v json.Number
		if err := strictDecode(raw, &v); err != nil {
			return nil, err
		}
		n, err := v.Int64()
		if err != nil {
			return nil, fmt.Errorf("%s is not a bigint", v)
		}
		return n, nil
	case schema.Boolean:
		var v bool
		return v, strictDecode(raw, &v)
	case schema.StringMap:
		// Decode pairwise to catch duplicate keys, which a map would hide.
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, fmt.Errorf("not an object")
		}
		m := map[string]string{}
		for dec.More() {
			k, _ := dec.Token()
			v, err := dec.Token()
			if err != nil {
				return nil, err
			}
			vs, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("value of %q is not a string", k)
			}
			if _, dup := m[k.(string)]; dup {
				return nil, fmt.Errorf("duplicate map key %q", k)
			}
			m[k.(string)] = vs
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown type %s", hive)
}

func strictDecode(raw json.RawMessage, v any) error {
	if bytes.Equal(raw, []byte("null")) {
		return fmt.Errorf("null")
	}
	return json.Unmarshal(raw, v)
}

// Result is one checked answer.
type Result struct {
	RecordID string
	Result   string
	// Data is the decoded data: the transformed event (Ok) or the original (ProcessingFailed).
	Data          []byte
	PartitionKeys map[string]string
	// Event is the transformed event decoded (Ok only).
	Event map[string]any
}

// Response verifies resp as the answer to ev: one answer per record, same order
// and ids; result Ok or ProcessingFailed; exactly the keys Firehose documents (recordId, result,
// data, and metadata.partitionKeys on Ok only); failed records carry their original data; Ok
// records pass Record and their partition keys are the UTC year/month/day/hour of
// the event time.
func Response(s *schema.Schema, ev *events.KinesisFirehoseEvent, resp []byte) ([]Result, error) {
	if !json.Valid(resp) {
		return nil, fmt.Errorf("response is not JSON")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(resp, &top); err != nil {
		return nil, fmt.Errorf("response is not an object: %w", err)
	}
	if len(top) != 1 || top["records"] == nil {
		return nil, fmt.Errorf("response keys %v, want only records", slices.Sorted(maps.Keys(top)))
	}
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(top["records"], &recs); err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	if len(recs) != len(ev.Records) {
		return nil, fmt.Errorf("%d answers for %d records", len(recs), len(ev.Records))
	}
	out := make([]Result, len(recs))
	for i, rec := range recs {
		r, err := checkAnswer(s, rec, &ev.Records[i])
		if err != nil {
			return nil, fmt.Errorf("answer %d: %w", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// checkAnswer checks one answer against its record.
func checkAnswer(s *schema.Schema, rec map[string]json.RawMessage, in *events.KinesisFirehoseEventRecord) (Result, error) {
	var r Result
	if err := json.Unmarshal(rec["recordId"], &r.RecordID); err != nil || r.RecordID != in.RecordID {
		return r, fmt.Errorf("recordId %q, want %q", r.RecordID, in.RecordID)
	}
	if err := json.Unmarshal(rec["result"], &r.Result); err != nil {
		return r, fmt.Errorf("result: %w", err)
	}
	if rec["data"] == nil {
		return r, fmt.Errorf("no data")
	}
	if err := json.Unmarshal(rec["data"], &r.Data); err != nil {
		return r, fmt.Errorf("data is not base64: %w", err)
	}
	keys := slices.Sorted(maps.Keys(rec))
	switch r.Result {
	case events.KinesisFirehoseTransformedStateProcessingFailed:
		if !slices.Equal(keys, []string{"data", "recordId", "result"}) {
			return r, fmt.Errorf("failed: keys %v", keys)
		}
		if !bytes.Equal(r.Data, in.Data) {
			return r, fmt.Errorf("failed: data is not the original")
		}
	case events.KinesisFirehoseTransformedStateOk:
		if !slices.Equal(keys, []string{"data", "metadata", "recordId", "result"}) {
			return r, fmt.Errorf("ok: keys %v", keys)
		}
		if err := checkOk(s, rec["metadata"], &r); err != nil {
			return r, fmt.Errorf("ok: %w", err)
		}
	default:
		return r, fmt.Errorf("result %q", r.Result)
	}
	return r, nil
}

// checkOk checks an Ok answer's metadata, transformed event and partition keys.
func checkOk(s *schema.Schema, metadata json.RawMessage, r *Result) error {
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(metadata, &meta); err != nil || len(meta) != 1 || meta["partitionKeys"] == nil {
		return fmt.Errorf("metadata %s, want only partitionKeys", metadata)
	}
	if err := json.Unmarshal(meta["partitionKeys"], &r.PartitionKeys); err != nil {
		return fmt.Errorf("partitionKeys: %w", err)
	}
	ev, err := Record(s, r.Data)
	if err != nil {
		return err
	}
	r.Event = ev
	return checkKeys(s, ev, r.PartitionKeys)
}

// checkKeys checks the partition keys against the event time and the ingested_at presence.
func checkKeys(s *schema.Schema, ev map[string]any, keys map[string]string) error {
	at, _ := ev[s.EventTime].(string)
	if at == "" {
		return fmt.Errorf("no %s", s.EventTime)
	}
	if _, ok := ev[s.ArrivalTime].(string); !ok {
		return fmt.Errorf("no %s", s.ArrivalTime)
	}
	t, err := time.Parse(schema.TimestampLayout, at)
	if err != nil {
		return err
	}
	if len(keys) != len(s.Partitions) {
		return fmt.Errorf("partition keys %v, want %v", keys, s.PartitionNames())
	}
	for _, p := range s.Partitions {
		if want := t.UTC().Format(p.Layout); keys[p.Name] != want {
			return fmt.Errorf("partition key %s=%q, want %q for %s", p.Name, keys[p.Name], want, at)
		}
	}
	return nil
}
