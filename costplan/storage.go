package costplan

// Lake storage under the lifecycle rules. Data written at a constant rate r (GB per day)
// and kept in a class for ages [from, to) days fills, at time t days after the first deploy,
// r x (min(t, to) - from) GB (0 before from). A month's bill is the average over the month.

// span is the ages, in days, objects of a prefix spend in one storage class; to = 0 is
// forever.
type span struct {
	class    string
	from, to float64
	// noncurrent: versions an expiration made noncurrent, kept until noncurrentExpirationDays.
	noncurrent bool
}

// volumeIntegral is the integral over [0, t] of min(t', to) - from for t' > from: GB-days per
// GB/day of input.
func volumeIntegral(t float64, s span) float64 {
	if t <= s.from {
		return 0
	}
	if s.to == 0 || t <= s.to {
		return (t - s.from) * (t - s.from) / 2
	}
	width := s.to - s.from
	return width*width/2 + width*(t-s.to)
}

// monthAverage is the average GB held in span s during month m (1-based) per GB/day written.
func monthAverage(s span, m int) float64 {
	a, b := float64(m-1)*DaysPerMonth, float64(m)*DaysPerMonth
	return (volumeIntegral(b, s) - volumeIntegral(a, s)) / (b - a)
}

// rawSpans are the raw/ prefix's classes: STANDARD until the transition, then the raw class
// until expiration; with versioning an expired object stays as a noncurrent version for
// noncurrentDays more, in the class it had.
func rawSpans(s Stack) []span {
	last := "STANDARD"
	var out []span
	end := float64(s.RawExpirationDays)
	switch {
	case s.RawTransitionDays > 0:
		out = append(out, span{"STANDARD", 0, float64(s.RawTransitionDays), false}, span{s.RawStorageClass, float64(s.RawTransitionDays), end, false})
		last = s.RawStorageClass
	default:
		out = append(out, span{"STANDARD", 0, end, false})
	}
	if end > 0 && s.Versioning {
		out = append(out, span{last, end, end + float64(s.NoncurrentExpirationDays), true})
	}
	return out
}

// errorSpans are the errors/ prefix's: STANDARD until expiration, then noncurrent with
// versioning.
func errorSpans(s Stack) []span {
	end := float64(s.ErrorsExpirationDays)
	out := []span{{"STANDARD", 0, end, false}}
	if s.Versioning {
		out = append(out, span{"STANDARD", end, end + float64(s.NoncurrentExpirationDays), true})
	}
	return out
}

// dataSpans: data/ keeps Parquet in STANDARD forever (no lifecycle rule).
func dataSpans() []span { return []span{{"STANDARD", 0, 0, false}} }
