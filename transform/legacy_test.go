package transform

import (
	"encoding/json"
	"errors"
	"maps"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The hand-written calendar and timestamp code the time package replaced (commit e0e0416),
// kept as a test reference: the differential tests and FuzzTimestampLegacy hold the new code
// to its results. Nothing outside tests uses it.

// legacyParseRFC3339 parses the strings schema.ClientTimestamp matches:
// YYYY-MM-DD[Tt ]hh:mm:ss(.fraction)?([Zz]|[+-]hh:mm), with real calendar ranges (no leap
// second, no 24:00). It returns epoch milliseconds.
func legacyParseRFC3339(s []byte) (int64, bool) {
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
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
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

// legacyAppendTimestamp appends ms (0..maxMillis) in schema.TimestampLayout,
// 2006-01-02T15:04:05.000Z, without the time package's general formatter.
func legacyAppendTimestamp(dst []byte, c civil) []byte {
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

// legacyParseEpoch reads a JSON number token as epoch seconds (below EpochMillisThreshold) or
// milliseconds, exactly in decimal (1700000000.123 is .123, not the nearest double).
// Fractions below a millisecond are truncated. The token is a valid JSON number; ok=false
// means it is negative or has more than 17 integer digits, far outside any accepted time.
func legacyParseEpoch(tok []byte) (ms int64, ok bool) {
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

// legacyOutcome is what the hand-written code made of an occurred_at token (a JSON string or
// number) in a record that reached the stream at arrivalMs, with the default bounds: the
// normalized time, or the rule the record failed.
func legacyOutcome(tok string, arrivalMs int64) (string, Rule) {
	var ms int64
	if tok[0] == '"' {
		v, ok := legacyParseRFC3339([]byte(tok[1 : len(tok)-1]))
		if !ok {
			return "", RuleTimestampFormat
		}
		ms = v
	} else {
		v, ok := legacyParseEpoch([]byte(tok))
		if !ok {
			return "", RuleTimestampRange
		}
		ms = v
	}
	if ms < DefaultMinEventTime.UnixMilli() || ms > min(arrivalMs+DefaultMaxFutureSkew.Milliseconds(), maxMillis) {
		return "", RuleTimestampRange
	}
	return string(legacyAppendTimestamp(nil, civilFromMillis(ms))), ""
}

// TestTimestampsAgainstLegacy runs the timestamp cases of doc.go through whole records and
// holds the time-package code to the hand-written code it replaced: the same normalized time
// and partition keys, or the same rule.
func TestTimestampsAgainstLegacy(t *testing.T) {
	at := arrival.UnixMilli()
	inSkew := arrival.Add(DefaultMaxFutureSkew)
	toks := []string{
		// Separators, zones, offsets.
		`"2024-05-01T11:59:59.123Z"`, `"2024-05-01t11:59:59.123Z"`, `"2024-05-01 11:59:59.123Z"`,
		`"2024-05-01T11:59:59.123z"`, `"2024-05-01T13:59:59.123+02:00"`, `"2024-05-01T04:29:59.123-07:30"`,
		`"2024-05-01T11:59:59-00:00"`, `"2024-05-02T11:58:59+23:59"`, `"2024-05-01T11:59:59+24:00"`,
		`"2024-05-01T11:59:59+02:60"`, `"2024-05-01T11:59:59+0200"`, `"2024-05-01T11:59:59"`,
		// Fractions: any number of digits, truncated to milliseconds.
		`"2024-05-01T11:59:59Z"`, `"2024-05-01T11:59:59.1Z"`, `"2024-05-01T11:59:59.12Z"`,
		`"2024-05-01T11:59:59.1239Z"`, `"2024-05-01T11:59:59.999999999Z"`,
		`"2024-05-01T11:59:59.99999999999999999999Z"`, `"2024-05-01T11:59:59.Z"`, `"2024-05-01T11:59:59,123Z"`,
		// Calendar: no leap second, no 24:00, real dates.
		`"2016-12-31T23:59:60Z"`, `"2024-05-01T24:00:00Z"`, `"2024-02-29T12:00:00Z"`, `"2023-02-29T12:00:00Z"`,
		`"2024-02-30T12:00:00Z"`, `"2024-04-31T12:00:00Z"`, `"2024-13-01T12:00:00Z"`, `"2024-00-01T12:00:00Z"`,
		`"2024-05-00T12:00:00Z"`, `"2024-05-01T1:59:59.123Z"`, `"2024-5-01T11:59:59Z"`, `"1714564799"`, `""`,
		// Range: 2000-01-01 up to arrival plus the skew.
		`"1999-12-31T23:59:59.999Z"`, `"2000-01-01T00:00:00Z"`, `"2000-01-01T01:00:00+01:00"`,
		`"2000-01-01T00:59:59.999+01:00"`, `"0000-01-01T00:00:00Z"`, `"9999-12-31T23:59:59.999Z"`,
		`"` + inSkew.Format("2006-01-02T15:04:05.000Z07:00") + `"`,
		`"` + inSkew.Add(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00") + `"`,
		// Epoch seconds and milliseconds, exponents included.
		`1714564799`, `1714564799.1`, `1714564799.123`, `1714564799.1239`, `1714564799123`, `1714564799123.9`,
		`1.714564799123e9`, `1714564799123e-3`, `17145647991230E-4`, `1.7145648e9`, `0.0000001714564799e16`,
		`99999999999`, `100000000000`, `946684800`, `946684799.999`, `946684800000`, `1e9`, `0`, `-1`,
		`1e400`, `1e17`, `1e-5`,
		strconv.FormatInt(inSkew.Unix(), 10), strconv.FormatInt(inSkew.UnixMilli()+1, 10),
		strconv.FormatInt(inSkew.Unix(), 10) + ".001",
	}
	tr := newTransformer(t, Options{})
	for _, tok := range toks {
		wantTS, wantRule := legacyOutcome(tok, at)
		rec, err := tr.TransformRecord(event(`"occurred_at":`+tok), arrival)
		if wantRule != "" {
			var re *RecordError
			if !errors.As(err, &re) || re.Rule != wantRule || re.Field != "occurred_at" {
				t.Errorf("%s: got %v, the hand-written code failed it with %s", tok, err, wantRule)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, the hand-written code gave %s", tok, err, wantTS)
			continue
		}
		var out map[string]any
		if err := json.Unmarshal(rec.JSON, &out); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"year": wantTS[0:4], "month": wantTS[5:7], "day": wantTS[8:10], "hour": wantTS[11:13]}
		if out["occurred_at"] != wantTS || !maps.Equal(rec.PartitionKeys, want) {
			t.Errorf("%s: got %v %v, the hand-written code gave %s %v", tok, out["occurred_at"], rec.PartitionKeys, wantTS, want)
		}
	}
}

// referenceEpoch reads an epoch token with exact rational arithmetic. decided=false when the
// exponent is beyond ±50, which big.Rat would take long to expand.
func referenceEpoch(tok string) (ms int64, ok, decided bool) {
	if i := strings.IndexAny(tok, "eE"); i >= 0 {
		if e, err := strconv.Atoi(tok[i+1:]); err != nil || e > 50 || e < -50 {
			return 0, false, false
		}
	}
	ms, ok = bigEpoch(tok)
	return ms, ok, true
}

// bigEpoch is parseEpoch written with math/big: the obvious exact way, and the one
// BenchmarkParseEpoch compares it with.
func bigEpoch(tok string) (int64, bool) {
	if tok[0] == '-' {
		return 0, false
	}
	r, _ := new(big.Rat).SetString(tok)
	if r.Cmp(big.NewRat(1e17, 1)) >= 0 {
		return 0, false
	}
	if r.Cmp(big.NewRat(EpochMillisThreshold, 1)) < 0 {
		r.Mul(r, big.NewRat(1000, 1))
	}
	return new(big.Int).Quo(r.Num(), r.Denom()).Int64(), true
}

// FuzzEpoch holds parseEpoch to exact rational arithmetic and to the code it replaced, on
// any JSON number.
func FuzzEpoch(f *testing.F) {
	for _, s := range []string{"1714564799", "1714564799.1239", "1714564799123.9", "1.714564799123e9", "17145647991230E-4", "99999999999", "100000000000", "0.0000001714564799e16", "1e17", "-1", "0", "1e-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		sc := &scanner{}
		sc.reset([]byte(tok))
		if kindOf(sc.peek()) != kindNumber {
			return
		}
		if _, ok := sc.num(); !ok || sc.pos != len(tok) {
			return
		}
		got, ok := parseEpoch([]byte(tok))
		if want, wok, decided := referenceEpoch(tok); decided && (ok != wok || got != want) {
			t.Fatalf("%s: got %d %v, exact arithmetic gives %d %v", tok, got, ok, want, wok)
		}
		// The old code capped exponents at four digits; below that it was exact.
		if i := strings.IndexAny(tok, "eE"); i >= 0 {
			if e, err := strconv.Atoi(tok[i+1:]); err != nil || e > 9999 || e < -9999 {
				return
			}
		}
		if old, ook := legacyParseEpoch([]byte(tok)); ok != ook || got != old {
			t.Fatalf("%s: got %d %v, the hand-written code gave %d %v", tok, got, ok, old, ook)
		}
	})
}
