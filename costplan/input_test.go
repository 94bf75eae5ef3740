package costplan

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestWorkloadValidateNamesFlagValueAndRange(t *testing.T) {
	ok := devWorkload
	tests := []struct {
		name   string
		change func(*Workload)
		want   string
	}{
		{"avg zero", func(w *Workload) { w.AvgEPS = 0 }, "--avg-eps 0 is out of range: allowed above 0 and at most 1000000"},
		{"peak huge", func(w *Workload) { w.PeakEPS = 2e6 }, "--peak-eps 2000000 is out of range: allowed above 0 and at most 1000000"},
		{"bytes", func(w *Workload) { w.EventBytes = 0 }, "--event-bytes 0 is out of range: allowed 1..1048576"},
		{"share", func(w *Workload) { w.BatchShare = 1.5 }, "--batch-share 1.5 is out of range: allowed 0..1"},
		{"size", func(w *Workload) { w.BatchSize = 501 }, "--batch-size 501 is out of range: allowed 1..500"},
		{"errors", func(w *Workload) { w.ErrorShare = -0.1 }, "--error-share -0.1 is out of range: allowed 0..1"},
		{"nan", func(w *Workload) { w.ScanMiB = math.NaN() }, "--scan-mb NaN is out of range"},
		{"peak below avg", func(w *Workload) { w.PeakEPS = 10 }, "--peak-eps 10 is below --avg-eps 20"},
		{"batch too big", func(w *Workload) { w.EventBytes, w.BatchSize = 20000, 500 },
			"--batch-size 500 x --event-bytes 20000 is 1e+07 bytes, above PutRecords' 5242880 bytes per request: allowed --batch-size 1..262"},
		{"queries alone", func(w *Workload) { w.ScanMiB = 0 }, "--queries-per-day 50 and --scan-mb 0 go together"},
	}
	for _, tt := range tests {
		w := ok
		tt.change(&w)
		if err := w.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("dev workload: %v", err)
	}
	if len(Limits) != len(ok.values()) {
		t.Errorf("%d limits for %d values", len(Limits), len(ok.values()))
	}
}

func TestRegistrationWait(t *testing.T) {
	tests := []struct {
		gap, want time.Duration
	}{
		{time.Hour, 10 * time.Minute},         // 1/6 h
		{30 * time.Minute, 150 * time.Second}, // 0.5^2/6 h
		{24 * time.Hour, 41425 * time.Second}, // (1/6 + 575/2 - 23/2) / 24 h = 11.506944 h
		{2 * time.Hour, 2100 * time.Second},   // (1/6 + 3/2 - 1/2) / 2 h = 0.583333 h
	}
	for _, tt := range tests {
		if got := RegistrationWait(tt.gap); got.Round(time.Second) != tt.want {
			t.Errorf("gap %s: %s, want %s", tt.gap, got, tt.want)
		}
	}
}

func TestMonthAverageAcrossATransition(t *testing.T) {
	// Month 1 is days 0..30.41667. Written at 1 GB/day, STANDARD for the first 10 days: the
	// volume rises to 10 GB by day 10 and stays: (10 x 10/2 + 10 x 20.41667) / 30.41667 =
	// (50 + 204.1667) / 30.41667 = 8.35616 GB.
	if got := monthAverage(span{"STANDARD", 0, 10, false}, 1); math.Abs(got-8.35616) > 1e-4 {
		t.Errorf("STANDARD 0..10 in month 1: %g GB", got)
	}
	// The class after it holds (t - 10) from day 10: (20.41667^2 / 2) / 30.41667 = 6.85217 GB.
	if got := monthAverage(span{"GLACIER_IR", 10, 0, false}, 1); math.Abs(got-6.85217) > 1e-4 {
		t.Errorf("GLACIER_IR from 10 in month 1: %g GB", got)
	}
}

func TestStackValidate(t *testing.T) {
	s := devStack()
	s.ShardCount, s.CrawlerSchedule, s.Projection = 0, "", false
	err := s.Validate()
	for _, w := range []string{"shardCount must be at least 1 with PROVISIONED, got 0", "neither partition projection nor a crawler"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v, want %q", err, w)
		}
	}
}
