// Package firehoseprefix evaluates Firehose S3 prefixes (!{namespace:value} expressions) and
// names objects the way Firehose does at delivery, so a local lake has the same keys as the
// bucket. The prefixes themselves come from the stack (lakelayout.DeliveryPrefixes); this
// package only evaluates them.
//
// Supported, as documented in "Custom prefixes for Amazon S3 objects"
// (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html):
//
//   - !{timestamp:pattern}: a Java DateTimeFormatter pattern of yyyy, yy, MM, dd, HH, mm, ss,
//     'quoted literals' and punctuation, in UTC (the stack sets CustomTimeZone UTC). Every
//     timestamp expression of one prefix is the same instant.
//   - !{firehose:error-output-type}: the error output type (processing-failed, ...).
//   - !{firehose:random-string}: 11 random characters, new for every occurrence.
//   - !{partitionKeyFromLambda:key} and !{partitionKeyFromQuery:key}: a partition key.
//
// Firehose's default yyyy/MM/dd/HH/ for a prefix without any timestamp expression is not
// emulated: every prefix of the stack has expressions.
package firehoseprefix

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/streamlake/streamlake/awsrules"
)

// Values are what a prefix's expressions evaluate to for one object.
type Values struct {
	// Time is the approximate arrival time of the oldest record in the object.
	Time time.Time
	// ErrorOutputType fills !{firehose:error-output-type}; only error prefixes use it.
	ErrorOutputType string
	// PartitionKeys fill !{partitionKeyFromLambda:k} and !{partitionKeyFromQuery:k}.
	PartitionKeys map[string]string
	// Random returns the value of one !{firehose:random-string}; nil draws 11 random
	// characters.
	Random func() string
}

// Evaluate returns prefix with every expression replaced. A missing value (a partition key
// the record does not have, an error output type outside an error) is an error naming the
// expression, as Firehose would not deliver the object to that prefix either.
func Evaluate(prefix string, v Values) (string, error) {
	out := prefix
	for _, e := range awsrules.Expressions(prefix) {
		val, err := evaluate(e, v)
		if err != nil {
			return "", fmt.Errorf("prefix %q: !{%s:%s}: %w", prefix, e.Namespace, e.Value, err)
		}
		out = strings.Replace(out, "!{"+e.Namespace+":"+e.Value+"}", val, 1)
	}
	if strings.Contains(out, "!{") {
		return "", fmt.Errorf("prefix %q: malformed !{namespace:value} expression", prefix)
	}
	return out, nil
}

func evaluate(e awsrules.Expression, v Values) (string, error) {
	switch e.Namespace {
	case "timestamp":
		if v.Time.IsZero() {
			return "", fmt.Errorf("no time to evaluate")
		}
		return FormatJava(v.Time.UTC(), e.Value)
	case "firehose":
		switch e.Value {
		case "error-output-type":
			if v.ErrorOutputType == "" {
				return "", fmt.Errorf("no error output type (only error prefixes may use it)")
			}
			return v.ErrorOutputType, nil
		case "random-string":
			if v.Random != nil {
				return v.Random(), nil
			}
			return randomString(), nil
		}
		return "", fmt.Errorf("unknown firehose value (error-output-type or random-string)")
	case "partitionKeyFromLambda", "partitionKeyFromQuery":
		k, ok := v.PartitionKeys[e.Value]
		if !ok || k == "" {
			return "", fmt.Errorf("record has no partition key %q", e.Value)
		}
		return k, nil
	}
	return "", fmt.Errorf("unknown namespace")
}

// javaFields maps the Java DateTimeFormatter letters a prefix may use to Go layouts.
var javaFields = []struct{ java, goLayout string }{
	{"yyyy", "2006"}, {"yy", "06"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"}, {"mm", "04"}, {"ss", "05"},
}

// FormatJava formats t with a Java DateTimeFormatter pattern restricted to yyyy, yy, MM, dd,
// HH, mm and ss; text in single quotes is literal (two single quotes are one quote) and so is every character
// that is not a letter. Other letters are an error rather than a guess.
func FormatJava(t time.Time, pattern string) (string, error) {
	toks, err := javaTokens(pattern)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, tok := range toks {
		if tok.field < 0 {
			b.WriteString(tok.literal)
		} else {
			b.WriteString(t.Format(javaFields[tok.field].goLayout))
		}
	}
	return b.String(), nil
}

// javaToken is a literal (field < 0) or a date field (an index into javaFields).
type javaToken struct {
	literal string
	field   int
}

// javaTokens splits a Java DateTimeFormatter pattern into literals and supported fields.
func javaTokens(pattern string) ([]javaToken, error) {
	var toks []javaToken
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("pattern %q: unterminated quote", pattern)
			}
			lit := pattern[i+1 : i+1+end]
			if end == 0 {
				lit = "'"
			}
			toks = append(toks, javaToken{literal: lit, field: -1})
			i += end + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := javaField(pattern[i:])
			if n < 0 {
				return nil, fmt.Errorf("pattern %q: letter %q at %d is not one of yyyy, yy, MM, dd, HH, mm, ss", pattern, c, i)
			}
			toks = append(toks, javaToken{field: n})
			i += len(javaFields[n].java)
		default:
			toks = append(toks, javaToken{literal: string(c), field: -1})
			i++
		}
	}
	return toks, nil
}

// javaField returns the index of the field s starts with, the longest run of one letter.
func javaField(s string) int {
	run := 1
	for run < len(s) && s[run] == s[0] {
		run++
	}
	for i, f := range javaFields {
		if f.java == s[:run] {
			return i
		}
	}
	return -1
}

// randomString is 11 characters like Firehose's (e.g. 046b6c7f-0b).
func randomString() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:]
}

// ObjectName is the suffix Firehose gives an object after its prefix:
// <stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid>, in UTC; the caller adds an
// extension such as ".parquet" or ".gz"; id is a random UUID (uuid.NewString). See "Configure Amazon S3 object name format"
// (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html).
func ObjectName(stream string, version int, t time.Time, id string) string {
	return fmt.Sprintf("%s-%d-%s-%s", stream, version, t.UTC().Format("2006-01-02-15-04-05"), id)
}

// Match is the inverse of Evaluate: it reports whether key is an object under prefix and, if
// so, the values its expressions had (time fields the prefix does not carry stay zero, e.g.
// minutes for an hourly prefix) and the object name after the prefix. Readers of the lake use
// it to select objects by time or error output type without listing everything.
func Match(prefix, key string) (Values, string, bool) {
	re, fields, err := matcher(prefix)
	if err != nil {
		return Values{}, "", false
	}
	m := re.FindStringSubmatch(key)
	if m == nil {
		return Values{}, "", false
	}
	v := Values{PartitionKeys: map[string]string{}}
	var t [6]int // year, month, day, hour, minute, second
	t[1], t[2] = 1, 1
	hasTime := false
	for i, f := range fields {
		s := m[i+1]
		switch f.kind {
		case fieldTime:
			n, _ := strconv.Atoi(s)
			if f.index == 0 && len(s) == 2 {
				n += 2000
			}
			t[f.index], hasTime = n, true
		case fieldErrorType:
			v.ErrorOutputType = s
		case fieldKey:
			v.PartitionKeys[f.name] = s
		}
	}
	if hasTime {
		v.Time = time.Date(t[0], time.Month(t[1]), t[2], t[3], t[4], t[5], 0, time.UTC)
		if v.Time.Year() != t[0] || int(v.Time.Month()) != t[1] || v.Time.Day() != t[2] {
			return Values{}, "", false // 2024/02/31 is not a time Firehose wrote
		}
	}
	return v, m[len(m)-1], true
}

type fieldKind int

const (
	fieldTime fieldKind = iota
	fieldErrorType
	fieldKey
	fieldRandom
)

type matchField struct {
	kind  fieldKind
	index int    // time: 0 year .. 5 second
	name  string // partition key name
}

var timeRE = map[string]struct {
	re    string
	index int
}{
	"yyyy": {`(\d{4})`, 0}, "yy": {`(\d{2})`, 0}, "MM": {`(\d{2})`, 1}, "dd": {`(\d{2})`, 2},
	"HH": {`(\d{2})`, 3}, "mm": {`(\d{2})`, 4}, "ss": {`(\d{2})`, 5},
}

// matcher turns a prefix into an anchored regexp whose groups are the expressions' fields,
// followed by a last group for the object name (no further slash).
func matcher(prefix string) (*regexp.Regexp, []matchField, error) {
	var b strings.Builder
	var fields []matchField
	b.WriteString("^")
	rest := prefix
	for _, e := range awsrules.Expressions(prefix) {
		expr := "!{" + e.Namespace + ":" + e.Value + "}"
		i := strings.Index(rest, expr)
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		rest = rest[i+len(expr):]
		switch {
		case e.Namespace == "timestamp":
			f, err := timeMatcher(&b, e.Value)
			if err != nil {
				return nil, nil, err
			}
			fields = append(fields, f...)
		case e.Namespace == "firehose" && e.Value == "error-output-type":
			b.WriteString(`([a-zA-Z]+(?:-[a-zA-Z]+)*)`)
			fields = append(fields, matchField{kind: fieldErrorType})
		case e.Namespace == "firehose" && e.Value == "random-string":
			b.WriteString(`([^/]{11})`)
			fields = append(fields, matchField{kind: fieldRandom})
		case e.Namespace == "partitionKeyFromLambda" || e.Namespace == "partitionKeyFromQuery":
			b.WriteString(`([^/]+)`)
			fields = append(fields, matchField{kind: fieldKey, name: e.Value})
		default:
			return nil, nil, fmt.Errorf("unknown expression %s", expr)
		}
	}
	b.WriteString(regexp.QuoteMeta(rest))
	b.WriteString(`([^/]+)$`)
	re, err := regexp.Compile(b.String())
	return re, fields, err
}

func timeMatcher(b *strings.Builder, pattern string) ([]matchField, error) {
	toks, err := javaTokens(pattern)
	if err != nil {
		return nil, err
	}
	var fields []matchField
	for _, tok := range toks {
		if tok.field < 0 {
			b.WriteString(regexp.QuoteMeta(tok.literal))
			continue
		}
		f := timeRE[javaFields[tok.field].java]
		b.WriteString(f.re)
		fields = append(fields, matchField{kind: fieldTime, index: f.index})
	}
	return fields, nil
}
