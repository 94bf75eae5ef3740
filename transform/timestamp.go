package transform

import (
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
// second, no 24:00). It returns epoch milliseconds.
func parseRFC3339(s []byte) (int64, bool) {
	if len(s) < 20 {
		return 0, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range s[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	i := 19
	millis := 0
	if s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-j < 3 {
				millis = millis*10 + int(s[i]-'0')
			}
			i++
		}
		switch i - j {
		case 0:
			return 0, false
		case 1:
			millis *= 100
		case 2:
			millis *= 10
		}
	}
	if i >= len(s) {
		return 0, false
	}
	offset := 0
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(s) || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return secs*1000 + int64(millis), true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if y < 0 { // only for year 0000, which -- made -1
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civil is a UTC instant split for formatting.
type civil struct {
	year, month, day, hour, minute, sec, milli int
}

// civilFromMillis splits epoch milliseconds in 0..maxMillis.
func civilFromMillis(ms int64) civil {
	secs := ms / 1000
	days := secs / 86400
	rem := int(secs - days*86400)
	z := days + 719468
	era := z / 146097
	doe := int(z - era*146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + int(era)*400
	if m <= 2 {
		y++
	}
	return civil{y, m, d, rem / 3600, rem / 60 % 60, rem % 60, int(ms % 1000)}
}

// appendTimestamp appends ms (0..maxMillis) in schema.TimestampLayout,
// 2006-01-02T15:04:05.000Z, without the time package's general formatter.
func appendTimestamp(dst []byte, c civil) []byte {
	dst = append4(dst, c.year)
	dst = append(dst, '-')
	dst = append2(dst, c.month)
	dst = append(dst, '-')
	dst = append2(dst, c.day)
	dst = append(dst, 'T')
	dst = append2(dst, c.hour)
	dst = append(dst, ':')
	dst = append2(dst, c.minute)
	dst = append(dst, ':')
	dst = append2(dst, c.sec)
	dst = append(dst, '.', byte('0'+c.milli/100), byte('0'+c.milli/10%10), byte('0'+c.milli%10), 'Z')
	return dst
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// parseEpoch reads a JSON number token as epoch seconds (below EpochMillisThreshold) or
// milliseconds, exactly in decimal (1700000000.123 is .123, not the nearest double).
// Fractions below a millisecond are truncated. The token is a valid JSON number; ok=false
// means it is negative or has more than 17 integer digits, far outside any accepted time.
func parseEpoch(tok []byte) (ms int64, ok bool) {
	i := 0
	if tok[0] == '-' {
		return 0, false
	}
	intStart := i
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		i++
	}
	intDigits := tok[intStart:i]
	var fracDigits []byte
	if i < len(tok) && tok[i] == '.' {
		i++
		j := i
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
		fracDigits = tok[j:i]
	}
	exp := 0
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		neg := false
		if tok[i] == '+' || tok[i] == '-' {
			neg = tok[i] == '-'
			i++
		}
		for ; i < len(tok); i++ {
			if exp < 1000 {
				exp = exp*10 + int(tok[i]-'0')
			}
		}
		if neg {
			exp = -exp
		}
	}
	// The digits int+frac with the decimal point after len(int)+exp of them; skip leading
	// zeros so the count of integer digits is meaningful.
	n := len(intDigits) + len(fracDigits)
	digit := func(k int) int {
		switch {
		case k < 0 || k >= n:
			return 0
		case k < len(intDigits):
			return int(intDigits[k] - '0')
		}
		return int(fracDigits[k-len(intDigits)] - '0')
	}
	z := 0
	for z < n && digit(z) == 0 {
		z++
	}
	if z == n {
		return 0, true // zero
	}
	point := len(intDigits) + exp
	if point-z > 17 {
		return 0, false
	}
	var ip int64
	for k := z; k < point; k++ {
		ip = ip*10 + int64(digit(k))
	}
	if ip >= EpochMillisThreshold {
		return ip, true
	}
	f := int64(digit(point)*100 + digit(point+1)*10 + digit(point+2))
	return ip*1000 + f, true
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
