package transform

import (
	"bytes"
	"strconv"
	"time"
)

// Timestamps are carried as milliseconds since the Unix epoch (UTC): the precision of
// schema.TimestampLayout. Finer digits are truncated, never rounded, so a normalized time is
// never later than the one sent.

// EpochMillisThreshold tells epoch seconds from epoch milliseconds: a number at or above it is
// milliseconds. 1e11 seconds is the year 5138 and 1e11 milliseconds is 1973-03-03, so within
// the accepted range (2000 up to a little after arrival) the two never overlap.
const EpochMillisThreshold = 1e11

// maxMillis is 9999-12-31T23:59:59.999Z, the last instant with a four-digit year.
const maxMillis = 253402300799999

// parseRFC3339 parses the strings schema.ClientTimestamp matches:
// YYYY-MM-DD[Tt ]hh:mm:ss(.fraction)?([Zz]|[+-]hh:mm), with real calendar ranges (no leap
// second, no 24:00). It returns epoch milliseconds. The time package does the parsing and
// the calendar; rfc3339Shape keeps out what time.Parse accepts beyond RFC 3339.
func parseRFC3339(s []byte) (int64, bool) {
	if !rfc3339Shape(s) {
		return 0, false
	}
	// time.Parse wants the T and Z that RFC 3339 also allows as t, a space and z.
	if s[10] != 'T' || s[len(s)-1] == 'z' {
		var buf [40]byte
		s = append(buf[:0], s...)
		s[10] = 'T'
		if s[len(s)-1] == 'z' {
			s[len(s)-1] = 'Z'
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// rfc3339Shape rejects what time.Parse would take beyond the pattern. Its strict RFC 3339
// path checks digits and ranges, but when that path fails it retries with the general layout
// parser, which also takes a one-digit hour, a comma before the fraction and offsets up to
// 24:60. With the separators in place (so every field has its width), a '.', zone or offset
// after the seconds, and an offset within 23:59, both paths accept exactly the pattern
// (FuzzRFC3339 holds them to schema.ClientTimestamp).
func rfc3339Shape(s []byte) bool {
	n := len(s)
	if n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return false
	}
	if c := s[19]; c != '.' && c != 'Z' && c != 'z' && c != '+' && c != '-' {
		return false
	}
	if c := s[n-1]; c == 'Z' || c == 'z' {
		return true
	}
	return n >= 25 && (s[n-6] == '+' || s[n-6] == '-') && string(s[n-5:n-3]) <= "23" && string(s[n-2:]) <= "59"
}

// appendTimestamp appends ms (0..maxMillis) in schema.TimestampLayout. The time package
// does the calendar (Date, Clock); the digits are put in a fixed template here because
// AppendFormat interprets its layout on every call, which costs several times as much on
// every record (BenchmarkAppendTimestamp).
func appendTimestamp(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b := [len(timestampTemplate)]byte([]byte(timestampTemplate))
	putDigits(b[0:4], year)
	putDigits(b[5:7], int(month))
	putDigits(b[8:10], day)
	putDigits(b[11:13], hour)
	putDigits(b[14:16], minute)
	putDigits(b[17:19], sec)
	putDigits(b[20:23], t.Nanosecond()/1e6)
	return append(dst, b[:]...)
}

// timestampTemplate is schema.TimestampLayout with the digits still to put in
// (TestFormatAgainstTimePackage holds the two together).
const timestampTemplate = "0000-00-00T00:00:00.000Z"

// putDigits writes v, zero-padded, into all of b.
func putDigits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// parseEpoch reads a JSON number token as epoch seconds (below EpochMillisThreshold) or
// milliseconds, exactly in decimal (1700000000.123 is .123, not the nearest double).
// Fractions below a millisecond are truncated. The token is a valid JSON number; ok=false
// means it is negative or has more than 17 integer digits, far outside any accepted time.
//
// It moves the decimal point over the token's digits instead of using math/big:
// BenchmarkParseEpoch shows why.
func parseEpoch(tok []byte) (ms int64, ok bool) {
	if tok[0] == '-' {
		return 0, false
	}
	mant, exp := tok, 0
	for i, c := range tok {
		if c == 'e' || c == 'E' {
			mant = tok[:i]
			e, _ := strconv.Atoi(string(tok[i+1:])) // out of range: ±MaxInt, clamped below
			exp = max(min(e, 1<<40), -1<<40)
			break
		}
	}
	d := decimal{mant, nil}
	if i := bytes.IndexByte(mant, '.'); i >= 0 {
		d = decimal{mant[:i], mant[i+1:]}
	}
	// Leading zeros do not count as integer digits.
	z := 0
	for z < d.len() && d.digit(z) == 0 {
		z++
	}
	if z == d.len() {
		return 0, true // zero
	}
	point := len(d.ip) + exp // the decimal point is after this many digits
	if point-z > 17 {
		return 0, false
	}
	secs := d.int(z, point)
	if secs >= EpochMillisThreshold {
		return secs, true // milliseconds after all
	}
	return secs*1000 + d.int(point, point+3), true
}

// decimal is the digits of a number, integer part then fraction.
type decimal struct{ ip, frac []byte }

func (d decimal) len() int { return len(d.ip) + len(d.frac) }

// digit returns the k-th digit, 0 beyond the digits.
func (d decimal) digit(k int) int64 {
	switch {
	case k < 0 || k >= d.len():
		return 0
	case k < len(d.ip):
		return int64(d.ip[k] - '0')
	}
	return int64(d.frac[k-len(d.ip)] - '0')
}

// int returns the integer made of digits from..to-1 (at most 17 of them).
func (d decimal) int(from, to int) int64 {
	var v int64
	for k := from; k < to; k++ {
		v = v*10 + d.digit(k)
	}
	return v
}

// Default bounds for event times.
var (
	// DefaultMinEventTime: anything earlier is a device clock reset or a zero value.
	DefaultMinEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// DefaultMaxFutureSkew is how far after its arrival in the stream an event may claim to have
// happened: device clocks run ahead, but hours ahead is a wrong clock or a unit mix-up, and it
// would open lake partitions in the future.
const DefaultMaxFutureSkew = time.Hour
