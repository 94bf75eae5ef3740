package recovery

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// One listing per UTC day, on the common prefix of the day's hours in the range.
func TestHourPrefixes(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"whole day", at(25, 0), at(26, 0), []string{"raw/year=2026/month=11/day=25/hour="}},
		{"one hour", at(25, 10), at(25, 11), []string{"raw/year=2026/month=11/day=25/hour=10/"}},
		{"10:00 to 19:59", at(25, 10), at(25, 20), []string{"raw/year=2026/month=11/day=25/hour=1"}},
		{"across midnight", at(25, 22), at(26, 2), []string{"raw/year=2026/month=11/day=25/hour=2", "raw/year=2026/month=11/day=26/hour=0"}},
		{"unaligned ends", at(25, 9).Add(30 * time.Minute), at(25, 9).Add(40 * time.Minute), []string{"raw/year=2026/month=11/day=25/hour=09/"}},
		{"empty", at(25, 10), at(25, 10), nil},
	}
	for _, c := range cases {
		got, err := HourPrefixes(stackPrefixes.Raw, firehoseprefix.Values{}, c.from, c.to)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	got, err := HourPrefixes(stackPrefixes.Errors, firehoseprefix.Values{ErrorOutputType: "processing-failed"}, at(30, 23), at(32, 0))
	want := []string{"errors/processing-failed/year=2026/month=11/day=30/hour=23/", "errors/processing-failed/year=2026/month=12/day=01/hour="}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("errors across a month: %q, %v", got, err)
	}
	if _, err := HourPrefixes(stackPrefixes.Errors, firehoseprefix.Values{}, at(25, 0), at(25, 1)); err == nil {
		t.Error("an error prefix without an output type must fail")
	}
}

func TestPrefixesValidate(t *testing.T) {
	if err := stackPrefixes.Validate(); err != nil {
		t.Fatal(err)
	}
	err := Prefixes{Errors: "/errors/", Raw: "raw/!{timestamp:yyyy}/"}.Validate()
	for _, want := range []string{`Errors "/errors/" must be a relative`, `Raw "raw/!{timestamp:yyyy}/" has no hour`, "lacks !{firehose:error-output-type}"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v; want %q", err, want)
		}
	}
}

// Raw records are split at object boundaries, byte for byte; what cannot be split is corrupt.
func TestSplitRaw(t *testing.T) {
	a, b := `{"event_id":"a","n":1.50}`, `{"event_id":"b","s":"}{"}`
	items, err := SplitRaw([]byte(a + b + "\n" + a + " \n"))
	if err != nil || len(items) != 3 || string(items[0].Data) != a || string(items[1].Data) != b || items[2].Ordinal != 3 {
		t.Fatalf("split: %+v, %v", items, err)
	}
	for _, c := range []struct{ name, body, want string }{
		{"truncated", a + `{"event_id":`, "record 2"},
		{"not an object", a + `12`, "record 2 at byte 25 is not a JSON object"},
		{"garbage", `not json`, "record 1"},
	} {
		_, err := SplitRaw([]byte(c.body))
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a corrupt object error with %q", c.name, err, c.want)
		}
	}
	if items, err := SplitRaw(nil); err != nil || len(items) != 0 {
		t.Errorf("empty: %v %v", items, err)
	}
}

// The partition key is the API's; pipeline fields go, everything else stays as it was.
func TestParse(t *testing.T) {
	transformed := `{"event_id":"e1","user_id":"u-7","position_sec":1.50,"attributes":{"k":"v"},"ingested_at":"2026-11-25T10:00:01.000Z","occurred_at":"2026-11-25T10:00:00.000Z"}`
	p := fields.Parse([]byte(transformed))
	want := `{"event_id":"e1","user_id":"u-7","position_sec":1.50,"attributes":{"k":"v"},"occurred_at":"2026-11-25T10:00:00.000Z"}`
	if !p.JSON || p.EventID != "e1" || p.PartitionKey != "u-7" || p.Fallback || string(p.Data) != want || !reflect.DeepEqual(p.Removed, []string{"ingested_at"}) {
		t.Errorf("transformed record: %+v (%s)", p, p.Data)
	}
	if p := fields.Parse([]byte(`{"user_id":42}`)); p.PartitionKey != "42" || p.EventID != "" || p.Fallback {
		t.Errorf("numeric user_id: %+v", p)
	}
	for _, data := range []string{`{"event_id":"e"}`, `{"user_id":""}`, `{"user_id":null}`, `{"user_id":"` + strings.Repeat("é", 257) + `"}`, `not json`, `[1]`, `null`} {
		p := fields.Parse([]byte(data))
		if !p.Fallback || p.PartitionKey != FallbackKey([]byte(data)) || len(p.PartitionKey) != len("sha256:")+32 || string(p.Data) != data {
			t.Errorf("%s: %+v", data, p)
		}
	}
	if p := fields.Parse([]byte(`not json`)); p.JSON {
		t.Error("not JSON read as JSON")
	}
}

// Error objects decode completely or not at all.
func TestDecodeErrorObject(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	good := errorObject(t, firehoserec.ProcessingFailed, "c", "m", at, event("a", "u"), event("b", "u"))
	items, recs, err := DecodeErrorObject(good)
	if err != nil || len(items) != 2 || items[1].Ordinal != 2 || string(items[1].Data) != string(event("b", "u")) || recs[0].ErrorCode != "c" {
		t.Fatalf("decode: %+v %v", items, err)
	}
	for _, c := range []struct{ name, body, want string }{
		{"bad JSON line", string(good) + "{\"rawData\":\n", "record 3"},
		{"bad base64", string(good) + `{"rawData":"%%%"}`, "record 3: line 3: rawData is not standard base64"},
	} {
		_, _, err := DecodeErrorObject([]byte(c.body))
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
	if _, err := gunzip([]byte{0x1f, 0x8b, 1, 2, 3}); err == nil || !strings.Contains(err.Error(), "corrupt object: gzip") {
		t.Errorf("gzip garbage: %v", err)
	}
	if b, err := gunzip(gz(t, good)); err != nil || string(b) != string(good) {
		t.Errorf("gzip: %v", err)
	}
}

func TestNormalizeMessage(t *testing.T) {
	cases := []struct{ a, b string }{
		{"record 49651011286405637148372616052329 failed", "record 49651011286405637148372617000000 failed"},
		{"request 1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014 timed out", "request 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 timed out"},
		{"id 046b6c7f-0b8a-43b9-b35d-6489e6daee91 at 2026-11-25T10:00:00.123Z", "id 7c9e6679-7425-40de-944b-e07fc1f90ae7 at 2026-11-26 11:00:00Z"},
		{"column position_sec (double): value 12.5 below 0", "column  position_sec (double):  value 7 below 0"},
		{`bad value "` + strings.Repeat("x", 40) + `"`, `bad value "` + strings.Repeat("y", 50) + `"`},
	}
	for _, c := range cases {
		if a, b := NormalizeMessage(c.a), NormalizeMessage(c.b); a != b {
			t.Errorf("%q and %q normalise to %q and %q", c.a, c.b, a, b)
		}
	}
	// What names the problem stays.
	if got := NormalizeMessage(`field "user_id" is required; deadbeef`); got != `field "user_id" is required; deadbeef` {
		t.Errorf("identifiers: %q", got)
	}
	if a, b := NormalizeMessage(`field "user_id" is required`), NormalizeMessage(`field "event_id" is required`); a == b {
		t.Error("different fields must not group together")
	}
	if got := NormalizeMessage(strings.Repeat("é", 300)); len([]rune(got)) != maxMessage {
		t.Errorf("long message: %d characters", len([]rune(got)))
	}
}

func TestRanges(t *testing.T) {
	set := []bool{false, true, true, false, true, false, true, true, true}
	r := RangesOf(set)
	if want := (Ranges{{1, 2}, {4, 4}, {6, 8}}); !reflect.DeepEqual(r, want) || r.Count() != 6 {
		t.Fatalf("ranges %v", r)
	}
	back, err := r.Set(8)
	if err != nil || !reflect.DeepEqual(back, set) {
		t.Errorf("set: %v %v", back, err)
	}
	if _, err := r.Set(7); err == nil {
		t.Error("a range beyond the object must fail")
	}
	if len(RangesOf(make([]bool, 4))) != 0 || RangesOf(nil) == nil {
		t.Error("no ordinals: empty, not nil")
	}
}

// A format-conversion-failed record carries the transform's output. Sent again as redrive
// sends it (pipeline fields removed), the real transform accepts it and produces the same row
// with the new arrival time; with ingested_at left in, it would fail again.
func TestRedrivenTransformOutputPassesTheTransform(t *testing.T) {
	tr, err := transform.New(schema.Default(), transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC)
	later := first.Add(48 * time.Hour)
	for _, src := range []string{
		`{"event_id":"e1","event_type":"progress","user_id":"u","occurred_at":"2026-11-25T11:00:00+01:00","position_sec":12.50,"device":"tv","n":[1]}`,
		`{"event_id":"e2","event_type":"play","user_id":"u","occurred_at":1795604400,"attributes":{"a":"b"}}`,
	} {
		out, err := tr.TransformRecord([]byte(src), first)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := tr.TransformRecord(out.JSON, later); err == nil {
			t.Fatalf("the transform accepts its own ingested_at: removing it proves nothing")
		}
		p := fields.Parse(out.JSON)
		again, err := tr.TransformRecord(p.Data, later)
		if err != nil {
			t.Fatalf("redriven %s: %v", p.Data, err)
		}
		stamp := func(b []byte, at time.Time) string {
			return strings.Replace(string(b), at.Format(schema.TimestampLayout), "<ingested>", 1)
		}
		if stamp(again.JSON, later) != stamp(out.JSON, first) || !reflect.DeepEqual(again.PartitionKeys, out.PartitionKeys) {
			t.Errorf("row changed:\n first %s\n again %s", out.JSON, again.JSON)
		}
	}
}
