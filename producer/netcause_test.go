package producer_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/producer"
)

// deadAddr is a 127.0.0.1 port nothing listens on: one that was free a moment ago.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // it was only borrowed to learn a free port
	return addr
}

// putErr sends one event to url and returns the request's error.
func putErr(t *testing.T, client *http.Client, url string) *producer.RequestError {
	t.Helper()
	p := &producer.APIPutter{Client: client, EventsURL: url, Key: "k"}
	_, err := p.Put(context.Background(), []producer.Record{{ID: "e", PartitionKey: "u", Data: []byte(`{}`)}})
	var re *producer.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("%s: %v is no RequestError", url, err)
	}
	return re
}

// A request without an answer says why in words, naming the server: the reasons of a run
// and its error read "network: connection refused by 127.0.0.1:PORT", not Go's dial text.
func TestNetworkFailuresSayWhyInWords(t *testing.T) {
	dead := deadAddr(t)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer slow.Close()
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
	}))
	defer hangUp.Close()
	host := func(s *httptest.Server) string {
		return strings.TrimPrefix(strings.TrimPrefix(s.URL, "https://"), "http://")
	}
	for _, c := range []struct {
		name, url string
		client    *http.Client
		want      string
	}{
		{"refused", "http://" + dead + "/v1/events", nil, "connection refused by " + dead},
		{"untrusted certificate", tlsSrv.URL + "/v1/events", nil, "TLS: the certificate of " + host(tlsSrv) + " is not trusted (certificate signed by unknown authority"},
		{"plain HTTP on https", "https://" + host(plain) + "/v1/events", nil, "TLS: " + host(plain) + " answered in plain HTTP"},
		{"no answer", slow.URL + "/v1/events", &http.Client{Timeout: 50 * time.Millisecond}, "no answer from " + host(slow) + " in time"},
		{"hung up", hangUp.URL + "/v1/events", nil, host(hangUp) + " closed the connection without an answer"},
	} {
		re := putErr(t, c.client, c.url)
		if re.Code != "network" || re.Action != producer.Retry || !strings.HasPrefix(re.Message, c.want) {
			t.Errorf("%s: %s %v %q, want network, retry, %q", c.name, re.Code, re.Action, re.Message, c.want)
		}
		if re.Err == nil {
			t.Errorf("%s: the error's chain is lost", c.name)
		}
	}
}

// DNS failures, as Go's resolver reports them (a real lookup depends on the machine's
// resolver), name the host.
func TestDNSFailuresNameTheHost(t *testing.T) {
	for _, c := range []struct {
		dns  *net.DNSError
		want string
	}{
		{&net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}, "network: no such host api.example.invalid"},
		{&net.DNSError{Err: "i/o timeout", Name: "api.example.com", IsTimeout: true}, "network: the DNS lookup of api.example.com timed out"},
		{&net.DNSError{Err: "server misbehaving", Name: "api.example.com"}, "network: the DNS lookup of api.example.com failed: server misbehaving"},
	} {
		err := &url.Error{Op: "Post", URL: "https://" + c.dns.Name + "/v1/events", Err: &net.OpError{Op: "dial", Net: "tcp", Err: c.dns}}
		re := producer.ClassifyAWSError(err)
		if got := re.Error(); got != c.want {
			t.Errorf("%v: %q, want %q", err, got, c.want)
		}
	}
	if re := producer.ClassifyAWSError(errors.New("something else")); re.Message != "something else" {
		t.Errorf("an error it does not know keeps its text: %q", re.Message)
	}
}

// Against a dead API a run's reasons and error name the cause, whether the attempts run out
// or the caller's time limit does.
func TestDeadAPIRunNamesTheCause(t *testing.T) {
	dead := deadAddr(t)
	p := &producer.APIPutter{EventsURL: "http://" + dead + "/v1/events", Key: "k"}
	recs := []producer.Record{{ID: "e", PartitionKey: "u", Data: []byte(`{}`)}}
	want := "network: connection refused by " + dead
	sum, err := producer.Run(context.Background(), producer.SliceSource(recs), p, producer.RunOptions{Concurrency: 1, Retry: fastRetry})
	if err == nil || err.Error() != "stopping: a request failed 25 times in a row: "+want || sum.Reasons["failed: gave up after 25 attempts: "+want] != 1 {
		t.Errorf("attempts ran out: %v, reasons %v", err, sum.Reasons)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	slowRetry := producer.RetryPolicy{MaxAttempts: 25, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	sum, err = producer.Run(ctx, producer.SliceSource(recs), p, producer.RunOptions{Concurrency: 1, Retry: slowRetry})
	if err == nil || !strings.HasPrefix(err.Error(), "stopped: the time limit ran out after the last request failed: "+want) ||
		sum.Reasons["failed: not sent: the time limit ran out after the last request failed: "+want] != 1 {
		t.Errorf("time ran out: %v, reasons %v", err, sum.Reasons)
	}
}
