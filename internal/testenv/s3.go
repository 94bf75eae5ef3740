package testenv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FakeS3 serves an in-memory S3 (gofakes3) on 127.0.0.1 until the test ends and returns its
// endpoint. clock, if not nil, stamps LastModified (gofakes3.FixedTimeSource lets a test
// write objects "hours ago").
func FakeS3(t testing.TB, clock gofakes3.TimeSource) string {
	t.Helper()
	var opts []gofakes3.Option
	var bopts []s3mem.Option
	if clock != nil {
		opts = append(opts, gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0))
		bopts = append(bopts, s3mem.WithTimeSource(clock))
	}
	opts = append(opts, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(gofakes3.New(s3mem.New(bopts...), opts...).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// S3Client is a path-style S3 client for a stand-in at endpoint, without SDK retries.
func S3Client(endpoint string) *s3.Client {
	return s3.NewFromConfig(AWSConfig(endpoint), func(o *s3.Options) { o.UsePathStyle = true })
}

// CreateBucket creates a bucket.
func CreateBucket(t testing.TB, c *s3.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// AWSRouter serves one endpoint in front of a Kinesis and an S3 stand-in, for a program that
// sends every client to one --endpoint-url: requests of AWS's JSON protocols (an X-Amz-Target
// header, as Kinesis uses) go to kinesis, the others to s3.
func AWSRouter(t testing.TB, kinesis, s3 string) string {
	t.Helper()
	proxy := func(target string) *httputil.ReverseProxy {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatalf("router target %q: %v", target, err)
		}
		return httputil.NewSingleHostReverseProxy(u)
	}
	k, s := proxy(kinesis), proxy(s3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "" {
			k.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
