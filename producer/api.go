package producer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/streamlake/streamlake/apispec"
)

// The ingest API's routes under its stage URL (apispec).
const (
	EventsPath = apispec.EventsPath
	BatchPath  = apispec.BatchPath
)

// APIKeyHeader carries the API key.
const APIKeyHeader = apispec.APIKeyHeader

// APIPutter sends events to the ingest API: one per POST to EventsURL, or up to 500 per POST
// of {"records": [...]} to BatchURL when Batch is set.
//
// The API's contract: 200 when every record was stored; on the batch route 429 (some
// throttled), 500 (per-record KMS errors) or 503 (internal failures) with "failed_records": [{"index": i, ...}] naming the
// records to resend; 429/500/503 without failed_records when nothing was stored (retry all,
// after Retry-After); 400 when the request is wrong (never retried); 403 for a missing or
// invalid key (401 or 403 for refused credentials in the other auth modes).
type APIPutter struct {
	Client    *http.Client // default: 30 s timeout (API Gateway's own limit is 29 s)
	EventsURL string
	BatchURL  string
	// Auth authenticates every request; nil sends Key as an API key.
	Auth      Auth
	Key       string
	Batch     bool
	UserAgent string
}

func (a *APIPutter) auth() Auth {
	if a.Auth == nil {
		return APIKeyAuth{Key: a.Key}
	}
	return a.Auth
}

// Limits implements Putter.
func (a *APIPutter) Limits() Limits {
	if a.Batch {
		return APIBatchLimits
	}
	return SingleLimits
}

// apiAnswer is the body of every API response (fields absent in some).
type apiAnswer struct {
	Accepted      *int            `json:"accepted"`
	Failed        *int            `json:"failed"`
	RequestID     string          `json:"request_id"`
	Message       string          `json:"message"`
	FailedRecords *[]apiFailedRec `json:"failed_records"`
}

type apiFailedRec struct {
	Index        int    `json:"index"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// Put implements Putter.
func (a *APIPutter) Put(ctx context.Context, recs []Record) (Result, error) {
	url, req, err := a.newRequest(ctx, recs)
	if err != nil {
		return Result{}, err
	}
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, networkError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return answerOf(url, a.auth().Refused(), resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After")), data)
}

// newRequest builds the POST of recs to the route Batch selects; it returns the route URL.
func (a *APIPutter) newRequest(ctx context.Context, recs []Record) (string, *http.Request, error) {
	url, body := a.EventsURL, []byte(nil)
	if a.Batch {
		url = a.BatchURL
		body = batchBody(recs)
	} else {
		if len(recs) != 1 {
			return "", nil, &RequestError{Action: Reject, Code: "TooManyRecords", Message: fmt.Sprintf("the single-event route takes one event, got %d", len(recs))}
		}
		body = recs[0].Data
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", nil, &RequestError{Action: Abort, Code: "BadURL", Message: err.Error(), Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if a.UserAgent != "" {
		req.Header.Set("User-Agent", a.UserAgent)
	}
	if err := a.auth().Authenticate(ctx, req, body); err != nil {
		return "", nil, &RequestError{Action: Abort, Code: "Credentials", Message: err.Error(), Err: err}
	}
	return url, req, nil
}

// batchBody is {"records":[...]} with each record's data as it is: a record that is not JSON
// is sent all the same, and the API refuses the request (400), as it would a client's.
func batchBody(recs []Record) []byte {
	body := []byte(`{"records":[`)
	for i, r := range recs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r.Data...)
	}
	return append(body, "]}"...)
}

// answerOf reads the API's answer: a per-record answer names the records to resend; otherwise
// the status says whether the request succeeded, may be retried, or can never succeed.
// refused says what a 401 or 403 means for the auth mode.
func answerOf(url, refused string, status int, retryAfter time.Duration, data []byte) (Result, error) {
	var ans apiAnswer
	_ = json.Unmarshal(data, &ans) // bodies API Gateway writes itself may not be ours
	if ans.FailedRecords != nil && len(*ans.FailedRecords) > 0 && (status < 300 || status == 429 || status >= 500) {
		res := Result{RetryAfter: retryAfter}
		for _, f := range *ans.FailedRecords {
			res.Retry = append(res.Retry, Failure{
				Index: f.Index, Code: f.ErrorCode, Message: f.ErrorMessage,
				Throttled: status == http.StatusTooManyRequests || isThrottle(f.ErrorCode) || strings.Contains(f.ErrorCode, "Throughput"),
			})
		}
		return res, nil
	}
	msg := ans.explain(data)
	switch {
	case status >= 200 && status < 300:
		return Result{}, nil
	case status == http.StatusTooManyRequests:
		return Result{}, &RequestError{Action: Retry, Code: "Throttled", Status: status, Message: msg, Throttled: true, RetryAfter: retryAfter}
	case status >= 500:
		return Result{}, &RequestError{Action: Retry, Code: "ServerError", Status: status, Message: msg, RetryAfter: retryAfter}
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Result{}, &RequestError{Action: Abort, Code: "Forbidden", Status: status, Message: refused + ": " + msg}
	case status == http.StatusNotFound:
		return Result{}, &RequestError{Action: Abort, Code: "NotFound", Status: status, Message: "no such route " + url + ": check the API URL: " + msg}
	default:
		// 400, 413, 415: the request itself is wrong; sending it again cannot help.
		return Result{}, &RequestError{Action: Reject, Code: "BadRequest", Status: status, Message: msg}
	}
}

// explain is the answer's message (or its raw body, shortened), with the request id.
func (ans apiAnswer) explain(data []byte) string {
	msg := ans.Message
	if msg == "" {
		msg = strings.TrimSpace(string(data))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
	}
	if ans.RequestID != "" {
		msg += " (request_id " + ans.RequestID + ")"
	}
	return msg
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 if absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
