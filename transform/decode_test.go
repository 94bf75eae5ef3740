package transform

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzDecodeEvent holds the fast invocation decoder to encoding/json: whenever it decodes a
// payload, the result is what json.Unmarshal gives, and it never accepts what json.Unmarshal
// rejects.
func FuzzDecodeEvent(f *testing.F) {
	if golden, err := os.ReadFile("testdata/firehose-kinesis-batch.json"); err == nil {
		f.Add(golden)
	}
	for _, s := range []string{
		`{"invocationId":"i","records":[]}`,
		`{"records":null}`,
		`{}`,
		`{"records":[{"recordId":"r","data":"","approximateArrivalTimestamp":-1507217624302}]}`,
		`{"records":[{"recordId":"r\u00e9\/","data":"SGVs\/bG8=","kinesisRecordMetadata":{"subsequenceNumber":9223372036854775807,"x":[1,{}]}}],"extra":true}`,
		`{"Records":[{"recordid":"r"}]}`,
		`{"records":[{"recordId":"a","recordId":"b"}]}`,
		`{"records":[{"data":"SGVsbG8"}]}`,
		`{"records":[{"data":"SGVs\r\nbG8="}]}`,
		`{"records":[{"approximateArrivalTimestamp":1.5}]}`,
		`{"records":[{"approximateArrivalTimestamp":null}]}`,
		`{"region":"\ud800"}`,
		`{"region":"eu"} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var want events.KinesisFirehoseEvent
		werr := json.Unmarshal(payload, &want)
		var got events.KinesisFirehoseEvent
		d := new(decoder)
		if !d.decode(payload, &got) {
			return // left to encoding/json
		}
		if werr != nil {
			t.Fatalf("decoded what encoding/json rejects (%v): %q", werr, payload)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("payload %q\ngot  %#v\nwant %#v", payload, got, want)
		}
	})
}

func TestDecodeEventFallback(t *testing.T) {
	for _, p := range []string{`{"Records":[{"RecordId":"r","Data":"eA=="}]}`, `{"records":[{"recordId":"\ud800"}]}`} {
		var got, want events.KinesisFirehoseEvent
		if err := decodeEvent([]byte(p), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(p), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(got.Records) != 1 {
			t.Fatalf("%s: got %#v want %#v", p, got, want)
		}
	}
	var ev events.KinesisFirehoseEvent
	if err := decodeEvent([]byte(`{"records":[{"data":"%%%"}]}`), &ev); err == nil {
		t.Fatal("bad base64 decoded")
	}
}
