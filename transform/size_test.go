package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

// The size model. An invocation Firehose sends satisfies
//
//	(D) the records' data totals at most the processor buffer, BufferSizeInMBs MiB, and
//	(R) the invocation payload is at most Lambda's 6 MB request limit. Each record in it
//	    carries at least requestFixed bytes besides its id and base64 data (Kinesis source:
//	    arrival time, shard id, partition key, sequence number), counted with one-digit
//	    sequence numbers although real ones have 56 digits.
//
// The response for a batch is the sum of its records' answers, and each record's answer
// depends only on that record, so the worst response is a linear program over record kinds:
// maximize sum x_k*resp_k subject to sum x_k*data_k <= D and sum x_k*req_k <= R, x_k >= 0
// (the real, integral batches are among its solutions, so its optimum bounds them). The
// optimum lies on a vertex using at most two kinds; worstResponse enumerates them. The kinds
// are the extremes of the per-record bound out <= 2*in + maxFixedGrowth, which FuzzTransform
// checks for every accepted record: the smallest valid record, which grows the most per byte
// (ingested_at, a normalized occurred_at from "1e9", partition keys, base64), records of
// escape-heavy kept values, which double, and empty or one-byte records, which cost the most
// envelope per byte and come back ProcessingFailed.
//
// The claim: with record ids up to idRealistic bytes (Firehose's are 56-62) the worst case
// stays below margin of MaxResponseBytes, and with ids up to idGenerous bytes it still fits.
const (
	maxKinesisRecord = 1 << 20
	idRealistic      = 64
	idGenerous       = 128
	// margin is the share of MaxResponseBytes the realistic worst case must stay below.
	margin = 0.95
)

// kind is one record shape with its sizes in bytes.
type kind struct {
	name            string
	sample          []byte
	data, req, resp float64
}

// requestFixed is the smallest Kinesis-source record envelope in an invocation, without its
// quoted id and base64 data: the documented shape, marshaled with minimal values.
func requestFixed(t *testing.T) int {
	r := events.KinesisFirehoseEventRecord{RecordID: "", Data: []byte{}}
	r.ApproximateArrivalTimestamp.Time = arrival
	r.KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{ShardID: "shardId-000000000000", PartitionKey: "x", SequenceNumber: "1"}
	r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = arrival
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return len(b) - len(`""`) // the empty id's quotes are counted with the id
}

// escapeHeavy builds a valid record of about n bytes whose kept unknown values consist of
// backslash escapes, so escaping them doubles their size; each value stays within the extras
// map's MaxLength.
func escapeHeavy(t *testing.T, n int) []byte {
	maxLen := schemaField(t, "attributes").MaxLength
	val := `["` + strings.Repeat(`\\`, (maxLen-4)/2) + `"]`
	var b strings.Builder
	b.WriteString(string(event()))
	rec := []byte(b.String())
	rec = rec[:len(rec)-1]
	for i := 0; len(rec)+len(val)+12 < n; i++ {
		rec = fmt.Appendf(rec, `,"k%d":%s`, i, val)
	}
	return append(rec, '}')
}

// measure answers a record alone and returns the bytes of its answer (one comma included)
// and whether it was Ok.
func measure(t *testing.T, tr *Transformer, id string, data []byte) (int, bool) {
	ev := &events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{{RecordID: id, Data: data}}}
	ev.Records[0].ApproximateArrivalTimestamp.Time = arrival
	resp, st, err := tr.Transform(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return len(resp) - len(respOpen) - len(respClose) + 1, st.OK == 1
}

// kinds returns the record kinds for one record id length.
func kinds(t *testing.T, tr *Transformer, idLen int) []kind {
	id := strings.Repeat("4", idLen)
	fixed := float64(requestFixed(t) + quotedLen(id) + 1) // + the comma between records
	b64len := func(n int) float64 { return float64(b64.EncodedLen(n)) }
	var ks []kind
	add := func(name string, data []byte, wantOK bool) {
		resp, ok := measure(t, tr, id, data)
		if ok != wantOK {
			t.Fatalf("%s: ok=%v", name, ok)
		}
		ks = append(ks, kind{name, data, float64(len(data)), fixed + b64len(len(data)), float64(resp)})
	}
	minimal := []byte(`{"event_id":"a","event_type":"a","user_id":"a","occurred_at":1e9}`)
	add("minimal valid", minimal, true)
	add("typical valid", event(`"content_id":"course-17/video-3"`, `"session_id":"s-77f1"`, `"position_sec":754.5`, `"watched_sec":30`, `"attributes":{"player":"web"}`), true)
	add("escape-heavy 1 MiB", escapeHeavy(t, maxKinesisRecord), true)
	add("escape-heavy 4 KiB", escapeHeavy(t, 4096), true)
	add("empty, failed", nil, false)
	add("1 byte, failed", []byte("x"), false)
	return ks
}

// mix is a solution of the linear program: how many records of which kinds.
type mix struct {
	counts []float64
	kinds  []kind
	resp   float64
}

func (m mix) String() string {
	var parts []string
	for i, k := range m.kinds {
		parts = append(parts, fmt.Sprintf("%.1f x %s", m.counts[i], k.name))
	}
	return strings.Join(parts, " + ")
}

// worstResponse solves the linear program for data budget d and request budget r; the
// response includes its envelope.
func worstResponse(ks []kind, d, r float64) mix {
	var best mix
	try := func(m mix) {
		if m.resp > best.resp {
			best = m
		}
	}
	for _, k := range ks {
		x := r / k.req
		if k.data > 0 {
			x = min(x, d/k.data)
		}
		try(mix{[]float64{x}, []kind{k}, x * k.resp})
	}
	for i, a := range ks {
		for _, b := range ks[i+1:] {
			det := a.data*b.req - b.data*a.req
			if det == 0 {
				continue
			}
			xa := (d*b.req - b.data*r) / det
			xb := (a.data*r - d*a.req) / det
			if xa >= 0 && xb >= 0 {
				try(mix{[]float64{xa, xb}, []kind{a, b}, xa*a.resp + xb*b.resp})
			}
		}
	}
	best.resp += float64(len(respOpen) + len(respClose))
	return best
}

// requestBudget is Lambda's request limit less the invocation's own envelope.
var requestBudget = float64(MaxResponseBytes - len(`{"invocationId":"","deliveryStreamArn":"","region":"","records":[]}`))

// provenBufferMiB returns the largest buffer on a 0.1 MiB grid for which the claim holds.
func provenBufferMiB(t *testing.T, tr *Transformer) float64 {
	realistic, generous := kinds(t, tr, idRealistic), kinds(t, tr, idGenerous)
	proven := 0.0
	for tenths := 2; tenths <= 30; tenths++ {
		b := float64(tenths) / 10
		d := b * (1 << 20)
		w1 := worstResponse(realistic, d, requestBudget)
		w2 := worstResponse(generous, d, requestBudget)
		t.Logf("buffer %.1f MiB: worst %.1f%% of %d with %d-byte ids (%v), %.1f%% with %d-byte ids",
			b, 100*w1.resp/MaxResponseBytes, MaxResponseBytes, idRealistic, w1, 100*w2.resp/MaxResponseBytes, idGenerous)
		if w1.resp > margin*MaxResponseBytes || w2.resp > MaxResponseBytes {
			break
		}
		proven = b
	}
	return proven
}

// TestSafeProcessorBuffer proves SafeProcessorBufferMiB under the model above and shows the
// next 0.1 MiB is not proven. Keep mode is the worst: reject answers records with unknown
// fields ProcessingFailed with their own data, which never grows.
func TestSafeProcessorBuffer(t *testing.T) {
	got := provenBufferMiB(t, newTransformer(t, Options{}))
	if got < awsMinProcessorBufferMiB {
		t.Fatalf("no processor buffer is safe")
	}
	if got != SafeProcessorBufferMiB {
		t.Fatalf("the model proves %.1f MiB, SafeProcessorBufferMiB is %g: update it (and docs/schema.md)", got, SafeProcessorBufferMiB)
	}
}

// awsMinProcessorBufferMiB is the smallest BufferSizeInMBs Firehose accepts.
const awsMinProcessorBufferMiB = 0.2

// TestWorstCaseBatch materializes the model's worst case at SafeProcessorBufferMiB with
// realistic ids as a real invocation payload, runs it through Invoke and checks every answer
// and the response size.
func TestWorstCaseBatch(t *testing.T) {
	tr := newTransformer(t, Options{})
	budget := SafeProcessorBufferMiB * (1 << 20)
	worst := worstResponse(kinds(t, tr, idRealistic), budget, requestBudget)
	ev := events.KinesisFirehoseEvent{InvocationID: "worst", Region: "eu-central-1"}
	data := 0
	for i, k := range worst.kinds {
		for range int(worst.counts[i]) {
			n := len(ev.Records)
			r := events.KinesisFirehoseEventRecord{RecordID: fmt.Sprintf("%0*d", idRealistic, n), Data: k.sample}
			r.ApproximateArrivalTimestamp.Time = arrival
			r.KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{ShardID: "shardId-000000000000", PartitionKey: "a", SequenceNumber: "1"}
			r.KinesisFirehoseRecordMetadata.ApproximateArrivalTimestamp.Time = arrival
			ev.Records = append(ev.Records, r)
			data += len(k.sample)
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if float64(data) > budget || len(payload) > MaxResponseBytes {
		t.Fatalf("the batch breaks the model: %d data bytes, %d request bytes", data, len(payload))
	}
	resp, err := tr.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := firehosecheck.Response(schema.Default(), &ev, resp)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if want := len(r.Data) > 1; (r.Result == events.KinesisFirehoseTransformedStateOk) != want {
			t.Fatalf("record %d: %s", i, r.Result)
		}
	}
	t.Logf("%s: %d records, %d data bytes, request %d bytes, response %d bytes (%.1f%% of %d; model %.0f)",
		worst, len(ev.Records), data, len(payload), len(resp), 100*float64(len(resp))/MaxResponseBytes, MaxResponseBytes, worst.resp)
	if float64(len(resp)) > worst.resp || float64(len(resp)) > margin*MaxResponseBytes {
		t.Fatalf("response %d bytes: above the model's %.0f or %.0f%% of the limit", len(resp), worst.resp, 100*margin)
	}
}

// TestResponseBudget sends what a 3 MiB buffer allows: three escape-heavy 1 MiB records and
// small ones (a request Lambda accepts) whose Ok answers would need about 8 MB. Records that
// do not fit are answered ProcessingFailed with their data, every record is answered, and the
// response stays within MaxResponseBytes.
func TestResponseBudget(t *testing.T) {
	tr := newTransformer(t, Options{})
	heavy := escapeHeavy(t, maxKinesisRecord)
	ev := &events.KinesisFirehoseEvent{}
	for i, d := range [][]byte{heavy, event(), heavy, heavy, event()} {
		r := events.KinesisFirehoseEventRecord{RecordID: fmt.Sprintf("id-%d", i), Data: d}
		r.ApproximateArrivalTimestamp.Time = arrival
		ev.Records = append(ev.Records, r)
	}
	payload, _ := json.Marshal(ev)
	resp, err := tr.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp) > MaxResponseBytes {
		t.Fatalf("response %d bytes", len(resp))
	}
	res, err := firehosecheck.Response(schema.Default(), ev, resp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.Result)
	}
	// The first heavy record fits; the later ones would not leave room for the rest.
	want := []string{"Ok", "Ok", "ProcessingFailed", "ProcessingFailed", "Ok"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("results %v, want %v", got, want)
	}
	t.Logf("request %d bytes, response %d bytes", len(payload), len(resp))

	// A batch whose failed answers alone exceed the limit cannot be answered at all.
	big := &events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{{RecordID: "x", Data: make([]byte, MaxResponseBytes)}}}
	if _, _, err := tr.Transform(context.Background(), big); err == nil {
		t.Fatal("an unanswerable batch was answered")
	}
}
