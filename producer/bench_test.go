package producer_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/producer"
)

// rtt is the per-request delay of the "network" variants: a conservative round trip to
// Kinesis from inside its region (producers elsewhere see more, which favours batching more).
const rtt = 5 * time.Millisecond

// putEvents sends n generated events to stream over one request at a time (concurrency 1),
// one PutRecord each or in PutRecords batches, and returns how long it took.
func putEvents(tb testing.TB, client *kinesis.Client, stream string, n int, oneByOne bool) time.Duration {
	tb.Helper()
	g := newGenerator(tb, producer.GeneratorOptions{Seed: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	sum, err := producer.Run(ctx, g, &producer.KinesisPutter{Client: client, Stream: stream, OneByOne: oneByOne},
		producer.RunOptions{Count: n, Concurrency: 1, Retry: fastRetry})
	el := time.Since(start)
	if err != nil || sum.Delivered != n {
		tb.Fatalf("delivered %d of %d: %v", sum.Delivered, n, err)
	}
	return el
}

// benchStream starts kinesalite with a 2-shard stream and returns a client straight to it
// and one through a proxy that adds rtt to every request.
func benchStream(tb testing.TB, stream string) (loopback, network *kinesis.Client) {
	endpoint := testenv.Kinesalite(tb)
	loopback = testenv.KinesisClient(endpoint)
	testenv.CreateStream(tb, loopback, stream, 2)
	proxy := testenv.NewFaultProxy(tb, endpoint, testenv.Faults{Delay: rtt}, 1)
	return loopback, testenv.KinesisClient(proxy.URL)
}

// BenchmarkKinesisPut compares PutRecords batches with one PutRecord per event on one
// kinesalite stream, on loopback and with a 5 ms round trip added; an op is one event:
//
//	go test ./producer -run '^$' -bench KinesisPut -benchtime 2000x -count 5 | benchstat -
func BenchmarkKinesisPut(b *testing.B) {
	loopback, network := benchStream(b, "bench")
	for _, c := range []struct {
		name     string
		client   *kinesis.Client
		oneByOne bool
	}{
		{"loopback/PutRecords", loopback, false},
		{"loopback/PutRecord", loopback, true},
		{"rtt5ms/PutRecords", network, false},
		{"rtt5ms/PutRecord", network, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			el := putEvents(b, c.client, "bench", b.N, c.oneByOne)
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
		})
	}
}

// TestBatchingSpeedup runs the comparison of BenchmarkKinesisPut once and prints the ratios:
//
//	go test ./producer -run TestBatchingSpeedup -v
//
// On loopback the ratio is bounded by kinesalite itself, which spends tens of microseconds of
// single-threaded JavaScript per record (BigNumber hash keys, sequence numbers), so a batch
// cannot be much cheaper per record than a single put; it is reported, and must show batching
// winning. With a 5 ms round trip, as against real Kinesis, the goal is 20x (an idle machine
// measures 70-100x); the test fails below 10x, because a heavily loaded machine starves
// kinesalite's per-record work and shrinks the ratio without anything being wrong.
func TestBatchingSpeedup(t *testing.T) {
	loopback, network := benchStream(t, "speedup")
	putEvents(t, loopback, "speedup", 1000, false) // warm up connections and kinesalite's JIT
	putEvents(t, loopback, "speedup", 200, true)

	measure := func(name string, client *kinesis.Client, nBatched, nSingle int) float64 {
		batched := putEvents(t, client, "speedup", nBatched, false)
		single := putEvents(t, client, "speedup", nSingle, true)
		bRate, sRate := float64(nBatched)/batched.Seconds(), float64(nSingle)/single.Seconds()
		msg := fmt.Sprintf("batching speedup, kinesalite %s, concurrency 1: PutRecords %.0f events/s (%d in %s), PutRecord %.0f events/s (%d in %s): %.1fx",
			name, bRate, nBatched, batched.Round(time.Millisecond), sRate, nSingle, single.Round(time.Millisecond), bRate/sRate)
		t.Log(msg)
		fmt.Fprintln(os.Stderr, msg)
		return bRate / sRate
	}
	// A shared machine's load makes one measurement noisy: the best of up to three counts.
	best := func(name string, client *kinesis.Client, nBatched, nSingle int, goal float64) float64 {
		r := 0.0
		for try := 0; try < 3 && r < goal; try++ {
			r = max(r, measure(name, client, nBatched, nSingle))
		}
		return r
	}
	if r := best("loopback", loopback, 3000, 1000, 2); r < 2 {
		t.Errorf("on loopback PutRecords is only %.1fx faster than PutRecord", r)
	}
	if r := best("with 5 ms round trip", network, 5000, 150, 20); r < 10 {
		t.Errorf("with a 5 ms round trip PutRecords is only %.1fx faster than PutRecord (goal 20x)", r)
	} else if r < 20 {
		t.Logf("below the 20x goal (%.1fx): is the machine loaded? (load shrinks the ratio)", r)
	}
}
