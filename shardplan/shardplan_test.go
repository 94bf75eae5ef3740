package shardplan

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/awsrules"
)

func TestRecommend(t *testing.T) {
	tests := []struct {
		name    string
		w       Workload
		shards  int
		binding string
		// per-limit shard needs: write bytes, write records, read
		need [3]int
	}{
		{"tiny workload still needs one shard", Workload{PeakEventsPerSec: 1, AvgRecordBytes: 300, Consumers: 1}, 1, "write bytes", [3]int{1, 1, 1}},
		{"exactly one shard of records", Workload{PeakEventsPerSec: 1000, AvgRecordBytes: 100, Consumers: 1}, 1, "write bytes", [3]int{1, 1, 1}},
		{"one record over a shard", Workload{PeakEventsPerSec: 1001, AvgRecordBytes: 100, Consumers: 1}, 2, "write records", [3]int{1, 2, 1}},
		{"small records are bound by records/s", Workload{PeakEventsPerSec: 4000, AvgRecordBytes: 400, Consumers: 1, HeadroomPct: 25}, 5, "write records", [3]int{2, 5, 1}},
		// 2000 ev/s x 2 KiB = 4000 KiB/s = 3.9 MiB/s -> 4 shards for bytes; 2 for records.
		{"large records are bound by bytes", Workload{PeakEventsPerSec: 2000, AvgRecordBytes: 2048, Consumers: 1}, 4, "write bytes", [3]int{4, 2, 2}},
		// 1 MiB/s in, read by 5 consumers = 5 MiB/s out of 2 MiB/s per shard -> 3 shards.
		{"many consumers are bound by reads", Workload{PeakEventsPerSec: 1024, AvgRecordBytes: 1024, Consumers: 5}, 3, "read bytes", [3]int{1, 2, 3}},
		{"headroom rounds up", Workload{PeakEventsPerSec: 800, AvgRecordBytes: 100, Consumers: 1, HeadroomPct: 50}, 2, "write records", [3]int{1, 2, 1}},
		{"zero consumers ignores reads", Workload{PeakEventsPerSec: 10, AvgRecordBytes: 10, Consumers: 0}, 1, "write bytes", [3]int{1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Recommend(tt.w, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if p.Shards != tt.shards || p.Binding != tt.binding {
				t.Errorf("got %d shards bound by %s, want %d by %s", p.Shards, p.Binding, tt.shards, tt.binding)
			}
			if got := [3]int{p.ForWriteBytes, p.ForWriteRecords, p.ForRead}; got != tt.need {
				t.Errorf("per-limit needs = %v, want %v", got, tt.need)
			}
			// At the recommendation, the peak with headroom fits every limit.
			f := 1 + tt.w.HeadroomPct/100
			for name, use := range map[string]float64{"write bytes": p.WriteBytesUse, "write records": p.WriteRecordsUse, "read": p.ReadUse} {
				if use*f > 1+1e-9 {
					t.Errorf("%s utilisation %.3f x headroom %.2f exceeds the shard limit", name, use, f)
				}
			}
			// One shard fewer would break the deciding limit.
			if p.Shards > 1 {
				by := map[string][2]float64{
					"write bytes":   {p.WriteBytesPerSec, p.Limits.WriteBytesPerSec},
					"write records": {p.WriteRecordsPerSec, p.Limits.WriteRecordsPerSec},
					"read bytes":    {p.ReadBytesPerSec, p.Limits.ReadBytesPerSec},
				}[p.Binding]
				rate, limit := by[0], by[1]
				if rate <= float64(p.Shards-1)*limit {
					t.Errorf("%d shards would carry %s %.0f/s: the recommendation is not minimal", p.Shards-1, p.Binding, rate)
				}
			}
		})
	}
}

func TestRecommendWarnings(t *testing.T) {
	p, err := Recommend(Workload{PeakEventsPerSec: 600_000, AvgRecordBytes: 1000, Consumers: 6}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"quota", "GetRecords"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q do not mention %q", joined, want)
		}
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	_, err := Recommend(Workload{PeakEventsPerSec: -1, AvgRecordBytes: 2 << 20, Consumers: -1, HeadroomPct: -5}, DefaultLimits())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"peak events/s", "record size", "consumers", "headroom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if _, err := Recommend(Workload{PeakEventsPerSec: math.NaN(), AvgRecordBytes: 1}, DefaultLimits()); err == nil {
		t.Error("NaN peak accepted")
	}
}

func TestMonthlyCost(t *testing.T) {
	// us-east-1 list prices (provisioned, on-demand standard).
	p := Prices{ShardHour: 0.015, PutUnitsPerMillion: 0.014, OnDemandStreamHour: 0.04, OnDemandWriteGB: 0.08, OnDemandReadGB: 0.04}
	// 1000 events/s of 700 B, 4 shards, one consumer.
	c, err := MonthlyCost(4, 1000, 700, 1, p)
	if err != nil {
		t.Fatal(err)
	}
	records := 1000.0 * 730 * 3600 // 2.628e9
	approx(t, "shard cost", c.ShardCost, 4*730*0.015)
	approx(t, "PUT units", c.PutUnits, records)
	approx(t, "PUT cost", c.PutUnitCost, records/1e6*0.014)
	approx(t, "provisioned", c.Provisioned, 43.8+36.792)
	// On-demand rounds 700 B up to 1 KiB written; reads count real bytes.
	approx(t, "on-demand GB written", c.WriteGB, records*1024/GiB)
	approx(t, "on-demand GB read", c.ReadGB, records*700/GiB)
	approx(t, "on-demand", c.OnDemand, 730*0.04+records*1024/GiB*0.08+records*700/GiB*0.04)

	// A 30 KB record is two PUT payload units and 30 KiB on-demand.
	c, _ = MonthlyCost(1, 1, 30*1024, 0, p)
	approx(t, "PUT units of 30 KiB records", c.PutUnits, 2*730*3600)
	approx(t, "reads with no consumer", c.ReadGB, 0)

	if _, err := MonthlyCost(0, 1, 1, 1, p); err == nil {
		t.Error("0 shards accepted")
	}
}

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

func TestReshard(t *testing.T) {
	tests := []struct {
		from, to int
		want     []int
	}{
		{4, 4, nil},
		{1, 2, []int{2}},
		{1, 5, []int{2, 4, 5}},
		{2, 5, []int{4, 5}},
		{10, 3, []int{5, 3}},
		{7, 3, []int{4, 3}}, // half of 7 rounds up to 4
		{1, 500, []int{2, 4, 8, 16, 32, 64, 128, 256, 500}},
		{500, 1, []int{250, 125, 63, 32, 16, 8, 4, 2, 1}},
	}
	for _, tt := range tests {
		steps, err := Reshard(tt.from, tt.to)
		if err != nil {
			t.Fatalf("%d -> %d: %v", tt.from, tt.to, err)
		}
		var got []int
		prev := tt.from
		for _, s := range steps {
			got = append(got, s.To)
			if s.From != prev {
				t.Errorf("%d -> %d: step %+v does not start where the last ended (%d)", tt.from, tt.to, s, prev)
			}
			if s.To > 2*s.From || 2*s.To < s.From {
				t.Errorf("%d -> %d: step %+v more than doubles or halves", tt.from, tt.to, s)
			}
			if s.Window != 1 {
				t.Errorf("%d -> %d: step %+v should fit the first 24 h window", tt.from, tt.to, s)
			}
			prev = s.To
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Reshard(%d, %d) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
		if len(steps) > awsrules.MaxReshardsPerDay {
			t.Errorf("%d -> %d takes %d steps, more than %d a day", tt.from, tt.to, len(steps), awsrules.MaxReshardsPerDay)
		}
	}
	for _, bad := range [][2]int{{0, 1}, {1, 0}, {1, awsrules.MaxShards + 1}} {
		if _, err := Reshard(bad[0], bad[1]); err == nil {
			t.Errorf("Reshard(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

// Capacity is Recommend's inverse: its peak still fits the shards, one more event/s does not.
func TestCapacityInvertsRecommend(t *testing.T) {
	l := DefaultLimits()
	for _, w := range []Workload{
		{AvgRecordBytes: 287, Consumers: 1, HeadroomPct: 25},
		{AvgRecordBytes: 300, Consumers: 1, HeadroomPct: 25},
		{AvgRecordBytes: 4000, Consumers: 2, HeadroomPct: 10},
		{AvgRecordBytes: 700, Consumers: 0, HeadroomPct: 0},
	} {
		for _, n := range []int{1, 2, 4, 5, 9, 100, 500} {
			c, err := Capacity(n, w, l)
			if err != nil {
				t.Fatal(err)
			}
			w.PeakEventsPerSec = float64(c)
			at, err := Recommend(w, l)
			if err != nil || at.Shards > n {
				t.Errorf("%+v: capacity of %d shards is %d events/s, but Recommend wants %d shards for it (%v)", w, n, c, at.Shards, err)
			}
			w.PeakEventsPerSec = float64(c + 1)
			if above, _ := Recommend(w, l); above.Shards <= n {
				t.Errorf("%+v: capacity of %d shards is %d events/s, but %d still fits", w, n, c, c+1)
			}
		}
	}
	// The records limit binds for small events: 4 shards x 1000 records/s / 1.25.
	if c, _ := Capacity(4, Workload{AvgRecordBytes: 287, Consumers: 1, HeadroomPct: 25}, l); c != 3200 {
		t.Errorf("capacity of 4 shards = %d events/s, want 3200", c)
	}
	if _, err := Capacity(0, Workload{AvgRecordBytes: 287, Consumers: 1}, l); err == nil {
		t.Error("0 shards accepted")
	}
}
