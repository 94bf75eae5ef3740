package recovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/firehoseprefix"
)

// Selection is a set of objects and the prefixes listed to find them.
type Selection struct {
	Prefixes []string
	Objects  []Object
}

// listMatching lists prefix and keeps the objects keep accepts, filled in from the key's
// match against template (Time and ErrorType stay zero when it does not match).
func (l *Lake) listMatching(ctx context.Context, sel *Selection, template, prefix string, keep func(Object, bool) bool) error {
	sel.Prefixes = append(sel.Prefixes, prefix)
	return l.List(ctx, prefix, func(o Object) error {
		v, _, ok := firehoseprefix.Match(template, o.Key)
		if ok {
			o.Time, o.ErrorType = v.Time, v.ErrorOutputType
		}
		if keep(o, ok) {
			sel.Objects = append(sel.Objects, o)
		}
		return nil
	})
}

// SelectPrefix selects every object under prefix, which must lie under the error prefix's
// static part (errors/): what redrive --prefix reads. Objects that are not error objects of
// the stack's layout are selected too; Run reports and skips them.
func (l *Lake) SelectPrefix(ctx context.Context, prefix string) (Selection, error) {
	if err := l.Prefixes.CheckErrorPrefix(prefix); err != nil {
		return Selection{}, err
	}
	var sel Selection
	err := l.listMatching(ctx, &sel, l.Prefixes.Errors, prefix, func(Object, bool) bool { return true })
	return sel, err
}

// CheckErrorPrefix checks that prefix lies under the error prefix's static part, and not in
// another dataset's folder there (errors/<dataset>/ lies under the default dataset's errors/;
// an error output type has a '-', a dataset's name none).
func (p Prefixes) CheckErrorPrefix(prefix string) error {
	static := awsrules.StaticPrefix(p.Errors)
	if !strings.HasPrefix(prefix, static) {
		return fmt.Errorf("prefix %q is not under %s, where the error objects are (%s)", prefix, static, p.Errors)
	}
	if next, _, whole := strings.Cut(prefix[len(static):], "/"); whole && strings.HasPrefix(p.Errors, static+awsrules.ErrorOutputTypeExpr) && !strings.Contains(next, "-") {
		return fmt.Errorf("prefix %q is in dataset %s's folder %s%s/, not this dataset's: give --dataset %s", prefix, next, static, next, next)
	}
	return nil
}

// SelectRaw selects the raw backups of the UTC hours [from, to) by the hour in their key
// (Firehose's arrival time of the object's oldest record).
func (l *Lake) SelectRaw(ctx context.Context, from, to time.Time) (Selection, error) {
	prefixes, err := HourPrefixes(l.Prefixes.Raw, firehoseprefix.Values{}, from, to)
	if err != nil {
		return Selection{}, err
	}
	var sel Selection
	for _, p := range prefixes {
		err := l.listMatching(ctx, &sel, l.Prefixes.Raw, p, func(o Object, ok bool) bool {
			return ok && !o.Time.Before(from) && o.Time.Before(to)
		})
		if err != nil {
			return Selection{}, err
		}
	}
	return sel, nil
}

// ErrorLag is how much later than its prefix hour an error object may be written: the hour
// is the arrival of its oldest record, the write comes after the buffer interval (up to
// 15 minutes), the processor's retries and the delivery retries (deliveryRetrySeconds, at
// most 2 hours).
const ErrorLag = 3 * time.Hour

// SelectErrors selects the error objects, of every output type present, written (last
// modified) since then: it lists the hours from since-ErrorLag to now.
func (l *Lake) SelectErrors(ctx context.Context, since, now time.Time) (Selection, error) {
	types, err := l.ErrorTypes(ctx)
	if err != nil {
		return Selection{}, err
	}
	var sel Selection
	for _, typ := range types {
		prefixes, err := HourPrefixes(l.Prefixes.Errors, firehoseprefix.Values{ErrorOutputType: typ}, since.Add(-ErrorLag), now.Add(time.Hour))
		if err != nil {
			return Selection{}, err
		}
		for _, p := range prefixes {
			err := l.listMatching(ctx, &sel, l.Prefixes.Errors, p, func(o Object, ok bool) bool {
				return ok && !o.LastModified.Before(since)
			})
			if err != nil {
				return Selection{}, err
			}
		}
	}
	return sel, nil
}
