package recovery

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// S3API is the part of the S3 client recovery uses: listing and reading the lake, and
// writing markers (PutObject, never on the data).
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Prefixes are the delivery stream's S3 prefix templates recovery reads, as
// lakelayout.DeliveryPrefixes returns them (the same for both partitioning modes).
type Prefixes struct {
	// Errors holds !{firehose:error-output-type} and the arrival hour.
	Errors string
	// Raw holds the arrival hour.
	Raw string
}

// DatasetPrefixes are a dataset's prefixes (lakelayout.DatasetPrefixes: the errors and raw
// templates are the same for both partitioning modes).
func DatasetPrefixes(dataset string, s *schema.Schema) Prefixes {
	p := lakelayout.DatasetPrefixes(dataset, s, lakelayout.ArrivalTime)
	return Prefixes{Errors: p.Errors, Raw: p.Raw}
}

// Validate checks that both templates are relative prefixes with an hourly timestamp, and
// the error prefix has the error output type.
func (p Prefixes) Validate() error {
	var errs []error
	for _, t := range []struct{ name, tmpl string }{{"Errors", p.Errors}, {"Raw", p.Raw}} {
		if t.tmpl == "" || strings.HasPrefix(t.tmpl, "/") || awsrules.StaticPrefix(t.tmpl) == "" {
			errs = append(errs, fmt.Errorf("recovery: prefix %s %q must be a relative S3 prefix starting with a folder", t.name, t.tmpl))
		}
		if !strings.Contains(t.tmpl, "HH}") {
			errs = append(errs, fmt.Errorf("recovery: prefix %s %q has no hour (!{timestamp:...HH...})", t.name, t.tmpl))
		}
	}
	if !strings.Contains(p.Errors, awsrules.ErrorOutputTypeExpr) {
		errs = append(errs, fmt.Errorf("recovery: prefix Errors %q lacks %s", p.Errors, awsrules.ErrorOutputTypeExpr))
	}
	return errors.Join(errs...)
}

// MarkerRoot is where markers live in the lake bucket (see the package doc), under the
// prefix the lake's lifecycle expires.
const MarkerRoot = lakelayout.RedrivePrefix + "markers/"

// Lake is the bucket recovery reads and marks.
type Lake struct {
	Client   S3API
	Bucket   string
	Prefixes Prefixes
}

// Object is one listed object.
type Object struct {
	Key          string
	ETag         string
	Size         int64
	LastModified time.Time
	StorageClass string
	// Time is the hour in the key (the arrival of the object's oldest record), zero when the
	// key does not match the template it was listed under.
	Time time.Time
	// ErrorType is the key's error output type (error objects only).
	ErrorType string
}

// HourPrefixes returns the listing prefixes for the hours of [from, to) under template (with
// v's other values, e.g. the error output type): per UTC day, the longest common prefix of
// the evaluated prefixes of its hours in the range.
func HourPrefixes(template string, v firehoseprefix.Values, from, to time.Time) ([]string, error) {
	var out []string
	start := from.UTC().Truncate(time.Hour)
	for day := start; day.Before(to); {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, time.UTC)
		end := next
		if to.Before(end) {
			end = to
		}
		last := end.Add(-time.Nanosecond).UTC().Truncate(time.Hour)
		first, err := evaluateAt(template, v, day)
		if err != nil {
			return nil, err
		}
		lastPrefix, err := evaluateAt(template, v, last)
		if err != nil {
			return nil, err
		}
		out = append(out, commonPrefix(first, lastPrefix))
		day = next
	}
	return out, nil
}

func evaluateAt(template string, v firehoseprefix.Values, t time.Time) (string, error) {
	v.Time = t
	v.Random = func() string { return "" } // a random string ends what can be listed
	p, err := firehoseprefix.Evaluate(template, v)
	if err != nil {
		return "", fmt.Errorf("recovery: %w", err)
	}
	return p, nil
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// List calls fn for every object under prefix, page by page, in key order.
func (l *Lake) List(ctx context.Context, prefix string, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(l.Client, &s3.ListObjectsV2Input{Bucket: aws.String(l.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", l.Bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(objectOf(o)); err != nil {
				return err
			}
		}
	}
	return nil
}

func objectOf(o s3types.Object) Object {
	return Object{
		Key: aws.ToString(o.Key), ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size),
		LastModified: aws.ToTime(o.LastModified).UTC(), StorageClass: string(o.StorageClass),
	}
}

// ErrorTypes returns the error output types that have objects: the folders right under the
// error prefix's static part when the output type comes first in it (one delimiter listing),
// else the types this stack's Firehose writes.
func (l *Lake) ErrorTypes(ctx context.Context) ([]string, error) {
	static := awsrules.StaticPrefix(l.Prefixes.Errors)
	if !strings.HasPrefix(l.Prefixes.Errors, static+awsrules.ErrorOutputTypeExpr+"/") {
		return []string{firehoserec.FormatConversionFailed, firehoserec.ProcessingFailed}, nil
	}
	var types []string
	p := s3.NewListObjectsV2Paginator(l.Client, &s3.ListObjectsV2Input{Bucket: aws.String(l.Bucket), Prefix: aws.String(static), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list error output types under s3://%s/%s: %w", l.Bucket, static, err)
		}
		for _, cp := range page.CommonPrefixes {
			// An error output type has a '-'; a folder without one is another dataset's
			// (errors/<dataset>/, lakelayout.RootsOf).
			if typ := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), static), "/"); strings.Contains(typ, "-") {
				types = append(types, typ)
			}
		}
	}
	slices.Sort(types)
	return types, nil
}

// maxObjectBytes bounds what is read of one object (after gunzip): Firehose's largest buffer
// is 128 MiB; base64 and the error record's keys add a third.
const maxObjectBytes = 256 << 20

// Read returns an object's bytes, gunzipped when they start with gzip's magic bytes.
func (l *Lake) Read(ctx context.Context, key string) ([]byte, error) {
	out, err := l.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", l.Bucket, key, err)
	}
	defer func() { _ = out.Body.Close() }() // read-only: a failed close loses nothing
	body, err := io.ReadAll(io.LimitReader(out.Body, maxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", l.Bucket, key, err)
	}
	return gunzip(body)
}

// gunzip returns b, or its decompression when it starts with gzip's magic bytes (a gzip
// stream of several members, as concatenated .gz files are, is read whole).
func gunzip(b []byte) ([]byte, error) {
	if len(b) > maxObjectBytes {
		return nil, &CorruptError{Reason: fmt.Sprintf("larger than %d MiB", maxObjectBytes>>20)}
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, &CorruptError{Reason: "gzip: " + err.Error()}
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxObjectBytes+1))
	if err != nil {
		return nil, &CorruptError{Reason: "gzip: " + err.Error()}
	}
	if len(out) > maxObjectBytes {
		return nil, &CorruptError{Reason: fmt.Sprintf("larger than %d MiB uncompressed", maxObjectBytes>>20)}
	}
	return out, nil
}

// CorruptError is an object that does not decode: it is reported and skipped.
type CorruptError struct {
	Reason string
}

func (e *CorruptError) Error() string { return "corrupt object: " + e.Reason }

// archived reports whether an object must be restored before GetObject can read it
// (GLACIER_IR and the Intelligent-Tiering access tiers S3 reads directly are fine).
func archived(storageClass string) bool {
	switch s3types.ObjectStorageClass(storageClass) {
	case s3types.ObjectStorageClassGlacier, s3types.ObjectStorageClassDeepArchive:
		return true
	}
	return false
}
