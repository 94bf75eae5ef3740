package openx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/streamlake/streamlake/schema"
)

// EpochMillisFrom is the smallest integer epoch value read as milliseconds rather than
// seconds: 1e11 seconds is the year 5138, 1e11 milliseconds March 1973. AWS lists both forms
// (1518033528 and 1518033528123) without saying how they are told apart.
const EpochMillisFrom = 100_000_000_000

// kind is the JSON type of a raw value, from its first byte.
func kind(raw []byte) byte {
	switch c := raw[0]; {
	case c == '-' || c >= '0' && c <= '9':
		return '0'
	case c == 't' || c == 'f':
		return 'b'
	default:
		return c // '"', '{', '[', 'n'
	}
}

// convert reads raw as type t; the reason is empty when it converts.
func (r *Reader) convert(t schema.Type, raw json.RawMessage) (Value, string) {
	k := kind(raw)
	if k == 'n' {
		if r.strict {
			return Value{}, "null (the transform leaves absent values out)"
		}
		return Value{Null: true}, ""
	}
	if r.strict && k != strictKind[t] {
		return Value{}, fmt.Sprintf("JSON %s, want %s", kindName[k], kindName[strictKind[t]])
	}
	var s string
	if k == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return Value{}, "malformed JSON string"
		}
	}
	switch t {
	case schema.String:
		if k == '"' {
			return Value{Str: s}, ""
		}
		return Value{Str: compactText(raw)}, ""
	case schema.Double:
		return double(k, raw, s)
	case schema.Long:
		return bigint(k, raw, s)
	case schema.Boolean:
		return boolean(k, raw, s)
	case schema.Timestamp:
		return r.timestamp(k, raw, s)
	case schema.StringMap:
		return r.stringMap(k, raw)
	}
	return Value{}, fmt.Sprintf("unsupported type %s", t)
}

// strictKind is the one JSON type a column of each type has in the transform's output.
var strictKind = map[schema.Type]byte{
	schema.String: '"', schema.Timestamp: '"', schema.Double: '0', schema.Long: '0',
	schema.Boolean: 'b', schema.StringMap: '{',
}

var kindName = map[byte]string{'"': "string", '0': "number", 'b': "boolean", '{': "object", '[': "array", 'n': "null"}

// compactText is a nested or non-string value as a string column holds it.
func compactText(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// jsonNumber is the JSON number grammar, which a numeric string must follow too (Java's
// parsers would also take "NaN", "0x1p3" or "1d").
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// integer is an integer literal; a string may carry a sign as Java's Long.parseLong allows.
var integer = regexp.MustCompile(`^[+-]?[0-9]+$`)

func double(k byte, raw []byte, s string) (Value, string) {
	text := string(raw)
	switch {
	case k == '"' && jsonNumber.MatchString(strings.TrimPrefix(s, "+")):
		text = s
	case k != '0':
		return Value{}, fmt.Sprintf("a JSON %s is not a number", kindName[k])
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{}, "number out of the range of a double"
	}
	return Value{F64: f}, ""
}

func bigint(k byte, raw []byte, s string) (Value, string) {
	text := string(raw)
	switch {
	case k == '"' && integer.MatchString(s):
		text = s
	case k == '"':
		return Value{}, "a string that is not an integer"
	case k != '0':
		return Value{}, fmt.Sprintf("a JSON %s is not an integer", kindName[k])
	case !integer.MatchString(text):
		return Value{}, "a number with a fraction or exponent is not a bigint"
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return Value{}, "integer out of the range of a bigint"
	}
	return Value{I64: n}, ""
}

func boolean(k byte, raw []byte, s string) (Value, string) {
	switch {
	case k == 'b':
		return Value{Bool: raw[0] == 't'}, ""
	case k == '"' && strings.EqualFold(s, "true"):
		return Value{Bool: true}, ""
	case k == '"' && strings.EqualFold(s, "false"):
		return Value{Bool: false}, ""
	}
	return Value{}, fmt.Sprintf("a JSON %s is not a boolean", kindName[k])
}

// spaceTimestamp is yyyy-[M]M-[d]d HH:mm:ss[.S].
var spaceTimestamp = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?$`)

// MinYear and MaxYear bound timestamps: four-digit years, as the SerDe's string forms have.
const (
	MinYear = 1
	MaxYear = 9999
)

func (r *Reader) timestamp(k byte, raw []byte, s string) (Value, string) {
	v, reason := r.readTimestamp(k, raw, s)
	if reason == "" && (v.Time.Year() < MinYear || v.Time.Year() > MaxYear) {
		return Value{}, fmt.Sprintf("timestamp outside the years %d..%d", MinYear, MaxYear)
	}
	return v, reason
}

func (r *Reader) readTimestamp(k byte, raw []byte, s string) (Value, string) {
	if k == '0' || k == '"' && !r.strict && jsonNumber.MatchString(s) {
		text := string(raw)
		if k == '"' {
			text = s
		}
		return epoch(text)
	}
	if k != '"' {
		return Value{}, fmt.Sprintf("a JSON %s is not a timestamp", kindName[k])
	}
	if schema.FirehoseTimestamp.MatchString(s) {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return Value{}, "not a real date and time"
		}
		return Value{Time: t.UTC()}, ""
	}
	if m := spaceTimestamp.FindStringSubmatch(s); m != nil && !r.strict {
		return civil(m)
	}
	if r.strict {
		return Value{}, "timestamp not in the form yyyy-MM-ddTHH:mm:ss[.fff]Z"
	}
	return Value{}, "a string in none of the timestamp forms the SerDe reads"
}

// civil builds a timestamp from spaceTimestamp's groups, refusing dates that do not exist.
func civil(m []string) (Value, string) {
	var n [6]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	ns := 0
	if m[7] != "" {
		frac := m[7][1:] + strings.Repeat("0", 10-len(m[7]))
		ns, _ = strconv.Atoi(frac)
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], ns, time.UTC)
	if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] || t.Hour() != n[3] || t.Minute() != n[4] || t.Second() != n[5] {
		return Value{}, "not a real date and time"
	}
	return Value{Time: t}, ""
}

// epoch reads epoch seconds, milliseconds (integers from EpochMillisFrom) or fractional
// seconds, exactly (decimal, to the nanosecond, truncated).
func epoch(text string) (Value, string) {
	if integer.MatchString(text) {
		n, err := strconv.ParseInt(text, 10, 64)
		switch {
		case err != nil:
			return Value{}, "epoch value out of range"
		case n >= EpochMillisFrom || n <= -EpochMillisFrom:
			return Value{Time: time.UnixMilli(n).UTC()}, ""
		}
		return Value{Time: time.Unix(n, 0).UTC()}, ""
	}
	if strings.ContainsAny(text, "eE") {
		return Value{}, "epoch seconds with an exponent"
	}
	whole, frac, _ := strings.Cut(text, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec >= EpochMillisFrom || sec <= -EpochMillisFrom {
		return Value{}, "epoch seconds out of range"
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	ns, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	if strings.HasPrefix(whole, "-") {
		ns = -ns
	}
	return Value{Time: time.Unix(sec, int64(ns)).UTC()}, ""
}

func (r *Reader) stringMap(k byte, raw []byte) (Value, string) {
	if k != '{' {
		return Value{}, fmt.Sprintf("a JSON %s is not a map", kindName[k])
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, _ = dec.Token() // '{', checked above
	entries := []Entry{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Value{}, "malformed JSON object"
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Value{}, "malformed JSON object"
		}
		if seen[key] {
			return Value{}, fmt.Sprintf("map key %q repeats", key)
		}
		seen[key] = true
		e := Entry{Key: key}
		switch vk := kind(v); {
		case vk == '"':
			if err := json.Unmarshal(v, &e.Value); err != nil {
				return Value{}, "malformed JSON string"
			}
		case r.strict:
			return Value{}, fmt.Sprintf("value of map key %q is a JSON %s, want string", key, kindName[vk])
		case vk == 'n':
			e.Null = true
		default:
			e.Value = compactText(v)
		}
		entries = append(entries, e)
	}
	return Value{Map: entries}, ""
}
