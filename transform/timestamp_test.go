package transform

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/schema"
)

// referenceRFC3339 parses s with the time package after normalizing what RFC 3339 allows and
// Go's layout does not (lowercase t/z, a space separator).
func referenceRFC3339(s string) (int64, bool) {
	if !schema.ClientTimestamp.MatchString(s) {
		return 0, false
	}
	b := []byte(s)
	b[10] = 'T'
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	// time.Parse accepts offsets up to 24:60 and we do not; RFC 3339 hours are 00-23,
	// minutes 00-59.
	if i := strings.LastIndexAny(s, "+-"); i >= 19 && (s[i+1:i+3] > "23" || s[i+4:i+6] > "59") {
		return 0, false
	}
	return t.UnixMilli(), true
}

func TestRFC3339AgainstTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ms := 946684800000 + rng.Int64N(4102444800000-946684800000)
		tm := time.UnixMilli(ms).UTC()
		off := (rng.IntN(24*60*2+1) - 24*60) * 60
		local := tm.In(time.FixedZone("", off))
		s := local.Format("2006-01-02T15:04:05")
		if d := rng.IntN(12); d > 0 {
			frac := fmt.Sprintf("%03d%09d", tm.Nanosecond()/1e6, rng.IntN(1e9))[:d]
			s += "." + frac
		}
		switch rng.IntN(3) {
		case 0:
			s += "Z"
			if off != 0 {
				continue
			}
		case 1:
			s += local.Format("-07:00")
		default:
			s += "z"
			if off != 0 {
				continue
			}
		}
		if rng.IntN(3) == 0 {
			s = s[:10] + string(" t"[rng.IntN(2)]) + s[11:]
		}
		got, ok := parseRFC3339([]byte(s))
		want, wok := referenceRFC3339(s)
		if ok != wok || got != want {
			t.Fatalf("%q: got %d %v, want %d %v", s, got, ok, want, wok)
		}
	}
}

// FuzzRFC3339 holds the parser to the API's pattern, the time package and the hand-written
// parser it replaced: whatever it accepts, they accept with the same instant, and the other
// way round.
func FuzzRFC3339(f *testing.F) {
	for _, s := range []string{"2024-05-01T11:59:59.123Z", "2024-05-01 11:59:59+02:00", "2024-02-29t00:00:00.1z", "2024-05-01T11:59:59-23:59", "2024-05-01T11:59:60Z", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRFC3339([]byte(s))
		want, wok := referenceRFC3339(s)
		if ok != wok || ok && got != want {
			t.Fatalf("%q: got %d %v, want %d %v", s, got, ok, want, wok)
		}
		if old, ook := legacyParseRFC3339([]byte(s)); ok != ook || ok && got != old {
			t.Fatalf("%q: got %d %v, the hand-written parser gave %d %v", s, got, ok, old, ook)
		}
		if ok && !schema.ClientTimestamp.MatchString(s) {
			t.Fatalf("%q accepted but the API pattern rejects it", s)
		}
	})
}

func TestFormatAgainstTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(ms int64) {
		want := time.UnixMilli(ms).UTC().Format(schema.TimestampLayout)
		got := string(appendTimestamp(nil, ms))
		if got != want {
			t.Fatalf("%d: got %s want %s", ms, got, want)
		}
		if old := string(legacyAppendTimestamp(nil, civilFromMillis(ms))); got != old {
			t.Fatalf("%d: got %s, the hand-written formatter gave %s", ms, got, old)
		}
		if !schema.FirehoseTimestamp.MatchString(got) {
			t.Fatalf("%s does not match schema.FirehoseTimestamp", got)
		}
		c := civilFromMillis(ms)
		if d := daysFromCivil(c.year, c.month, c.day); d != ms/86400000 {
			t.Fatalf("%d: daysFromCivil %d, want %d", ms, d, ms/86400000)
		}
	}
	for _, ms := range []int64{0, 1, 946684800000, 951782400000, 4107542399999, maxMillis} {
		check(ms)
	}
	for range 100000 {
		check(rng.Int64N(maxMillis + 1))
	}
}

func TestParseEpoch(t *testing.T) {
	cases := []struct {
		tok  string
		ms   int64
		fits bool
	}{
		{"0", 0, true},
		{"1714564799", 1714564799000, true},
		{"1714564799.1", 1714564799100, true},
		{"1714564799.123", 1714564799123, true},
		{"1714564799.1239", 1714564799123, true},
		{"1714564799123", 1714564799123, true},
		{"1714564799123.9", 1714564799123, true},
		{"1.714564799123e9", 1714564799123, true},
		{"1714564799123e-3", 1714564799123, true},
		{"17145647991230E-4", 1714564799123, true},
		{"0.0000001714564799e16", 1714564799000, true},
		{"99999999999", 99999999999000, true}, // just under the threshold: seconds
		{"100000000000", 100000000000, true},  // at the threshold: milliseconds
		{"99999999999.9999", 99999999999999, true},
		{"1e16", 1e16, true},
		{"99999999999999999", 99999999999999999, true},
		{"100000000000000000", 0, false},
		{"1e17", 0, false},
		{"-1", 0, false},
		{"1e-5", 0, true},
	}
	for _, c := range cases {
		ms, ok := parseEpoch([]byte(c.tok))
		if ok != c.fits || ms != c.ms {
			t.Errorf("%s: got %d %v, want %d %v", c.tok, ms, ok, c.ms, c.fits)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		ms := 946684800000 + rng.Int64N(4102444800000-946684800000)
		for _, tok := range []string{
			fmt.Sprintf("%d", ms),
			fmt.Sprintf("%d.%03d", ms/1000, ms%1000),
			fmt.Sprintf("%d.%03d%d", ms/1000, ms%1000, rng.IntN(1000)),
			fmt.Sprintf("%d.%03de3", ms/1000000, ms%1000000/1000) + "", // seconds from a thousandth of ks
		} {
			want := ms
			if strings.HasSuffix(tok, "e3") {
				want = ms / 1000 * 1000
			}
			got, ok := parseEpoch([]byte(tok))
			if !ok || got != want {
				t.Fatalf("%s: got %d %v, want %d", tok, got, ok, want)
			}
		}
	}
}

// TestLayoutFields: each partition layout in layoutFields formats to the bytes of the
// formatted timestamp it names.
func TestLayoutFields(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 10000 {
		ms := rng.Int64N(maxMillis + 1)
		ts := appendTimestamp(nil, ms)
		for layout, f := range layoutFields {
			if got, want := string(ts[f[0]:f[1]]), time.UnixMilli(ms).UTC().Format(layout); got != want {
				t.Fatalf("%d, layout %s: %s, want %s", ms, layout, got, want)
			}
		}
	}
}
