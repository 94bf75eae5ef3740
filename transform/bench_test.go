package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// reportPerRecord adds allocations and time per record to the benchmark's output.
func reportPerRecord(b *testing.B, records int, before *runtime.MemStats) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(records)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
}

func benchTransform(b *testing.B, ev *events.KinesisFirehoseEvent, data int) {
	tr := newTransformer(b, Options{})
	if _, st, _ := tr.Transform(context.Background(), ev); st.OK != len(ev.Records) {
		b.Fatalf("stats %+v", st)
	}
	b.SetBytes(int64(data))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := tr.Transform(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRecord(b, len(ev.Records), &before)
}

func benchInvoke(b *testing.B, payload []byte, records, data int) {
	tr := newTransformer(b, Options{})
	b.SetBytes(int64(data))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRecord(b, records, &before)
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
// payload with encoding/json and the transform; bytes/s are of record data.
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
