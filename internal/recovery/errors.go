package recovery

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrorsReport is what failed in a time window: the error records grouped by output type,
// error code and normalised message. It never holds a record's data.
type ErrorsReport struct {
	Bucket string    `json:"bucket"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	// ListedPrefixes are the prefixes listed (never the whole history).
	ListedPrefixes []string `json:"listed_prefixes"`
	Objects        int      `json:"objects"`
	// ObjectsRead is below Objects when MaxObjects stopped reading.
	ObjectsRead int          `json:"objects_read"`
	Bytes       int64        `json:"bytes"`
	Records     int          `json:"records"`
	Groups      []ErrorGroup `json:"groups"`
	Unreadable  []Skip       `json:"unreadable"`
}

// ErrorGroup is the records of one output type with one error code and normalised message.
type ErrorGroup struct {
	ErrorOutputType string `json:"error_output_type"`
	ErrorCode       string `json:"error_code"`
	// Message is the normalised message (NormalizeMessage); ExampleMessage one original.
	Message        string `json:"message"`
	ExampleMessage string `json:"example_message"`
	Records        int    `json:"records"`
	Objects        int    `json:"objects"`
	// First and Last are the records' Firehose arrival times (the object's write time when
	// a record has none).
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// ExampleEventIDs are up to MaxExamples event ids read from the records' data.
	ExampleEventIDs []string `json:"example_event_ids"`
	// NotJSON records' data is not a JSON object; WithoutEventID are objects without a
	// string event id.
	NotJSON        int `json:"records_not_json"`
	WithoutEventID int `json:"records_without_event_id"`
	// Redriven records were acknowledged by a redrive (markers).
	Redriven int `json:"redriven"`
}

// MaxExamples is how many event ids a group shows.
const MaxExamples = 3

// ErrorsOptions shape an errors report.
type ErrorsOptions struct {
	Since, Now time.Time
	// MaxObjects bounds the objects read (0: all).
	MaxObjects int
	Fields     Fields
}

// Errors reads the error objects written since opts.Since and groups their records.
func (l *Lake) Errors(ctx context.Context, opts ErrorsOptions) (*ErrorsReport, error) {
	sel, err := l.SelectErrors(ctx, opts.Since, opts.Now)
	if err != nil {
		return nil, err
	}
	rep := &ErrorsReport{Bucket: l.Bucket, Since: opts.Since, Until: opts.Now, ListedPrefixes: append([]string{}, sel.Prefixes...),
		Objects: len(sel.Objects), Groups: []ErrorGroup{}, Unreadable: []Skip{}}
	marked := map[string]bool{}
	for _, p := range sel.Prefixes {
		keys, err := l.MarkedKeys(ctx, p)
		if err != nil {
			return nil, err
		}
		for k := range keys {
			marked[k] = true
		}
	}
	groups := map[[3]string]*ErrorGroup{}
	for _, o := range sel.Objects {
		rep.Bytes += o.Size
		if opts.MaxObjects > 0 && rep.ObjectsRead >= opts.MaxObjects {
			continue
		}
		rep.ObjectsRead++
		if err := l.groupObject(ctx, o, marked[o.Key], opts.Fields, groups, rep); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Unreadable = append(rep.Unreadable, Skip{Key: o.Key, Reason: err.Error()})
		}
	}
	for _, g := range groups {
		rep.Groups = append(rep.Groups, *g)
	}
	slices.SortFunc(rep.Groups, func(a, b ErrorGroup) int {
		return cmp.Or(cmp.Compare(a.ErrorOutputType, b.ErrorOutputType), cmp.Compare(b.Records, a.Records),
			cmp.Compare(a.ErrorCode, b.ErrorCode), cmp.Compare(a.Message, b.Message))
	})
	return rep, nil
}

// groupObject adds one object's records to their groups.
func (l *Lake) groupObject(ctx context.Context, o Object, hasMarker bool, f Fields, groups map[[3]string]*ErrorGroup, rep *ErrorsReport) error {
	body, err := l.Read(ctx, o.Key)
	if err != nil {
		return err
	}
	_, recs, err := DecodeErrorObject(body)
	if err != nil {
		return err
	}
	var sent []bool
	if hasMarker {
		if m, err := l.ReadMarker(ctx, o.Key); err == nil && m.ETag == o.ETag {
			sent, _ = m.Sent.Set(len(recs))
		}
	}
	seen := map[*ErrorGroup]bool{}
	for i, r := range recs {
		msg := NormalizeMessage(r.ErrorMessage)
		k := [3]string{o.ErrorType, r.ErrorCode, msg}
		g := groups[k]
		if g == nil {
			g = &ErrorGroup{ErrorOutputType: o.ErrorType, ErrorCode: r.ErrorCode, Message: msg,
				ExampleMessage: truncate(r.ErrorMessage, maxMessage), ExampleEventIDs: []string{}}
			groups[k] = g
		}
		if !seen[g] {
			seen[g] = true
			g.Objects++
		}
		t := r.ArrivalTimestamp
		if t.IsZero() {
			t = o.LastModified
		}
		if g.First.IsZero() || t.Before(g.First) {
			g.First = t
		}
		g.Last = later(g.Last, t)
		g.Records++
		rep.Records++
		if sent != nil && sent[i+1] {
			g.Redriven++
		}
		g.example(f.Parse(r.RawData))
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (g *ErrorGroup) example(p Parsed) {
	switch {
	case !p.JSON:
		g.NotJSON++
	case p.EventID == "":
		g.WithoutEventID++
	case len(g.ExampleEventIDs) < MaxExamples && !slices.Contains(g.ExampleEventIDs, p.EventID):
		g.ExampleEventIDs = append(g.ExampleEventIDs, p.EventID)
	}
}

// maxMessage bounds a message in a report, in characters.
const maxMessage = 200

var messageRules = []struct {
	re   *regexp.Regexp
	with func(string) string
}{
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), always("<uuid>")},
	{regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?`), always("<time>")},
	{regexp.MustCompile(`\b[0-9a-fA-F]{8,}\b`), func(w string) string {
		if strings.ContainsAny(w, "0123456789") && strings.ContainsAny(strings.ToLower(w), "abcdef") {
			return "<hex>"
		}
		return w
	}},
	{regexp.MustCompile(`\d+(\.\d+)?`), always("<n>")},
	{regexp.MustCompile(`"[^"]{33,}"|'[^']{33,}'`), always(`"<text>"`)},
	{regexp.MustCompile(`\s+`), always(" ")},
}

func always(s string) func(string) string { return func(string) string { return s } }

// NormalizeMessage makes messages that differ only in ids and values equal, so they group
// together: UUIDs become <uuid>, timestamps <time>, words of hex digits with at least one
// digit and one letter <hex>, other numbers <n>, quoted text over 32 characters "<text>";
// runs of white space become one space, and the result is cut at 200 characters.
func NormalizeMessage(msg string) string {
	for _, r := range messageRules {
		msg = r.re.ReplaceAllStringFunc(msg, r.with)
	}
	return truncate(strings.TrimSpace(msg), maxMessage)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
