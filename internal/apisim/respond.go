package apisim

// The API's answers, as the mapping templates of package vtl write them: gateway responses
// come from vtl.CORS.GatewayResponses itself; the integration responses (SuccessResponse,
// BatchResponse, ClientErrorResponse, ServerErrorResponse) are re-stated here and kept equal
// to the rendered templates by this package's tests.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/vtl"
)

// response is one answer: status, whether it carries Retry-After, and the JSON body.
type response struct {
	status     int
	retryAfter bool
	body       []byte
}

type countsBody struct {
	Accepted  int    `json:"accepted"`
	Failed    int    `json:"failed"`
	RequestID string `json:"request_id"`
}

type batchBody struct {
	Accepted      int            `json:"accepted"`
	Failed        int            `json:"failed"`
	RequestID     string         `json:"request_id"`
	FailedRecords []failedRecord `json:"failed_records"`
}

type failedRecord struct {
	Index        int    `json:"index"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

type errorBody struct {
	Message   string `json:"message"`
	Accepted  int    `json:"accepted"`
	Failed    *int   `json:"failed"` // null on the batch route: the template cannot count them
	RequestID string `json:"request_id"`
}

// Messages of the integration response templates.
const (
	msgThrottled   = "throttled: retry with exponential backoff"
	msgCannotWrite = "the ingest pipeline cannot write to its stream; nothing was stored"
	msgRejected    = "rejected by the stream: "
	msgUnavailable = "the stream is unavailable; retry with exponential backoff"
	msgNoDetails   = "no details"
)

func jsonBody(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // plain structs of strings and ints
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// gatewayResponse is API Gateway's own answer of type typ for an API with keys.
func gatewayResponse(typ string, status int, requestID, validation, message string) response {
	return gatewayResponseFor(apispec.AuthAPIKey, typ, status, requestID, validation, message)
}

// gatewayResponseFor is API Gateway's own answer of type typ (vtl.CORS.GatewayResponsesFor
// the auth mode), with the $context variables substituted as API Gateway does: validation is
// validationErrorString and message becomes messageString (a quoted JSON string).
func gatewayResponseFor(auth apispec.Auth, typ string, status int, requestID, validation, message string) response {
	gr := vtl.CORS{}.GatewayResponsesFor(auth)[typ]
	if s, err := strconv.Atoi(gr.Status); err == nil {
		status = s
	}
	quoted := jsonBody(message)
	escaped := jsonBody(validation)
	body := strings.NewReplacer(
		"$context.requestId", requestID,
		"$context.error.validationErrorString", string(escaped[1:len(escaped)-1]),
		"$context.error.messageString", string(quoted),
	).Replace(gr.Template)
	return response{status: status, body: []byte(body)}
}

// putRecordAnswer is the single route's answer to Kinesis's PutRecord outcome.
func putRecordAnswer(err error, requestID string) response {
	if err != nil {
		one := 1
		return streamErrorAnswer(err, &one, requestID)
	}
	return response{status: http.StatusOK, body: jsonBody(countsBody{Accepted: 1, RequestID: requestID})}
}

// putRecordsAnswer is the batch route's answer to PutRecords: 200 when every record was
// stored, else 429 (some throttled), 500 (KMS and other pipeline errors) or 503, with the
// failed records by index.
func putRecordsAnswer(results []Result, err error, requestID string) response {
	if err != nil {
		return streamErrorAnswer(err, nil, requestID)
	}
	b := batchBody{RequestID: requestID, FailedRecords: []failedRecord{}}
	throttled, broken := false, false
	for i, r := range results {
		if r.ErrorCode == "" {
			continue
		}
		b.FailedRecords = append(b.FailedRecords, failedRecord{Index: i, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage})
		throttled = throttled || containsAny(r.ErrorCode, vtl.ThrottledErrorTypes())
		broken = broken || containsAny(r.ErrorCode, vtl.ServerErrorTypes())
	}
	b.Failed = len(b.FailedRecords)
	b.Accepted = len(results) - b.Failed
	resp := response{status: http.StatusOK, body: jsonBody(b)}
	switch {
	case b.Failed == 0:
		return resp
	case throttled:
		resp.status = http.StatusTooManyRequests
	case broken:
		resp.status = http.StatusInternalServerError
	default:
		resp.status = http.StatusServiceUnavailable
	}
	resp.retryAfter = true
	return resp
}

// tooLargeAnswer is the 413 of a body over its route's limit: what ClientErrorResponse makes
// of Kinesis's refusal of the request template's stand-in (vtl.TooLargeMarker).
func tooLargeAnswer(batch bool, requestID string) response {
	body := errorBody{Message: vtl.TooLargeMessage(batch), RequestID: requestID}
	if !batch {
		one := 1
		body.Failed = &one
	}
	return response{status: http.StatusRequestEntityTooLarge, body: jsonBody(body)}
}

// streamErrorAnswer answers a request Kinesis failed as a whole; failed is the record count
// the template states (1, or null for a batch).
func streamErrorAnswer(err error, failed *int, requestID string) response {
	var se *StreamError
	if !errors.As(err, &se) {
		// No answer from Kinesis at all: API Gateway's DEFAULT_5XX.
		return gatewayResponse("DEFAULT_5XX", http.StatusInternalServerError, requestID, "", "Internal server error")
	}
	body := errorBody{Failed: failed, RequestID: requestID}
	resp := response{status: http.StatusBadRequest}
	switch {
	case se.Status >= 500:
		resp.status, resp.retryAfter, body.Message = http.StatusServiceUnavailable, true, msgUnavailable
	case containsAny(se.Code, vtl.ThrottledErrorTypes()):
		resp.status, resp.retryAfter, body.Message = http.StatusTooManyRequests, true, msgThrottled
	case containsAny(se.Code, vtl.ServerErrorTypes()):
		resp.status, body.Message = http.StatusInternalServerError, msgCannotWrite
	default:
		msg := se.Message
		if msg == "" {
			msg = msgNoDetails
		}
		body.Message = msgRejected + msg
	}
	resp.body = jsonBody(body)
	return resp
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
