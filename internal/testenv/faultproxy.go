package testenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Faults say how a FaultProxy breaks PutRecords requests. Whole-request faults hit every n-th
// PutRecords request (a schedule, so each kind shows up in a short test whatever the order of
// concurrent requests); 0 turns one off. Other requests have each entry dropped with DropEntry.
type Faults struct {
	// ThrottleEvery answers 400 ProvisionedThroughputExceededException without forwarding.
	ThrottleEvery int
	// FailEvery answers 500 InternalFailure without forwarding.
	FailEvery int
	// LoseEvery forwards the request (the records are stored) and then answers 500
	// InternalFailure, as when a response is lost: a producer retrying it stores duplicates.
	LoseEvery int
	// DropEntry withholds an entry from Kinesis and reports it failed at its index with
	// ProvisionedThroughputExceededException (or, one time in five, InternalFailure).
	DropEntry float64
	// Delay is added to every request, PutRecords or not, like a network round trip.
	Delay time.Duration
}

func (f Faults) any() bool {
	return f.ThrottleEvery+f.FailEvery+f.LoseEvery != 0 || f.DropEntry != 0
}

// FaultProxy sits between a producer and kinesalite (which never throttles) and injects the
// failures real Kinesis produces under load: partial PutRecords failures with HTTP 200 and
// FailedRecordCount, whole-request throttling and server errors, and lost responses. It counts
// what it did so a test can check the producer's accounting against it. Requests other than
// PutRecords pass through untouched.
type FaultProxy struct {
	URL string

	upstream string
	faults   Faults
	mu       sync.Mutex
	rnd      *mrand.Rand
	counts   FaultCounts
	// lost holds the data (base64) of records stored under a lost response.
	lost map[string]int
}

// FaultCounts is what a FaultProxy did.
type FaultCounts struct {
	PutRecordsRequests int
	ThrottledRequests  int // 400 ProvisionedThroughputExceededException
	FailedRequests     int // 500 without storing
	LostResponses      int // stored, then 500
	PartialRequests    int // 200 with FailedRecordCount > 0
	// Records not stored because of a fault: the producer must re-send exactly these.
	RecordsRefused int
	// Records stored although the producer was told they failed (lost responses).
	RecordsStoredUnacknowledged int
	DroppedEntries              int
}

// NewFaultProxy starts a proxy in front of upstream (a kinesalite endpoint) with a fixed seed,
// closed at test cleanup.
func NewFaultProxy(t testing.TB, upstream string, f Faults, seed uint64) *FaultProxy {
	p := &FaultProxy{upstream: upstream, faults: f, rnd: mrand.New(mrand.NewPCG(seed, seed+1)), lost: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Counts returns what the proxy did so far.
func (p *FaultProxy) Counts() FaultCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts
}

// StoredUnacknowledged reports whether a record with this data was stored under a lost
// response (so a second copy of it in the stream is expected).
func (p *FaultProxy) StoredUnacknowledged(data []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost[base64.StdEncoding.EncodeToString(data)] > 0
}

type putRecordsIn struct {
	StreamName string            `json:"StreamName,omitempty"`
	StreamARN  string            `json:"StreamARN,omitempty"`
	Records    []json.RawMessage `json:"Records"`
}

type putRecordsOut struct {
	FailedRecordCount int               `json:"FailedRecordCount"`
	Records           []json.RawMessage `json:"Records"`
	EncryptionType    string            `json:"EncryptionType,omitempty"`
}

const amzJSON = "application/x-amz-json-1.1"

// ServeHTTP forwards r, breaking PutRecords requests as the faults say.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if p.faults.Delay > 0 {
		time.Sleep(p.faults.Delay)
	}
	var in putRecordsIn
	if r.Header.Get("X-Amz-Target") != "Kinesis_20131202.PutRecords" || !p.faults.any() || json.Unmarshal(body, &in) != nil {
		p.forward(w, r, body) // kinesalite answers a malformed request itself
		return
	}
	if p.failWhole(w, r, body, in) {
		return
	}
	p.failSome(w, r, in)
}

// failWhole applies the whole-request faults due for this request; it reports whether it
// answered.
func (p *FaultProxy) failWhole(w http.ResponseWriter, r *http.Request, body []byte, in putRecordsIn) bool {
	p.mu.Lock()
	p.counts.PutRecordsRequests++
	n := p.counts.PutRecordsRequests
	nth := func(every int) bool { return every > 0 && n%every == 0 }
	switch {
	case nth(p.faults.ThrottleEvery):
		p.counts.ThrottledRequests++
		p.counts.RecordsRefused += len(in.Records)
		p.mu.Unlock()
		awsError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException", "Rate exceeded for stream "+in.StreamName+" (fault proxy)")
	case nth(p.faults.FailEvery):
		p.counts.FailedRequests++
		p.counts.RecordsRefused += len(in.Records)
		p.mu.Unlock()
		awsError(w, http.StatusInternalServerError, "InternalFailure", "injected internal failure (fault proxy)")
	case nth(p.faults.LoseEvery):
		p.mu.Unlock()
		p.loseResponse(r, body, in)
		awsError(w, http.StatusInternalServerError, "InternalFailure", "injected lost response (records were stored)")
	default:
		p.mu.Unlock()
		return false
	}
	return true
}

// loseResponse stores the records upstream and remembers them as stored unacknowledged.
func (p *FaultProxy) loseResponse(r *http.Request, body []byte, in putRecordsIn) {
	status, _, _ := p.roundTrip(r, body)
	if status != http.StatusOK {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.LostResponses++
	p.counts.RecordsStoredUnacknowledged += len(in.Records)
	for _, raw := range in.Records {
		var e struct{ Data string }
		_ = json.Unmarshal(raw, &e)
		p.lost[e.Data]++
	}
}

// failSome withholds some entries, forwards the rest and merges the answers by index.
func (p *FaultProxy) failSome(w http.ResponseWriter, r *http.Request, in putRecordsIn) {
	drop, keep := p.pickDropped(in.Records)
	var upstream putRecordsOut
	if len(keep) > 0 {
		fwd := in
		fwd.Records = keep
		fb, err := json.Marshal(fwd)
		if err != nil {
			awsError(w, http.StatusInternalServerError, "InternalFailure", "fault proxy: "+err.Error())
			return
		}
		status, respBody, hdr := p.roundTrip(r, fb)
		if status != http.StatusOK {
			writeResponse(w, status, respBody, hdr)
			return
		}
		if err := json.Unmarshal(respBody, &upstream); err != nil || len(upstream.Records) != len(keep) {
			awsError(w, http.StatusInternalServerError, "InternalFailure", fmt.Sprintf("fault proxy: bad upstream answer: %v", err))
			return
		}
	}
	out := p.merge(in, drop, upstream)
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", amzJSON)
	_, _ = w.Write(b)
}

// pickDropped draws the entries to withhold: drop holds the error code per withheld index.
func (p *FaultProxy) pickDropped(recs []json.RawMessage) (drop []string, keep []json.RawMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	drop = make([]string, len(recs))
	for i, raw := range recs {
		if p.rnd.Float64() >= p.faults.DropEntry {
			keep = append(keep, raw)
			continue
		}
		drop[i] = "ProvisionedThroughputExceededException"
		if p.rnd.IntN(5) == 0 {
			drop[i] = "InternalFailure"
		}
	}
	return drop, keep
}

// merge puts the upstream results and the withheld entries' errors back in request order.
func (p *FaultProxy) merge(in putRecordsIn, drop []string, upstream putRecordsOut) putRecordsOut {
	out := putRecordsOut{Records: make([]json.RawMessage, len(in.Records)), EncryptionType: upstream.EncryptionType, FailedRecordCount: upstream.FailedRecordCount}
	k, dropped := 0, 0
	for i := range in.Records {
		if drop[i] == "" {
			out.Records[i] = upstream.Records[k]
			k++
			continue
		}
		msg := "Rate exceeded for shard shardId-000000000000 in stream " + in.StreamName + " (fault proxy)"
		if drop[i] == "InternalFailure" {
			msg = "Internal service failure (fault proxy)"
		}
		out.Records[i], _ = json.Marshal(map[string]string{"ErrorCode": drop[i], "ErrorMessage": msg})
		out.FailedRecordCount++
		dropped++
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.DroppedEntries += dropped
	p.counts.RecordsRefused += dropped
	if out.FailedRecordCount > 0 {
		p.counts.PartialRequests++
	}
	return out
}

func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	status, respBody, hdr := p.roundTrip(r, body)
	writeResponse(w, status, respBody, hdr)
}

func writeResponse(w http.ResponseWriter, status int, body []byte, hdr http.Header) {
	copyHeader(w.Header(), hdr)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (p *FaultProxy) roundTrip(r *http.Request, body []byte) (int, []byte, http.Header) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error()), http.Header{}
	}
	copyHeader(req.Header, r.Header)
	req.Header.Del("Content-Length")
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error()), http.Header{}
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", amzJSON)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	_, _ = w.Write(b)
}
