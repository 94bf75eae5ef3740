package producer

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// RetryPolicy bounds re-sending: at most MaxAttempts sends of a record (the first included),
// waiting a random duration in [0, min(MaxDelay, BaseDelay*2^(n-1))] before the n-th retry
// ("full jitter": retries of many producers spread out instead of arriving together).
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// rand returns a number in [0, 1); tests make it deterministic.
	rand func() float64
}

// DefaultRetryPolicy tries a record 10 times over roughly 15 s of backoff at most.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, BaseDelay: 50 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// Validate checks the policy.
func (p RetryPolicy) Validate() error {
	if p.MaxAttempts < 1 {
		return fmt.Errorf("max attempts must be at least 1, got %d", p.MaxAttempts)
	}
	if p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
		return fmt.Errorf("backoff needs 0 <= base delay (%s) <= max delay (%s)", p.BaseDelay, p.MaxDelay)
	}
	return nil
}

// Backoff returns how long to wait before retry number retry (1 for the first retry). A
// server's Retry-After is a floor: the wait is never shorter than what the server asked for
// (up to a minute, so a confused server cannot stall a run).
func (p RetryPolicy) Backoff(retry int, retryAfter time.Duration) time.Duration {
	ceiling := p.MaxDelay
	if retry < 1 {
		retry = 1
	}
	if shift := retry - 1; shift < 62 && p.BaseDelay<<shift > 0 && p.BaseDelay<<shift < ceiling {
		ceiling = p.BaseDelay << shift
	}
	r := p.rand
	if r == nil {
		r = mrand.Float64
	}
	d := time.Duration(r() * float64(ceiling))
	return max(d, min(retryAfter, max(p.MaxDelay, time.Minute)))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
