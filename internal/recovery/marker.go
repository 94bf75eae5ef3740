package recovery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Marker records which records of one object the stream acknowledged (see the package doc).
type Marker struct {
	// Object is the key of the error or raw object.
	Object string `json:"object"`
	// ETag is the object's ETag when its records were read.
	ETag string `json:"etag"`
	// Records is how many records the object holds.
	Records int `json:"records"`
	// Sent are the acknowledged ordinals, as sorted inclusive ranges.
	Sent Ranges `json:"sent"`
	// Complete is set when every record of the object was acknowledged.
	Complete bool `json:"complete"`
	// Stream is the stream of the last run that sent records of the object.
	Stream    string    `json:"stream"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MarkerKey is the key of the marker of object key.
func MarkerKey(key string) string { return MarkerRoot + key + ".json" }

// Ranges are sorted, disjoint, inclusive [first, last] ranges of ordinals.
type Ranges [][2]int

// RangesOf turns a set of ordinals (set[n] for n >= 1) into ranges.
func RangesOf(set []bool) Ranges {
	r := Ranges{}
	for n := 1; n < len(set); n++ {
		if !set[n] {
			continue
		}
		if k := len(r); k > 0 && r[k-1][1] == n-1 {
			r[k-1][1] = n
		} else {
			r = append(r, [2]int{n, n})
		}
	}
	return r
}

// Set returns the ordinals of r as a set for an object of n records; ordinals outside 1..n
// are an error (the marker is not this object's).
func (r Ranges) Set(n int) ([]bool, error) {
	set := make([]bool, n+1)
	for _, rg := range r {
		if rg[0] < 1 || rg[1] < rg[0] || rg[1] > n {
			return nil, fmt.Errorf("range %v outside 1..%d", rg, n)
		}
		for i := rg[0]; i <= rg[1]; i++ {
			set[i] = true
		}
	}
	return set, nil
}

// Count is how many ordinals r holds.
func (r Ranges) Count() int {
	n := 0
	for _, rg := range r {
		n += rg[1] - rg[0] + 1
	}
	return n
}

// MarkedKeys lists the markers under MarkerRoot+prefix and returns the keys of the objects
// they mark.
func (l *Lake) MarkedKeys(ctx context.Context, prefix string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := l.List(ctx, MarkerRoot+prefix, func(o Object) error {
		if k, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, MarkerRoot), ".json"); ok {
			keys[k] = true
		}
		return nil
	})
	return keys, err
}

// ReadMarker reads the marker of object key.
func (l *Lake) ReadMarker(ctx context.Context, key string) (Marker, error) {
	body, err := l.Read(ctx, MarkerKey(key))
	if err != nil {
		return Marker{}, err
	}
	var m Marker
	if err := json.Unmarshal(body, &m); err != nil {
		return Marker{}, fmt.Errorf("marker s3://%s/%s: %w", l.Bucket, MarkerKey(key), err)
	}
	if m.Object != key {
		return Marker{}, fmt.Errorf("marker s3://%s/%s names object %q", l.Bucket, MarkerKey(key), m.Object)
	}
	return m, nil
}

// WriteMarker writes m (PutObject: the bucket's default encryption applies).
func (l *Lake) WriteMarker(ctx context.Context, m Marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode marker of %s: %w", m.Object, err)
	}
	_, err = l.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(l.Bucket), Key: aws.String(MarkerKey(m.Object)),
		Body: bytes.NewReader(b), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("write marker s3://%s/%s: %w", l.Bucket, MarkerKey(m.Object), err)
	}
	return nil
}
