package transform

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

var arrival = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func newTransformer(t testing.TB, o Options) *Transformer {
	t.Helper()
	tr, err := New(schema.Default(), o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func schemaField(t testing.TB, name string) schema.Field {
	t.Helper()
	f, ok := schema.Default().Field(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return f
}

type reject struct {
	name  string
	data  string
	rule  Rule
	field string
}

func runRejects(t *testing.T, tr *Transformer, cases []reject) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := tr.TransformRecord([]byte(c.data), arrival)
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("want %s, got ok: %s", c.rule, r.JSON)
			}
			if re.Rule != c.rule || re.Field != c.field {
				t.Fatalf("want rule %s field %q, got %s field %q (%v)", c.rule, c.field, re.Rule, re.Field, re)
			}
			if re.Offset < 0 || re.Offset > len(c.data) {
				t.Fatalf("offset %d outside the data", re.Offset)
			}
		})
	}
}

func TestRejectSyntax(t *testing.T) {
	runRejects(t, newTransformer(t, Options{}), []reject{
		{"empty", ``, RuleJSON, ""},
		{"whitespace only", " \n", RuleJSON, ""},
		{"unclosed", `{`, RuleJSON, ""},
		{"trailing comma", `{"a":1,}`, RuleJSON, ""},
		{"missing colon", `{"a" 1}`, RuleJSON, ""},
		{"missing value", `{"a":}`, RuleJSON, ""},
		{"leading zero", string(event(`"position_sec":01`)), RuleJSON, ""},
		{"bare fraction", string(event(`"position_sec":1.`)), RuleJSON, ""},
		{"bad exponent", string(event(`"position_sec":1e`)), RuleJSON, ""},
		{"plus sign", string(event(`"position_sec":+1`)), RuleJSON, ""},
		{"NaN", string(event(`"position_sec":NaN`)), RuleJSON, ""},
		{"bad escape", string(event(`"content_id":"a\x"`)), RuleJSON, ""},
		{"short unicode escape", string(event(`"content_id":"\u12"`)), RuleJSON, ""},
		{"raw control char", string(event("\"content_id\":\"a\tb\"")), RuleJSON, ""},
		{"unterminated string", `{"event_id":"e-1`, RuleJSON, ""},
		{"single quotes", `{'a':1}`, RuleJSON, ""},
		{"nested trailing comma", string(event(`"x":[1,]`)), RuleJSON, ""},
		{"nested unclosed", string(event(`"x":{"a":[1}`)), RuleJSON, ""},
		{"nested bad literal", string(event(`"x":tru`)), RuleJSON, ""},
		{"data after object", string(event()) + ` {}`, RuleJSON, ""},
		{"two objects", string(event()) + string(event()), RuleJSON, ""},
		{"comment", "{/* c */}", RuleJSON, ""},
		{"byte order mark", "\xef\xbb\xbf" + string(event()), RuleJSON, ""},
		{"garbage after scalar", `1 2`, RuleJSON, ""},
	})
}

func TestRejectEncoding(t *testing.T) {
	runRejects(t, newTransformer(t, Options{}), []reject{
		{"invalid byte", string(event("\"content_id\":\"a\xffb\"")), RuleUTF8, ""},
		{"overlong", string(event("\"content_id\":\"\xc0\xaf\"")), RuleUTF8, ""},
		{"encoded surrogate", string(event("\"content_id\":\"\xed\xa0\x80\"")), RuleUTF8, ""},
		{"truncated sequence", string(event("\"content_id\":\"\xe2\x82\"")), RuleUTF8, ""},
		{"invalid in key", "{\"\xff\":1}", RuleUTF8, ""},
		{"invalid in nested", string(event("\"x\":[\"\xfe\"]")), RuleUTF8, ""},
		{"lone high surrogate", string(event(`"content_id":"\ud800"`)), RuleUTF8, ""},
		{"high surrogate then text", string(event(`"content_id":"\ud800abcdef"`)), RuleUTF8, ""},
		{"lone low surrogate", string(event(`"content_id":"\udc00"`)), RuleUTF8, ""},
		{"reversed pair", string(event(`"content_id":"\udc00\ud800"`)), RuleUTF8, ""},
	})
}

func TestRejectShape(t *testing.T) {
	maxID := schemaField(t, "event_id").MaxLength
	maxAttr := schemaField(t, "attributes").MaxLength
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []reject{
		{"array", `[1]`, RuleObject, ""},
		{"string", `"s"`, RuleObject, ""},
		{"number", ` 1 `, RuleObject, ""},
		{"null", `null`, RuleObject, ""},
		{"duplicate field", string(event(`"event_id":"e-2"`, `"event_id":"e-3"`)), RuleDuplicateKey, "event_id"},
		{"duplicate field escaped", string(event(`"\u0065vent_id":"e-2"`)), RuleDuplicateKey, "event_id"},
		{"duplicate unknown", string(event(`"x":1`, `"x":2`)), RuleDuplicateKey, "x"},
		{"duplicate unknown escaped", string(event(`"x":1`, `"\u0078":2`)), RuleDuplicateKey, "x"},
		{"duplicate attribute", string(event(`"attributes":{"a":"1","a":"2"}`)), RuleDuplicateKey, "attributes"},
		{"unknown shadows attribute", string(event(`"attributes":{"a":"1"}`, `"a":"2"`)), RuleExtrasConflict, "a"},
		{"unknown before attribute", string(event(`"a":"2"`, `"attributes":{"a":"1"}`)), RuleExtrasConflict, "a"},
		{"empty required", string(event(`"event_id":""`)), RuleEmpty, "event_id"},
		{"string as number", string(event(`"event_id":1`)), RuleType, "event_id"},
		{"null string", string(event(`"event_id":null`)), RuleType, "event_id"},
		{"null optional", string(event(`"content_id":null`)), RuleType, "content_id"},
		{"double as string", string(event(`"position_sec":"1"`)), RuleType, "position_sec"},
		{"double as bool", string(event(`"position_sec":true`)), RuleType, "position_sec"},
		{"map as array", string(event(`"attributes":["a"]`)), RuleType, "attributes"},
		{"map of numbers", string(event(`"attributes":{"a":1}`)), RuleType, "attributes"},
		{"map of null", string(event(`"attributes":{"a":null}`)), RuleType, "attributes"},
		{"map of objects", string(event(`"attributes":{"a":{}}`)), RuleType, "attributes"},
		{"timestamp as bool", string(event(`"occurred_at":true`)), RuleType, "occurred_at"},
		{"timestamp null", string(event(`"occurred_at":null`)), RuleType, "occurred_at"},
		{"too long", string(event(`"event_id":"` + long(maxID+1) + `"`)), RuleMaxLength, "event_id"},
		{"too long in code points", string(event(`"event_id":"` + strings.Repeat("é", maxID+1) + `"`)), RuleMaxLength, "event_id"},
		{"too long with escapes", string(event(`"event_id":"` + strings.Repeat(`\u00e9`, maxID+1) + `"`)), RuleMaxLength, "event_id"},
		{"attribute key too long", string(event(`"attributes":{"` + long(maxAttr+1) + `":"v"}`)), RuleMaxLength, "attributes"},
		{"attribute value too long", string(event(`"attributes":{"k":"` + long(maxAttr+1) + `"}`)), RuleMaxLength, "attributes"},
		{"unknown name too long", string(event(`"` + long(maxAttr+1) + `":"v"`)), RuleMaxLength, "attributes"},
		{"unknown value too long", string(event(`"x":"` + long(maxAttr+1) + `"`)), RuleMaxLength, "attributes"},
		{"unknown JSON text too long", string(event(`"x":["` + long(maxAttr-3) + `"]`)), RuleMaxLength, "attributes"},
		{"below minimum", string(event(`"position_sec":-0.5`)), RuleMinimum, "position_sec"},
		{"tiny negative", string(event(`"watched_sec":-1e-300`)), RuleMinimum, "watched_sec"},
		{"double overflow", string(event(`"position_sec":1e400`)), RuleNumberRange, "position_sec"},
		{"pipeline field", string(event(`"ingested_at":"2024-05-01T12:00:00.000Z"`)), RulePipelineField, "ingested_at"},
	}
	for _, name := range schema.Default().RequiredFields() {
		cases = append(cases, reject{"missing " + name, string(event("-" + name)), RuleRequired, name})
	}
	runRejects(t, newTransformer(t, Options{}), cases)
}

func TestRejectTimestamps(t *testing.T) {
	ts := func(v string) string { return string(event(`"occurred_at":` + v)) }
	future := arrival.Add(DefaultMaxFutureSkew + time.Millisecond).UnixMilli()
	runRejects(t, newTransformer(t, Options{}), []reject{
		{"month 13", ts(`"2024-13-01T00:00:00Z"`), RuleTimestampFormat, "occurred_at"},
		{"february 30", ts(`"2024-02-30T00:00:00Z"`), RuleTimestampFormat, "occurred_at"},
		{"february 29 of a common year", ts(`"2023-02-29T00:00:00Z"`), RuleTimestampFormat, "occurred_at"},
		{"hour 24", ts(`"2024-05-01T24:00:00Z"`), RuleTimestampFormat, "occurred_at"},
		{"leap second", ts(`"2024-05-01T23:59:60Z"`), RuleTimestampFormat, "occurred_at"},
		{"date only", ts(`"2024-05-01"`), RuleTimestampFormat, "occurred_at"},
		{"no zone", ts(`"2024-05-01T11:59:59"`), RuleTimestampFormat, "occurred_at"},
		{"compact offset", ts(`"2024-05-01T11:59:59+0200"`), RuleTimestampFormat, "occurred_at"},
		{"offset hour 24", ts(`"2024-05-01T11:59:59+24:00"`), RuleTimestampFormat, "occurred_at"},
		{"empty fraction", ts(`"2024-05-01T11:59:59.Z"`), RuleTimestampFormat, "occurred_at"},
		{"numeric string", ts(`"1714564799"`), RuleTimestampFormat, "occurred_at"},
		{"words", ts(`"yesterday"`), RuleTimestampFormat, "occurred_at"},
		{"trailing space", ts(`"2024-05-01T11:59:59Z "`), RuleTimestampFormat, "occurred_at"},
		{"zero", ts(`0`), RuleTimestampRange, "occurred_at"},
		{"negative", ts(`-1714564799`), RuleTimestampRange, "occurred_at"},
		{"last second of 1999", ts(`946684799`), RuleTimestampRange, "occurred_at"},
		{"last millisecond of 1999", ts(`946684799999`), RuleTimestampRange, "occurred_at"},
		{"RFC 3339 in 1999", ts(`"1999-12-31T23:59:59.999Z"`), RuleTimestampRange, "occurred_at"},
		{"past the skew", ts(strconv.FormatInt(future, 10)), RuleTimestampRange, "occurred_at"},
		{"past the skew RFC 3339", ts(`"2024-05-01T15:00:00.001+02:00"`), RuleTimestampRange, "occurred_at"},
		{"huge", ts(`1e20`), RuleTimestampRange, "occurred_at"},
		{"huge exponent", ts(`1e999999999999`), RuleTimestampRange, "occurred_at"},
		{"tiny", ts(`1e-999999999999`), RuleTimestampRange, "occurred_at"},
		{"year 10000", ts(`253402300800000`), RuleTimestampRange, "occurred_at"},
	})
}

func TestRejectUnknownFields(t *testing.T) {
	tr := newTransformer(t, Options{UnknownFields: schema.RejectUnknown})
	runRejects(t, tr, []reject{
		{"unknown", string(event(`"x":1`)), RuleUnknownField, "x"},
		{"unknown with odd name", string(event(`"e-mail address":1`)), RuleUnknownField, "(key not shown)"},
		{"case matters", string(event(`"Event_ID":"e"`)), RuleUnknownField, "Event_ID"},
		{"pipeline field", string(event(`"ingested_at":1`)), RulePipelineField, "ingested_at"},
	})
	// Known fields only still pass.
	if _, err := tr.TransformRecord(event(`"attributes":{"a":"b"}`), arrival); err != nil {
		t.Fatal(err)
	}
}

// TestAccept checks normalized output byte for byte.
func TestAccept(t *testing.T) {
	const req = `{"event_id":"e-1","event_type":"progress","user_id":"u-42",`
	const ing = `"ingested_at":"2024-05-01T12:00:00.000Z"}`
	occ := func(v string) string { return `"occurred_at":"` + v + `",` }
	cases := []struct {
		name string
		data string
		want string
		keys string // year/month/day/hour
	}{
		{"RFC 3339 UTC", string(event()), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"offset east", string(event(`"occurred_at":"2024-05-01T13:59:59.123+02:00"`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"offset west crosses midnight", string(event(`"occurred_at":"2024-04-30T23:30:00-05:30"`)), req + occ("2024-05-01T05:00:00.000Z") + ing, "2024/05/01/05"},
		{"offset +14:00 goes back a day", string(event(`"occurred_at":"2024-05-02T01:00:00+14:00"`)), req + occ("2024-05-01T11:00:00.000Z") + ing, "2024/05/01/11"},
		{"lowercase t and z", string(event(`"occurred_at":"2024-05-01t11:59:59z"`)), req + occ("2024-05-01T11:59:59.000Z") + ing, "2024/05/01/11"},
		{"space separator", string(event(`"occurred_at":"2024-05-01 11:59:59Z"`)), req + occ("2024-05-01T11:59:59.000Z") + ing, "2024/05/01/11"},
		{"nanoseconds truncated", string(event(`"occurred_at":"2024-05-01T11:59:59.123999999Z"`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"long fraction truncated", string(event(`"occurred_at":"2024-05-01T11:59:59.99999999999999Z"`)), req + occ("2024-05-01T11:59:59.999Z") + ing, "2024/05/01/11"},
		{"one fraction digit", string(event(`"occurred_at":"2024-05-01T11:59:59.5Z"`)), req + occ("2024-05-01T11:59:59.500Z") + ing, "2024/05/01/11"},
		{"escaped Z", string(event(`"occurred_at":"2024-05-01T11:59:59\u005A"`)), req + occ("2024-05-01T11:59:59.000Z") + ing, "2024/05/01/11"},
		{"leap day", string(event(`"occurred_at":"2024-02-29T23:59:59Z"`)), req + occ("2024-02-29T23:59:59.000Z") + ing, "2024/02/29/23"},
		{"epoch seconds", string(event(`"occurred_at":1714564799`)), req + occ("2024-05-01T11:59:59.000Z") + ing, "2024/05/01/11"},
		{"epoch seconds with fraction, exactly", string(event(`"occurred_at":1714564799.123`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"epoch seconds with exponent", string(event(`"occurred_at":1.714564799123e9`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"epoch milliseconds", string(event(`"occurred_at":1714564799123`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"epoch milliseconds with fraction", string(event(`"occurred_at":1714564799123.999`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"epoch milliseconds with exponent", string(event(`"occurred_at":1.714564799123E+12`)), req + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"epoch with leading zero fraction", string(event(`"occurred_at":0.1714564799e10`)), req + occ("2024-05-01T11:59:59.000Z") + ing, "2024/05/01/11"},
		{"first instant of 2000", string(event(`"occurred_at":946684800`)), req + occ("2000-01-01T00:00:00.000Z") + ing, "2000/01/01/00"},
		{"first millisecond of 2000", string(event(`"occurred_at":946684800000`)), req + occ("2000-01-01T00:00:00.000Z") + ing, "2000/01/01/00"},
		{"exactly at the skew", string(event(`"occurred_at":"2024-05-01T13:00:00Z"`)), req + occ("2024-05-01T13:00:00.000Z") + ing, "2024/05/01/13"},
		{"all fields, whitespace", `{ "event_id" : "e-1" ,
			"event_type":"progress","user_id":"u-42","occurred_at":"2024-05-01T11:59:59.123Z",
			"content_id":"c-9","session_id":"s-7","position_sec":12.50,"watched_sec":0,
			"attributes":{ "player" : "web", "empty":"" } }` + "\n",
			req + occ("2024-05-01T11:59:59.123Z") + `"content_id":"c-9","session_id":"s-7","position_sec":12.50,"watched_sec":0,"attributes":{"player":"web","empty":""},` + ing, "2024/05/01/11"},
		{"fields in any order", `{"watched_sec":1e2,"occurred_at":1714564799,"user_id":"u-42","position_sec":-0,"event_type":"progress","event_id":"e-1"}`,
			req + occ("2024-05-01T11:59:59.000Z") + `"position_sec":-0,"watched_sec":1e2,` + ing, "2024/05/01/11"},
		{"escapes kept", string(event(`"content_id":"\"q\" \\ \/ \u00e9 \ud83d\ude00 é"`)), req + occ("2024-05-01T11:59:59.123Z") + `"content_id":"\"q\" \\ \/ \u00e9 \ud83d\ude00 é",` + ing, "2024/05/01/11"},
		{"empty attributes kept", string(event(`"attributes":{}`)), req + occ("2024-05-01T11:59:59.123Z") + `"attributes":{},` + ing, "2024/05/01/11"},
		{"max length in code points", string(event(`"event_id":"` + strings.Repeat("é", 128) + `"`)), `{"event_id":"` + strings.Repeat("é", 128) + `","event_type":"progress","user_id":"u-42",` + occ("2024-05-01T11:59:59.123Z") + ing, "2024/05/01/11"},
		{"unknown fields kept as strings", string(event(`"n":1.50`, `"b":false`, `"z":null`, `"s":"t\"x"`, `"o":{ "a" : [1, "x y", {"q":"\"\\"}] }`, `"e":[]`)),
			req + occ("2024-05-01T11:59:59.123Z") + `"attributes":{"n":"1.50","b":"false","z":"null","s":"t\"x","o":"{\"a\":[1,\"x y\",{\"q\":\"\\\"\\\\\"}]}","e":"[]"},` + ing, "2024/05/01/11"},
		{"unknown fields join attributes in data order", string(event(`"u1":"1"`, `"attributes":{"a":"x"}`, `"u2":2`)),
			req + occ("2024-05-01T11:59:59.123Z") + `"attributes":{"u1":"1","a":"x","u2":"2"},` + ing, "2024/05/01/11"},
		{"long double shortened", string(event(`"position_sec":0.10000000000000000000000000000000000001`)), req + occ("2024-05-01T11:59:59.123Z") + `"position_sec":0.1,` + ing, "2024/05/01/11"},
		{"unknown named like a partition", string(event(`"year":"1999"`)), req + occ("2024-05-01T11:59:59.123Z") + `"attributes":{"year":"1999"},` + ing, "2024/05/01/11"},
	}
	tr := newTransformer(t, Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := tr.TransformRecord([]byte(c.data), arrival)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.JSON) != c.want {
				t.Fatalf("got  %s\nwant %s", r.JSON, c.want)
			}
			if _, err := firehosecheck.Record(schema.Default(), r.JSON); err != nil {
				t.Fatal(err)
			}
			k := r.PartitionKeys
			if got := k["year"] + "/" + k["month"] + "/" + k["day"] + "/" + k["hour"]; got != c.keys || len(k) != 4 {
				t.Fatalf("partition keys %v, want %s", k, c.keys)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(schema.Default(), Options{UnknownFields: "drop"}); err == nil {
		t.Fatal("unknown mode accepted")
	}
	noExtras := schema.Default()
	noExtras.Extras = ""
	if _, err := New(noExtras, Options{}); err == nil {
		t.Fatal("keep without an extras field accepted")
	}
	if _, err := New(noExtras, Options{UnknownFields: schema.RejectUnknown}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("nil schema accepted")
	}
	bad := schema.Default()
	bad.Fields = append(bad.Fields, schema.Field{Name: "Bad Name", Type: schema.String})
	if _, err := New(bad, Options{}); err == nil {
		t.Fatal("invalid schema accepted")
	}

	// A tighter skew and a later minimum.
	tr := newTransformer(t, Options{MaxFutureSkew: -1, MinEventTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := tr.TransformRecord(event(`"occurred_at":"2024-05-01T12:00:00.001Z"`), arrival); err == nil {
		t.Fatal("event after arrival accepted with no skew")
	}
	if _, err := tr.TransformRecord(event(`"occurred_at":"2024-05-01T12:00:00.000Z"`), arrival); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TransformRecord(event(`"occurred_at":"2023-12-31T23:59:59.999Z"`), arrival); err == nil {
		t.Fatal("event before the minimum accepted")
	}

	// Without an arrival time, ingested_at is now.
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tr = newTransformer(t, Options{Now: func() time.Time { return now }})
	r, err := tr.TransformRecord(event(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.JSON), `"ingested_at":"2024-06-01T00:00:00.000Z"`) {
		t.Fatalf("ingested_at not now: %s", r.JSON)
	}
}

// TestOtherTypes runs the types the default schema does not use (bigint, boolean, a second
// timestamp) through a schema derived from it.
func TestOtherTypes(t *testing.T) {
	s := schema.Default()
	s.Fields = append(s.Fields[:len(s.Fields):len(s.Fields)],
		schema.Field{Name: "views", Type: schema.Long, Minimum: 1, HasMinimum: true},
		schema.Field{Name: "muted", Type: schema.Boolean},
		schema.Field{Name: "started_at", Type: schema.Timestamp},
	)
	tr, err := New(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.TransformRecord(event(`"views":9223372036854775807`, `"muted":true`, `"started_at":1714564000`), arrival)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(r.JSON), `"ingested_at":"2024-05-01T12:00:00.000Z","views":9223372036854775807,"muted":true,"started_at":"2024-05-01T11:46:40.000Z"}`) {
		t.Fatalf("got %s", r.JSON)
	}
	if _, err := firehosecheck.Record(s, r.JSON); err != nil {
		t.Fatal(err)
	}
	for _, c := range []reject{
		{"bigint fraction", string(event(`"views":1.0`)), RuleType, "views"},
		{"bigint exponent", string(event(`"views":1e3`)), RuleType, "views"},
		{"bigint overflow", string(event(`"views":9223372036854775808`)), RuleNumberRange, "views"},
		{"bigint minimum", string(event(`"views":0`)), RuleMinimum, "views"},
		{"bigint string", string(event(`"views":"1"`)), RuleType, "views"},
		{"boolean string", string(event(`"muted":"true"`)), RuleType, "muted"},
		{"boolean number", string(event(`"muted":1`)), RuleType, "muted"},
		{"boolean null", string(event(`"muted":null`)), RuleType, "muted"},
		{"second timestamp bounded too", string(event(`"started_at":1`)), RuleTimestampRange, "started_at"},
	} {
		t.Run(c.name, func(t *testing.T) { runRejects(t, tr, []reject{c}) })
	}
}
