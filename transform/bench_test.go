package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/schema"
)

// realisticRecord is a ~300-byte progress event as the web player sends it, with two unknown
// fields kept in attributes.
func realisticRecord(i int) []byte {
	at := arrival.Add(-time.Duration(i%600) * time.Second).In(time.FixedZone("", 2*3600))
	return fmt.Appendf(nil, `{"event_id":"0b9f6a52-1c1e-4a57-9d0c-%012d","event_type":"progress","user_id":"u-%07d",`+
		`"occurred_at":"%s","content_id":"course-%d/video-%d","session_id":"s-%08x","position_sec":%d.5,"watched_sec":30,`+
		`"attributes":{"player":"web","quality":"1080p"},"app_version":"5.2.1","locale":"de-DE"}`,
		i, i%9999991, at.Format("2006-01-02T15:04:05.000-07:00"), i%97, i%13, i*7919, i%3600)
}

// benchBatch builds an invocation of realistic records holding at most maxData bytes of data,
// or n records when maxData is 0.
func benchBatch(n, maxData int) (*events.KinesisFirehoseEvent, []byte, int) {
	ev := &events.KinesisFirehoseEvent{InvocationID: "bench", Region: "eu-central-1"}
	data := 0
	for i := 0; maxData == 0 && i < n || maxData > 0; i++ {
		d := realisticRecord(i)
		if maxData > 0 && data+len(d) > maxData {
			break
		}
		r := events.KinesisFirehoseEventRecord{RecordID: fmt.Sprintf("4965101128640563714837261605232892976648931151648319%010d", i), Data: d}
		r.ApproximateArrivalTimestamp.Time = arrival
		r.KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{
			ShardID: "shardId-000000000003", PartitionKey: fmt.Sprintf("u-%07d", i%9999991),
			SequenceNumber: fmt.Sprintf("4965101128640563714837261605232892976648931151648319%04d", i%10000),
		}
		r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = arrival
		ev.Records = append(ev.Records, r)
		data += len(d)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return ev, payload, data
}

// meter holds what report compares at the end of a benchmark: allocations, and the process's
// CPU time, which waiting for a core on a shared machine does not inflate as it does the
// wall clock (ns/op).
type meter struct {
	mem runtime.MemStats
	cpu time.Duration
}

func startMeter() *meter {
	m := &meter{cpu: processCPU()}
	runtime.ReadMemStats(&m.mem)
	return m
}

// report adds allocations, time and CPU time per record to the benchmark's output.
func (m *meter) report(b *testing.B, records int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(records)
	b.ReportMetric(float64(after.Mallocs-m.mem.Mallocs)/n, "allocs/record")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	if cpu := processCPU(); cpu > 0 {
		b.ReportMetric(float64((cpu-m.cpu).Nanoseconds())/n, "cpu-ns/record")
	}
}

func benchTransform(b *testing.B, ev *events.KinesisFirehoseEvent, data int) {
	tr := newTransformer(b, Options{})
	if _, st, _ := tr.Transform(context.Background(), ev); st.OK != len(ev.Records) {
		b.Fatalf("stats %+v", st)
	}
	b.SetBytes(int64(data))
	b.ReportAllocs()
	m := startMeter()
	for b.Loop() {
		if _, _, err := tr.Transform(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, len(ev.Records))
}

func benchInvoke(b *testing.B, payload []byte, records, data int) {
	tr := newTransformer(b, Options{})
	b.SetBytes(int64(data))
	b.ReportAllocs()
	m := startMeter()
	for b.Loop() {
		if _, err := tr.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, records)
}

// BenchmarkTransform measures the transform proper (decoded event in, response bytes out);
// bytes/s are of record data.
func BenchmarkTransform(b *testing.B) {
	b.Run("500x300B", func(b *testing.B) {
		ev, _, data := benchBatch(500, 0)
		benchTransform(b, ev, data)
	})
	b.Run("max", func(b *testing.B) {
		ev, _, data := benchBatch(0, int(SafeProcessorBufferMiB*(1<<20)))
		benchTransform(b, ev, data)
	})
}

// BenchmarkInvoke measures what one Lambda invocation costs: decoding the invocation
// payload (decodeEvent, which leaves only unusual payloads to encoding/json) and the
// transform; bytes/s are of record data.
func BenchmarkInvoke(b *testing.B) {
	b.Run("500x300B", func(b *testing.B) {
		ev, payload, data := benchBatch(500, 0)
		benchInvoke(b, payload, len(ev.Records), data)
	})
	b.Run("max", func(b *testing.B) {
		ev, payload, data := benchBatch(0, int(SafeProcessorBufferMiB*(1<<20)))
		benchInvoke(b, payload, len(ev.Records), data)
	})
}

// BenchmarkParseEpoch is why parseEpoch moves a decimal point over the token's digits rather
// than using math/big (bigEpoch), the obvious exact way. On 2 shared cores (go1.26, -cpu 1,
// -count 6, medians):
//
//	typical (1714564799.123456): decimal 42 ns, 0 allocs; math/big 1.07 µs, 33 allocs (26x)
//	100 KB of fraction digits:   decimal 25 µs;           math/big 12.1 ms (480x, and
//	                             superlinear: a 1 MB token, which a record may hold, takes 1.5 s)
//
// Both are exact; a microsecond per record, and seconds for one hostile record, rule math/big
// out of the hot path.
func BenchmarkParseEpoch(b *testing.B) {
	for _, tc := range []struct{ name, tok string }{
		{"typical", "1714564799.123456"},
		{"100KB", "1714564799.123" + strings.Repeat("4", 100_000)},
	} {
		b.Run(tc.name+"/decimal", func(b *testing.B) {
			tok := []byte(tc.tok)
			b.ReportAllocs()
			for b.Loop() {
				if ms, ok := parseEpoch(tok); !ok || ms != 1714564799123 {
					b.Fatal(ms, ok)
				}
			}
		})
		b.Run(tc.name+"/math-big", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ms, ok := bigEpoch(tc.tok); !ok || ms != 1714564799123 {
					b.Fatal(ms, ok)
				}
			}
		})
	}
}

// BenchmarkAppendTimestamp is why appendTimestamp puts digits in a template rather than
// calling time.Time.AppendFormat (both take the calendar from the time package): 28 ns
// against 104 ns (3.7x; 2 shared cores, go1.26, -cpu 1, -count 6, medians). Every Ok record
// formats its event time (its partition keys are cut from that text), and its arrival when
// that changed; with AppendFormat there, and for the four partition keys, the transform
// spent 13% more CPU per record and Invoke lost more than the 15% it may.
func BenchmarkAppendTimestamp(b *testing.B) {
	const ms = 1714564799123
	buf := make([]byte, 0, 32)
	b.Run("template", func(b *testing.B) {
		for b.Loop() {
			buf = appendTimestamp(buf[:0], ms)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		for b.Loop() {
			buf = time.UnixMilli(ms).UTC().AppendFormat(buf[:0], schema.TimestampLayout)
		}
	})
	if string(buf) != "2024-05-01T11:59:59.123Z" {
		b.Fatal(string(buf))
	}
}

// BenchmarkParseRFC3339 measures the price of parsing with the time package (parseRFC3339)
// rather than by hand (legacyParseRFC3339, the code it replaced): about 2x per call (57
// against 29 ns with an offset, 58 against 38 with a long fraction and z; 2 shared cores,
// go1.26, -cpu 1, -count 6), some 7% of the transform's CPU per record. Accepted: no
// hand-written calendar to maintain, and Invoke stays within its 15%.
func BenchmarkParseRFC3339(b *testing.B) {
	for _, s := range []string{"2024-05-01T13:59:59.123+02:00", "2024-05-01 11:59:59.123456z"} {
		ts := []byte(s)
		want, _ := legacyParseRFC3339(ts)
		b.Run("time/"+s[19:], func(b *testing.B) {
			for b.Loop() {
				if ms, ok := parseRFC3339(ts); !ok || ms != want {
					b.Fatal(ms, ok)
				}
			}
		})
		b.Run("hand-written/"+s[19:], func(b *testing.B) {
			for b.Loop() {
				if ms, ok := legacyParseRFC3339(ts); !ok || ms != want {
					b.Fatal(ms, ok)
				}
			}
		})
	}
}
