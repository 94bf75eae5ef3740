// Package lakefiles writes the local lake's objects under DIR/lake with the keys Firehose gives
// them in the bucket, so the same prefixes, queries and tools work on both:
//
//   - Parquet files (lakeparquet) under the data prefix, its partition folders filled from
//     the keys the transform Lambda returned: data/year=2024/month=05/day=01/hour=12/
//     <stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.parquet.
//   - Raw backups under the raw prefix, at the arrival time of the oldest record: the source
//     records concatenated as they arrived, without delimiters (Firehose's S3 delivery adds
//     none), gzipped, with Firehose's .gz extension.
//   - Error records (firehoserec) under the error prefix, one object per output type and
//     batch, without an extension.
//
// Each file is written to a hidden temporary name in its folder and renamed, so a reader
// (DuckDB globbing data/**/*.parquet) never sees half a file.
package lakefiles

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/lakeparquet"
	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/schema"
)

// Prefixes are the delivery stream's S3 prefixes, as lakelayout.DeliveryPrefixes returns them.
type Prefixes struct {
	Data, Errors, Raw string
}

// Lake writes objects under Root, the local stand-in for the bucket.
type Lake struct {
	// Root is DIR/lake.
	Root     string
	Prefixes Prefixes
	// Stream and Version name objects like the delivery stream's (version 1: never updated).
	Stream  string
	Version int
	// Columns are the Glue table's data columns.
	Columns []schema.Column
	// Now is the clock of object names; nil is time.Now.
	Now func() time.Time
}

// Validate reports what is missing, all at once.
func (l *Lake) Validate() error {
	var errs []error
	if l.Root == "" {
		errs = append(errs, errors.New("lake: Root is required"))
	}
	for name, p := range map[string]string{"Data": l.Prefixes.Data, "Errors": l.Prefixes.Errors, "Raw": l.Prefixes.Raw} {
		if p == "" || strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("lake: prefix %s %q must be a relative S3 prefix", name, p))
		}
	}
	if l.Stream == "" || l.Version < 1 {
		errs = append(errs, fmt.Errorf("lake: Stream (%q) and a Version of at least 1 (%d) name the objects", l.Stream, l.Version))
	}
	if len(l.Columns) == 0 {
		errs = append(errs, errors.New("lake: Columns are required"))
	}
	return errors.Join(errs...)
}

// WriteParquet writes rows as one Parquet file under the data prefix evaluated with the
// partition keys the Lambda returned (and oldest, for an arrival-time prefix), and returns
// its path.
func (l *Lake) WriteParquet(keys map[string]string, oldest time.Time, rows []openx.Row) (string, error) {
	for k, v := range keys {
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, `/\`) {
			return "", fmt.Errorf("lake: partition key %s=%q cannot be a folder name", k, v)
		}
	}
	prefix, err := firehoseprefix.Evaluate(l.Prefixes.Data, firehoseprefix.Values{Time: oldest, PartitionKeys: keys})
	if err != nil {
		return "", fmt.Errorf("lake: %w", err)
	}
	var buf bytes.Buffer
	w, err := lakeparquet.NewWriter(&buf, l.Columns)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return l.put(prefix+l.name()+".parquet", buf.Bytes())
}

// WriteRaw writes the source records, concatenated as they arrived and gzipped, under the
// raw prefix at the arrival time of the oldest, and returns the path.
func (l *Lake) WriteRaw(oldest time.Time, records [][]byte) (string, error) {
	prefix, err := firehoseprefix.Evaluate(l.Prefixes.Raw, firehoseprefix.Values{Time: oldest})
	if err != nil {
		return "", fmt.Errorf("lake: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, r := range records {
		if _, err := zw.Write(r); err != nil {
			return "", fmt.Errorf("lake: gzip raw records: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("lake: gzip raw records: %w", err)
	}
	return l.put(prefix+l.name()+".gz", buf.Bytes())
}

// WriteErrors writes error records of one output type as one object under the error prefix
// at the arrival time of the oldest record, and returns its path.
func (l *Lake) WriteErrors(outputType string, oldest time.Time, recs []firehoserec.Record) (string, error) {
	var obj []byte
	for _, r := range recs {
		var err error
		if obj, err = firehoserec.Append(obj, outputType, r); err != nil {
			return "", fmt.Errorf("lake: %w", err)
		}
	}
	key, err := firehoserec.ObjectKey(l.Prefixes.Errors, outputType, oldest, l.name())
	if err != nil {
		return "", fmt.Errorf("lake: %w", err)
	}
	return l.put(key, obj)
}

func (l *Lake) name() string {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return firehoseprefix.ObjectName(l.Stream, l.Version, now(), uuid.NewString())
}

// put writes data to key under Root through a temporary file in the same folder.
func (l *Lake) put(key string, data []byte) (string, error) {
	root := filepath.Clean(l.Root)
	path := filepath.Join(root, filepath.FromSlash(key))
	if !strings.HasPrefix(path, root+string(filepath.Separator)) {
		return "", fmt.Errorf("lake: key %q leaves the lake folder", key)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lake: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("lake: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("lake: write %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("lake: %w", err)
	}
	return path, nil
}
