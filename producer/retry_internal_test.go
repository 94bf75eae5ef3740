package producer

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffFullJitter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		retry      int
		r          float64
		retryAfter time.Duration
		want       time.Duration
	}{
		{1, 0.999999, 0, 99_999_900 * time.Nanosecond}, // ceiling base
		{2, 0.5, 0, 100 * time.Millisecond},            // ceiling 200 ms
		{3, 0.5, 0, 200 * time.Millisecond},            // ceiling 400 ms
		{4, 1, 0, 800 * time.Millisecond},
		{5, 1, 0, time.Second},             // capped
		{60, 1, 0, time.Second},            // no overflow
		{99, 0, 0, 0},                      // full jitter may retry at once
		{1, 0, time.Second, time.Second},   // Retry-After is a floor
		{1, 0, 2 * time.Hour, time.Minute}, // ...up to a minute
		{4, 1, 10 * time.Millisecond, 800 * time.Millisecond},
	}
	for _, tt := range tests {
		p.rand = func() float64 { return tt.r }
		if got := p.Backoff(tt.retry, tt.retryAfter); got != tt.want {
			t.Errorf("Backoff(%d, %s) with rand %g = %s, want %s", tt.retry, tt.retryAfter, tt.r, got, tt.want)
		}
	}
}

func TestBackoffSpreads(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second}
	seen := map[time.Duration]bool{}
	for range 100 {
		d := p.Backoff(3, 0)
		if d < 0 || d > 40*time.Millisecond {
			t.Fatalf("Backoff(3) = %s, outside [0, 40ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct waits in 100: not jittered", len(seen))
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	for _, bad := range []RetryPolicy{{MaxAttempts: 0}, {MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Millisecond}, {MaxAttempts: 1, BaseDelay: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := DefaultRetryPolicy().Validate(); err != nil {
		t.Error(err)
	}
}

func TestPercentiles(t *testing.T) {
	var l latencies
	for i := 1; i <= 1000; i++ {
		l.add(time.Duration(i) * time.Millisecond)
	}
	p := l.percentiles()
	want := Percentiles{N: 1000, P50: 500 * time.Millisecond, P90: 900 * time.Millisecond, P99: 990 * time.Millisecond, Max: time.Second}
	if p != want {
		t.Errorf("percentiles = %+v, want %+v", p, want)
	}
	if (&latencies{}).percentiles() != (Percentiles{}) {
		t.Error("empty latencies should give zero percentiles")
	}
	// Past the sample cap the max stays exact and the median stays close.
	var big latencies
	for i := range maxSamples * 2 {
		big.add(time.Duration(i%1000) * time.Microsecond)
	}
	bp := big.percentiles()
	if bp.N != maxSamples*2 || bp.Max != 999*time.Microsecond || bp.P50 < 450*time.Microsecond || bp.P50 > 550*time.Microsecond {
		t.Errorf("sampled percentiles off: %+v", bp)
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "1": time.Second, " 3 ": 3 * time.Second, "-1": 0, "soon": 0} {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
	future := time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)
	if got := parseRetryAfter(future); got < 8*time.Second || got > 10*time.Second {
		t.Errorf("HTTP date 10 s ahead gave %s", got)
	}
}
