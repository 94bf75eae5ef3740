package firehoserec

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

var (
	arrival = time.Date(2024, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	ended   = arrival.Add(95 * time.Second)
	raw     = []byte(`{"event_id":"e-1","occurred_at":"2099-01-01T00:00:00Z"}` + "\n\x00\xff")
)

func processing() Record {
	return Record{AttemptsMade: 4, ArrivalTimestamp: arrival, ErrorCode: CodeProcessingFailedStatus,
		ErrorMessage: MessageProcessingFailedStatus, AttemptEndingTimestamp: ended, RawData: raw,
		LambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:streamlake-dev-transform:$LATEST"}
}

func conversion() Record {
	return Record{AttemptsMade: 1, ArrivalTimestamp: arrival, ErrorCode: CodeMalformedData,
		ErrorMessage: "column position_sec (double): \"abc\" is not a number", AttemptEndingTimestamp: ended, RawData: raw,
		SequenceNumber: "49651011286405637148372616052329", SubSequenceNumber: 0,
		DataCatalogTable: &DataCatalogTable{CatalogID: "123456789012", DatabaseName: "streamlake_dev", TableName: "events",
			Region: "eu-west-1", VersionID: "LATEST", CatalogArn: "arn:aws:glue:eu-west-1:123456789012:catalog"}}
}

var keyRE = regexp.MustCompile(`"(\w+)"\s*:`)

func keys(b []byte) []string {
	var out []string
	for _, m := range keyRE.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// The writer produces exactly the keys, in the order, of AWS's documented formats.
func TestDocumentedKeys(t *testing.T) {
	for _, c := range []struct {
		fixture, outputType string
		r                   Record
	}{
		{"aws-processing-failed.json", ProcessingFailed, processing()},
		{"aws-format-conversion-failed.txt", FormatConversionFailed, conversion()},
	} {
		doc, err := os.ReadFile("testdata/" + c.fixture)
		if err != nil {
			t.Fatal(err)
		}
		line, err := Append(nil, c.outputType, c.r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Errorf("%s: not one line: %q", c.outputType, line)
		}
		if got, want := keys(line), keys(doc); !reflect.DeepEqual(got, want) {
			t.Errorf("%s keys\n got %v\nwant %v (%s)", c.outputType, got, want, c.fixture)
		}
	}
}

// AWS's processing-failed example decodes as it stands: its placeholders are not numbers and
// "data" happens to be base64.
func TestDecodeDocumentedExample(t *testing.T) {
	doc, err := os.ReadFile("testdata/aws-processing-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{ErrorCode: "code", ErrorMessage: "message", RawData: []byte{0x75, 0xab, 0x5a}, LambdaArn: "arn"}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}

func TestRoundTrip(t *testing.T) {
	var obj []byte
	var err error
	if obj, err = Append(obj, ProcessingFailed, processing()); err != nil {
		t.Fatal(err)
	}
	if obj, err = Append(obj, FormatConversionFailed, conversion()); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(nil, "splunk-failed", processing()); err == nil || !strings.Contains(err.Error(), "splunk-failed") {
		t.Errorf("unknown output type: %v", err)
	}
	r := NewReader(bytes.NewReader(obj))
	want := []Record{processing(), conversion()}
	want[0].ArrivalTimestamp = arrival.Truncate(time.Millisecond)
	for i := range want {
		got, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("end: %v", err)
	}
	// An empty record is "rawData":"", not null, and reads back empty.
	line, _ := Append(nil, ProcessingFailed, Record{})
	if !bytes.Contains(line, []byte(`"rawData":""`)) || !bytes.Contains(line, []byte(`"arrivalTimestamp":0`)) {
		t.Errorf("empty record: %s", line)
	}
	if got, err := Decode(line); err != nil || len(got.RawData) != 0 || !got.ArrivalTimestamp.IsZero() {
		t.Errorf("empty record back: %+v %v", got, err)
	}
}

// Reading accepts the spellings AWS's pages and real objects use.
func TestDecodeTolerant(t *testing.T) {
	data := "eyJhIjoxfQ==" // {"a":1}
	cases := []struct {
		name, line string
		want       Record
	}{
		{"current page spelling", `{"attemptsMade":1,"arrivalTimestamp":1714564800123,"ErrorCode":"DataFormatConversion.MalformedData","ErrorMessage":"m","attemptEndingTimestamp":1714564800200,"rawData":"` + data + `","sequenceNumber":"1","subSequenceNumber":2,"dataCatalogTable":{"databaseName":"d","tableName":"t"}}`,
			Record{AttemptsMade: 1, ArrivalTimestamp: time.UnixMilli(1714564800123).UTC(), ErrorCode: "DataFormatConversion.MalformedData", ErrorMessage: "m",
				AttemptEndingTimestamp: time.UnixMilli(1714564800200).UTC(), RawData: []byte(`{"a":1}`), SequenceNumber: "1", SubSequenceNumber: 2,
				DataCatalogTable: &DataCatalogTable{DatabaseName: "d", TableName: "t"}}},
		{"lambdaARN, numeric strings, unknown keys", `{"rawData":"` + data + `","errorCode":"Lambda.FunctionError","errorMessage":"e","attemptsMade":"4","arrivalTimestamp":"1741088912364","attemptEndingTimestamp":1741089007666,"lambdaARN":"arn:x","newField":{"x":[1]}}`,
			Record{AttemptsMade: 4, ArrivalTimestamp: time.UnixMilli(1741088912364).UTC(), ErrorCode: "Lambda.FunctionError", ErrorMessage: "e",
				AttemptEndingTimestamp: time.UnixMilli(1741089007666).UTC(), RawData: []byte(`{"a":1}`), LambdaArn: "arn:x"}},
		{"nulls", `{"rawData":"","attemptsMade":null,"errorCode":null,"lastErrorCode":"c"}`, Record{RawData: []byte{}, ErrorCode: "c"}},
	}
	for _, c := range cases {
		got, err := Decode([]byte("  " + c.line + "\r\n"))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// rawData is what a redrive sends again, so it must be exactly standard base64.
func TestDecodeStrict(t *testing.T) {
	cases := []struct{ name, line, want string }{
		{"missing", `{"errorCode":"x"}`, "rawData is missing"},
		{"null", `{"rawData":null}`, "rawData is missing"},
		{"line break", `{"rawData":"eyJh\nIjoxfQ=="}`, "line break"},
		{"unpadded", `{"rawData":"eyJhIjoxfQ"}`, "not standard base64"},
		{"url alphabet", `{"rawData":"eyJh_joxfQ=="}`, "not standard base64"},
		{"trailing bits", `{"rawData":"eyJhIjoxfR=="}`, "not standard base64"},
		{"not a string", `{"rawData":12}`, "not an error record object"},
		{"bad number", `{"rawData":"","attemptsMade":1.5}`, "not an error record object"},
		{"not an object", `["rawData"]`, "not an error record object"},
		{"two objects", `{"rawData":""}{"rawData":""}`, "data after"},
	}
	for _, c := range cases {
		if got, err := Decode([]byte(c.line)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %+v, %v; want an error with %q", c.name, got, err, c.want)
		}
	}
}

// A bad line is reported with its number and reading goes on; blank lines are skipped.
func TestReaderLines(t *testing.T) {
	ok, _ := Append(nil, ProcessingFailed, processing())
	obj := string(ok) + "\n" + `{"rawData":"%%%"}` + "\n" + string(ok)
	r := NewReader(strings.NewReader(obj))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "line 3: rawData") {
		t.Fatalf("bad line: %v", err)
	}
	if got, err := r.Next(); err != nil || !bytes.Equal(got.RawData, raw) {
		t.Fatalf("after the bad line: %v", err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	long := NewReader(strings.NewReader(string(ok) + strings.Repeat("x", MaxLineBytes+1)))
	if _, err := long.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := long.Next(); err == nil || errors.As(err, &le) || !strings.Contains(err.Error(), "line 2: longer than") {
		t.Fatalf("long line: %v", err)
	}
}

// Error objects land where the stack's error prefix puts them.
func TestObjectKey(t *testing.T) {
	p := lakelayout.DeliveryPrefixes(schema.Default(), lakelayout.EventTime)
	name := firehoseprefix.ObjectName("streamlake-dev-delivery", 1, arrival, "u")
	got, err := ObjectKey(p.Errors, ProcessingFailed, arrival, name)
	if want := "errors/processing-failed/year=2024/month=05/day=01/hour=12/streamlake-dev-delivery-1-2024-05-01-12-00-00-u"; err != nil || got != want {
		t.Errorf("ObjectKey = %q, %v; want %q", got, err, want)
	}
	if _, err := ObjectKey(p.Errors, "", arrival, name); err == nil {
		t.Error("no output type must fail")
	}
}
