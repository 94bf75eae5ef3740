package openx

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

func reader(t *testing.T, strict bool) *Reader {
	t.Helper()
	r, err := NewReader(schema.Default().GlueColumns(), strict)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// col returns the value of column name in row.
func col(r *Reader, row Row, name string) Value {
	for i, c := range r.cols {
		if c.Name == name {
			return row[i]
		}
	}
	panic("no column " + name)
}

// A full transform output record reads into typed values; absent columns are NULL.
func TestReadTransformOutput(t *testing.T) {
	for _, strict := range []bool{false, true} {
		r := reader(t, strict)
		row, err := r.Read([]byte(`{"event_id":"e-1","event_type":"progress","user_id":"u-1","occurred_at":"2024-05-01T11:59:30.250Z",` +
			`"position_sec":754.5,"watched_sec":30,"attributes":{"player":"web","device":"{\"os\":\"iOS\"}"},"ingested_at":"2024-05-01T12:00:00.000Z"}`))
		if err != nil {
			t.Fatalf("strict=%v: %v", strict, err)
		}
		want := map[string]Value{
			"event_id": {Str: "e-1"}, "event_type": {Str: "progress"}, "user_id": {Str: "u-1"},
			"occurred_at":  {Time: time.Date(2024, 5, 1, 11, 59, 30, 250_000_000, time.UTC)},
			"content_id":   {Null: true},
			"session_id":   {Null: true},
			"position_sec": {F64: 754.5}, "watched_sec": {F64: 30},
			"attributes":  {Map: []Entry{{Key: "player", Value: "web"}, {Key: "device", Value: `{"os":"iOS"}`}}},
			"ingested_at": {Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		}
		for name, w := range want {
			if got := col(r, row, name); !reflect.DeepEqual(got, w) {
				t.Errorf("strict=%v %s = %+v, want %+v", strict, name, got, w)
			}
		}
	}
}

// Every column type of the schema package, with the SerDe's coercions.
func TestTypes(t *testing.T) {
	cols := []schema.Column{{Name: "s", Type: "string"}, {Name: "t", Type: "timestamp"}, {Name: "d", Type: "double"},
		{Name: "n", Type: "bigint"}, {Name: "b", Type: "boolean"}, {Name: "m", Type: "map<string,string>"}}
	r, err := NewReader(cols, false)
	if err != nil {
		t.Fatal(err)
	}
	ts := func(y int, mo time.Month, d, h, mi, s, ns int) Value {
		return Value{Time: time.Date(y, mo, d, h, mi, s, ns, time.UTC)}
	}
	cases := []struct {
		col, json string
		want      Value
	}{
		{"s", `"x"`, Value{Str: "x"}},
		{"s", `1.50`, Value{Str: "1.50"}},
		{"s", `true`, Value{Str: "true"}},
		{"s", `{"a": [1, 2]}`, Value{Str: `{"a":[1,2]}`}},
		{"s", `null`, Value{Null: true}},
		{"t", `"2024-02-29T23:59:59.123456789Z"`, ts(2024, 2, 29, 23, 59, 59, 123456789)},
		{"t", `"2024-05-01T00:00:00Z"`, ts(2024, 5, 1, 0, 0, 0, 0)},
		{"t", `"2024-5-1 07:08:09.5"`, ts(2024, 5, 1, 7, 8, 9, 500_000_000)},
		{"t", `1518033528`, ts(2018, 2, 7, 19, 58, 48, 0)},
		{"t", `1518033528123`, ts(2018, 2, 7, 19, 58, 48, 123_000_000)},
		{"t", `1518033528.123`, ts(2018, 2, 7, 19, 58, 48, 123_000_000)},
		{"t", `"1518033528"`, ts(2018, 2, 7, 19, 58, 48, 0)},
		{"t", `99999999999`, ts(5138, 11, 16, 9, 46, 39, 0)},
		{"t", `100000000000`, ts(1973, 3, 3, 9, 46, 40, 0)},
		{"t", `-1.5`, ts(1969, 12, 31, 23, 59, 58, 500_000_000)},
		{"d", `-1.5e3`, Value{F64: -1500}},
		{"d", `"2.25"`, Value{F64: 2.25}},
		{"d", `7`, Value{F64: 7}},
		{"n", `-9223372036854775808`, Value{I64: math.MinInt64}},
		{"n", `"+42"`, Value{I64: 42}},
		{"b", `false`, Value{Bool: false}},
		{"b", `"TRUE"`, Value{Bool: true}},
		{"m", `{}`, Value{Map: []Entry{}}},
		{"m", `{"k":"v","n":null,"x":1.0,"o":{"a":1}}`, Value{Map: []Entry{{Key: "k", Value: "v"}, {Key: "n", Null: true}, {Key: "x", Value: "1.0"}, {Key: "o", Value: `{"a":1}`}}}},
	}
	for _, c := range cases {
		row, err := r.Read([]byte(`{"` + c.col + `":` + c.json + `}`))
		if err != nil {
			t.Errorf("%s = %s: %v", c.col, c.json, err)
			continue
		}
		if got := col(r, row, c.col); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %s: got %+v, want %+v", c.col, c.json, got, c.want)
		}
	}
}

// Values that do not convert fail the record with the column, its type and a reason that
// does not contain the data.
func TestConversionFailures(t *testing.T) {
	r := reader(t, false)
	cases := []struct{ record, column, reason string }{
		{`{"position_sec":"abc"}`, "position_sec", "not a number"},
		{`{"position_sec":"NaN"}`, "position_sec", "not a number"},
		{`{"position_sec":1e400}`, "position_sec", "out of the range"},
		{`{"position_sec":true}`, "position_sec", "JSON boolean is not a number"},
		{`{"occurred_at":"2024-02-30T00:00:00Z"}`, "occurred_at", "not a real date"},
		{`{"occurred_at":"2024-02-30 00:00:00"}`, "occurred_at", "not a real date"},
		{`{"occurred_at":"2024-05-01T12:00:00+02:00"}`, "occurred_at", "none of the timestamp forms"},
		{`{"occurred_at":"2024-05-01T24:00:00Z"}`, "occurred_at", "not a real date"},
		{`{"occurred_at":"2024-05-01T12:00:60Z"}`, "occurred_at", "not a real date"},
		{`{"occurred_at":"2024-05-01T12:00:00.1234567890Z"}`, "occurred_at", "none of the timestamp forms"},
		{`{"occurred_at":1e9}`, "occurred_at", "exponent"},
		{`{"occurred_at":-100000000000000}`, "occurred_at", "outside the years"},
		{`{"occurred_at":{}}`, "occurred_at", "JSON object is not a timestamp"},
		{`{"attributes":"a=b"}`, "attributes", "JSON string is not a map"},
		{`{"attributes":{"a":"1","a":"2"}}`, "attributes", `map key "a" repeats`},
		{`{"event_id":"a","event_id":"b"}`, "event_id", "key repeats"},
		{`{"x":1,"x":2}`, "", `key "x" repeats`},
		{`[{"event_id":"a"}]`, "", "not a JSON object"},
		{`{"event_id":"a"}{"event_id":"b"}`, "", "data after the JSON object"},
		{`{"event_id":"a",}`, "", "malformed"},
		{`{"event_id":}`, "", "malformed JSON at the value"},
		{``, "", "not a JSON object"},
	}
	for _, c := range cases {
		_, err := r.Read([]byte(c.record))
		var ce *ConversionError
		if !errors.As(err, &ce) || ce.Column != c.column || !strings.Contains(ce.Error(), c.reason) {
			t.Errorf("%s: %v; want column %q and %q", c.record, err, c.column, c.reason)
			continue
		}
		if strings.Contains(ce.Reason, "abc") || strings.Contains(ce.Reason, "a=b") {
			t.Errorf("%s: reason carries the data: %s", c.record, ce.Reason)
		}
	}
	// A bigint column (the default schema has none).
	n, _ := NewReader([]schema.Column{{Name: "n", Type: "bigint"}}, false)
	for rec, reason := range map[string]string{
		`{"n":1.0}`: "fraction or exponent", `{"n":1e3}`: "fraction or exponent", `{"n":9223372036854775808}`: "out of the range",
		`{"n":"1.5"}`: "not an integer", `{"n":[1]}`: "JSON array is not an integer",
	} {
		if _, err := n.Read([]byte(rec)); err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: %v, want %q", rec, err, reason)
		}
	}
}

// Strict mode is the transform's output contract: no coercion, no nulls, no unknown keys.
func TestStrict(t *testing.T) {
	r := reader(t, true)
	for rec, reason := range map[string]string{
		`{"position_sec":"1.5"}`:                     "JSON string, want number",
		`{"event_id":7}`:                             "JSON number, want string",
		`{"event_id":null}`:                          "null",
		`{"occurred_at":1518033528}`:                 "JSON number, want string",
		`{"occurred_at":"2024-5-1 07:08:09"}`:        "not in the form",
		`{"attributes":{"a":1}}`:                     `value of map key "a" is a JSON number, want string`,
		`{"app_version":"1"}`:                        `key "app_version" is not a column`,
		"{\"event_id\":\"\xff\"}":                    "not valid UTF-8",
		`{"occurred_at":"2024-02-30T00:00:00.000Z"}`: "not a real date",
	} {
		if _, err := r.Read([]byte(rec)); err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("strict %s: %v, want %q", rec, err, reason)
		}
	}
	// The SerDe itself reads the same records.
	if _, err := reader(t, false).Read([]byte(`{"app_version":"1","position_sec":"1.5","event_id":null}`)); err != nil {
		t.Errorf("lenient: %v", err)
	}
}

func TestNewReaderErrors(t *testing.T) {
	if _, err := NewReader([]schema.Column{{Name: "a", Type: "int"}}, false); err == nil || !strings.Contains(err.Error(), `column a has type "int"`) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := NewReader([]schema.Column{{Name: "a", Type: "string"}, {Name: "a", Type: "double"}}, false); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("duplicate: %v", err)
	}
	r := reader(t, false)
	if err := r.ReadInto(make(Row, 1), []byte(`{}`)); err == nil {
		t.Error("a row of the wrong length must be refused")
	}
}

// The transform's golden answers read the same with this package (strict) as with the test
// oracle (firehosecheck.Record), value for value.
func TestAgreesWithOracle(t *testing.T) {
	b, err := os.ReadFile("../../transform/testdata/firehose-kinesis-batch.keep.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Records []struct {
			Result string
			Data   []byte
		}
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	s := schema.Default()
	r := reader(t, true)
	ok := 0
	for i, rec := range resp.Records {
		if rec.Result != "Ok" {
			continue
		}
		ok++
		obj, err := firehosecheck.Record(s, rec.Data)
		if err != nil {
			t.Fatalf("record %d: oracle: %v", i, err)
		}
		row, err := r.Read(rec.Data)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		for j, c := range r.cols {
			want, present := obj[c.Name]
			if got := asOracle(schema.Type(c.Type), row[j]); !present && !row[j].Null || present && !reflect.DeepEqual(got, want) {
				t.Errorf("record %d column %s: %#v, oracle %#v", i, c.Name, got, want)
			}
		}
	}
	if ok < 3 {
		t.Fatalf("only %d Ok records in the golden batch", ok)
	}
}

// asOracle renders a value the way firehosecheck.Record returns it.
func asOracle(t schema.Type, v Value) any {
	switch t {
	case schema.String:
		return v.Str
	case schema.Timestamp:
		return v.Time.Format(schema.TimestampLayout)
	case schema.Double:
		return v.F64
	case schema.Long:
		return v.I64
	case schema.Boolean:
		return v.Bool
	case schema.StringMap:
		m := map[string]string{}
		for _, e := range v.Map {
			m[e.Key] = e.Value
		}
		return m
	}
	return nil
}
