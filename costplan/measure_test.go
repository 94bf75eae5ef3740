package costplan

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/lakeparquet"
	"github.com/streamlake/streamlake/internal/openx"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
	"github.com/streamlake/streamlake/vtl"
)

// measureLake writes n generated schema events as the lake does: through the real transform
// into a Parquet file (Parquet bytes), and gzipped as the raw backup (gzip bytes).
func measureLake(t *testing.T, n int) (jsonBytes, parquetBytes, gzipBytes int) {
	t.Helper()
	s := schema.Default()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	g, err := producer.NewGenerator(s, producer.GeneratorOptions{Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transform.New(s, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := openx.NewReader(s.GlueColumns(), false)
	if err != nil {
		t.Fatal(err)
	}
	var pq, gz bytes.Buffer
	w, err := lakeparquet.NewWriter(&pq, s.GlueColumns())
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	for range n {
		rec, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		jsonBytes += len(rec.Data)
		if _, err := zw.Write(rec.Data); err != nil {
			t.Fatal(err)
		}
		out, err := tr.TransformRecord(rec.Data, now)
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Read(out.JSON)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(w.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	return jsonBytes, pq.Len(), gz.Len()
}

// within reports whether measured is within 15 % of the constant.
func within(measured, constant float64) bool { return math.Abs(measured-constant) <= 0.15*constant }

// TestParquetRatioIsMeasured: ParquetRatio and GzipRatio are what the lake's writers make of
// generated events (`go test ./costplan -run Ratio -v` prints them).
func TestParquetRatioIsMeasured(t *testing.T) {
	for _, n := range []int{1200, 10000} {
		j, p, g := measureLake(t, n)
		pr, gr := float64(p)/float64(j), float64(g)/float64(j)
		t.Logf("%d events of %.1f B: Parquet %.3f, gzip %.3f of the JSON", n, float64(j)/float64(n), pr, gr)
		if !within(pr, ParquetRatio) {
			t.Errorf("%d events: Parquet ratio %.3f, ParquetRatio %.2f: update the constant and its comment", n, pr, ParquetRatio)
		}
		if !within(gr, GzipRatio) {
			t.Errorf("%d events: gzip ratio %.3f, GzipRatio %.2f: update the constant and its comment", n, gr, GzipRatio)
		}
	}
}

// TestAccessLogLineBytes: AccessLogLineBytes is the stage's access-log format filled with
// typical values of a successful batch request.
func TestAccessLogLineBytes(t *testing.T) {
	format, err := vtl.AccessLogFormat()
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatal(err)
	}
	typical := map[string]string{
		"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "extendedRequestId": "aBcDeFgHiJkLmNoP=",
		"ip": "203.0.113.17", "apiKeyId": "k2x9q7w1v3", "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"requestTime": "25/Nov/2026:20:28:19 +0000", "httpMethod": "POST", "resourcePath": "/v1/events/batch",
		"status": "200", "protocol": "HTTP/1.1", "responseLength": "64", "responseLatency": "23",
		"integrationStatus": "200", "integrationLatency": "18", "integrationError": "-", "error": "-", "validationError": "-",
	}
	line := map[string]string{}
	for k := range fields {
		v, ok := typical[k]
		if !ok {
			t.Fatalf("no typical value for access-log field %q: add one", k)
		}
		line[k] = v
	}
	b, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("typical access-log line: %d bytes", len(b))
	if !within(float64(len(b)), AccessLogLineBytes) {
		t.Errorf("typical line %d bytes, AccessLogLineBytes %d: %s", len(b), AccessLogLineBytes, strings.TrimSpace(string(b)))
	}
}
