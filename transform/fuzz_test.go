package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

// maxFixedGrowth bounds what a valid record grows by besides the doubling that escaping a kept
// nested value can cause: ingested_at (41 bytes with its comma), the quoted, normalized event
// time (at most 23 more than the shortest accepted number, 1e9) and a new extras map (16).
// FuzzTransform checks len(out) <= 2*len(in) + maxFixedGrowth; TestSafeProcessorBuffer
// relies on it.
const maxFixedGrowth = 80

// fuzzSeeds are records that reach every rule; the golden batch adds realistic ones.
var fuzzSeeds = []string{
	string(event()),
	string(event(`"occurred_at":1e9`)),
	string(event(`"occurred_at":1714564799.123`, `"position_sec":0.5`, `"watched_sec":30`)),
	string(event(`"occurred_at":"2024-05-01T13:59:59.123+02:00"`, `"attributes":{"a":"b","c":""}`)),
	string(event(`"x":{"a":[1,"\"\\",null,true]}`, `"y":-1.5e-3`, `"z":"s"`)),
	string(event(`"attributes":{"a":"1"}`, `"a":2`)),
	string(event(`"ingested_at":"2024-05-01T12:00:00.000Z"`)),
	string(event(`"event_id":"\ud83d\ude00\u00e9\"\\\/"`)),
	string(event(`"event_id":"a"`, `"event_id":"b"`)),
	string(event("-user_id")),
	string(event(`"position_sec":-1`)),
	string(event(`"position_sec":1e400`)),
	string(event(`"occurred_at":"1714564799"`)),
	string(event(`"occurred_at":99999999999`)),
	string(event(`"occurred_at":"2024-02-30T00:00:00Z"`)),
	"{\"event_id\":\"\xff\"}",
	`{"event_id":"\ud800"}`,
	`[]`, `{}`, `null`, ` {"a":1} `, `{"a":[[[[[[[[[[]]]]]]]]]]}`, ``,
}

// FuzzTransform asserts the transform's contract on arbitrary record data: every batch gets one
// answer per record id in order, nothing panics, Ok records are valid events of the Glue
// table's columns and types, with the right partition keys, and keep every field the producer
// sent; failed records come back as sent.
func FuzzTransform(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false, int64(0))
	}
	if payload, err := os.ReadFile("testdata/firehose-kinesis-batch.json"); err == nil {
		var ev events.KinesisFirehoseEvent
		if json.Unmarshal(payload, &ev) == nil {
			for i, r := range ev.Records {
				f.Add(r.Data, i%3 == 0, int64(i)*3600_000)
			}
		}
	}
	s := schema.Default()
	keep, err := New(s, Options{})
	if err != nil {
		f.Fatal(err)
	}
	reject, err := New(s, Options{UnknownFields: schema.RejectUnknown})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, rejectUnknown bool, shift int64) {
		tr := keep
		if rejectUnknown {
			tr = reject
		}
		// Arrival moves around 2024-05-01 by up to ±60 days so the skew bound is exercised.
		const window = 60 * 24 * 3600_000
		at := arrival.Add(time.Duration(shift%window) * time.Millisecond)
		ev := &events.KinesisFirehoseEvent{InvocationID: "fuzz", Records: []events.KinesisFirehoseEventRecord{
			{RecordID: "r0", Data: event()},
			{RecordID: "r1", Data: data},
			{RecordID: "r\"2\x00", Data: bytes.Clone(data)},
		}}
		for i := range ev.Records {
			ev.Records[i].KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = at
		}
		resp, stats, err := tr.Transform(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		res, err := firehosecheck.Response(s, ev, resp)
		if err != nil {
			t.Fatalf("%v\nresponse: %s", err, resp)
		}
		if stats.OK+stats.Failed != 3 || stats.ResponseBytes != len(resp) {
			t.Fatalf("stats %+v", stats)
		}
		if res[1].Result != res[2].Result || !bytes.Equal(res[1].Data, res[2].Data) {
			t.Fatal("the same data was answered differently")
		}
		if res[1].Result != events.KinesisFirehoseTransformedStateOk {
			return
		}
		out := res[1].Data
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("accepted invalid JSON or UTF-8: %q", data)
		}
		if len(out) > 2*len(data)+maxFixedGrowth {
			t.Fatalf("grew from %d to %d bytes, beyond 2x+%d", len(data), len(out), maxFixedGrowth)
		}
		if got, want := res[1].Event[s.ArrivalTime], at.UTC().Format(schema.TimestampLayout); got != want {
			t.Fatalf("ingested_at %v, want %s", got, want)
		}
		checkNothingLost(t, s, tr, data, res[1].Event)
	})
}

// checkNothingLost compares an accepted record with its output field by field, decoding the
// input with encoding/json independently of the transform's scanner.
func checkNothingLost(t *testing.T, s *schema.Schema, tr *Transformer, data []byte, out map[string]any) {
	t.Helper()
	in := decodeMembers(t, data)
	extras, _ := out[s.Extras].(map[string]string)
	seen := map[string]bool{}
	for _, m := range in {
		if seen[m.key] {
			t.Fatalf("accepted duplicate key %q", m.key)
		}
		seen[m.key] = true
		f, known := s.Field(m.key)
		if !known {
			if tr.unknown == schema.RejectUnknown {
				t.Fatalf("accepted unknown field %q with reject", m.key)
			}
			got, ok := extras[m.key]
			if !ok {
				t.Fatalf("unknown field %q lost", m.key)
			}
			var sv string
			if m.raw[0] == '"' && json.Unmarshal(m.raw, &sv) == nil {
				if got != sv {
					t.Fatalf("unknown field %q: %q, want %q", m.key, got, sv)
				}
				continue
			}
			if !sameJSON(t, []byte(got), m.raw) {
				t.Fatalf("unknown field %q: %s, want the JSON text of %s", m.key, got, m.raw)
			}
			continue
		}
		if f.Source == schema.Pipeline {
			t.Fatalf("accepted pipeline field %q", m.key)
		}
		switch f.Type {
		case schema.String:
			var sv string
			if err := json.Unmarshal(m.raw, &sv); err != nil || out[m.key] != sv {
				t.Fatalf("%s: %q, want %q", m.key, out[m.key], sv)
			}
		case schema.Double:
			x, err := strconv.ParseFloat(string(m.raw), 64)
			if err != nil || out[m.key] != x {
				t.Fatalf("%s: %v, want %s", m.key, out[m.key], m.raw)
			}
		case schema.Timestamp:
			if want, ok := referenceTimestamp(m.raw); ok && out[m.key] != want {
				t.Fatalf("%s: %v, want %s (from %s)", m.key, out[m.key], want, m.raw)
			}
		case schema.StringMap:
			var mv map[string]string
			if err := json.Unmarshal(m.raw, &mv); err != nil {
				t.Fatalf("%s: %v", m.key, err)
			}
			for k, v := range mv {
				if extras[k] != v {
					t.Fatalf("%s[%q]: %q, want %q", m.key, k, extras[k], v)
				}
			}
		}
	}
	for k := range out {
		if !seen[k] && k != s.ArrivalTime && k != s.Extras {
			t.Fatalf("output field %q was not sent", k)
		}
	}
}

type member struct {
	key string
	raw json.RawMessage
}

// decodeMembers returns the top-level members in order, duplicates included.
func decodeMembers(t *testing.T, data []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted a non-object: %q", data)
	}
	var ms []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, member{k.(string), raw})
	}
	return ms
}

func sameJSON(t *testing.T, a, b []byte) bool {
	decode := func(x []byte) any {
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", x, err)
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// referenceTimestamp normalizes a timestamp token independently: time.Parse for strings,
// exact rational arithmetic for numbers. ok=false when the reference declines (exponents
// beyond ±50, which big.Rat would take long to expand).
func referenceTimestamp(raw []byte) (string, bool) {
	var sv string
	if raw[0] == '"' && json.Unmarshal(raw, &sv) == nil {
		ms, ok := referenceRFC3339(sv)
		if !ok {
			return "", false
		}
		return time.UnixMilli(ms).UTC().Format(schema.TimestampLayout), true
	}
	if i := bytes.IndexAny(raw, "eE"); i >= 0 {
		if e, err := strconv.Atoi(string(raw[i+1:])); err != nil || e > 50 || e < -50 {
			return "", false
		}
	}
	r, ok := new(big.Rat).SetString(string(raw))
	if !ok {
		return "", false
	}
	if r.Cmp(big.NewRat(EpochMillisThreshold, 1)) < 0 {
		r.Mul(r, big.NewRat(1000, 1))
	}
	ms := new(big.Int).Quo(r.Num(), r.Denom()) // truncates; r >= 0 here
	return time.UnixMilli(ms.Int64()).UTC().Format(schema.TimestampLayout), true
}
