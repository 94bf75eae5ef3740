// Package vtl renders the API Gateway mapping templates (Velocity) of the ingest API: requests
// to Kinesis PutRecord/PutRecords and the responses that turn Kinesis results into honest HTTP
// status codes. It is plain Go so the templates can be tested without AWS.
package vtl

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/streamlake/streamlake/apispec"
)

// ContentType is the only request content type the API accepts.
const ContentType = "application/json"

// KinesisContentType is the content type Kinesis's JSON protocol requires.
const KinesisContentType = "application/x-amz-json-1.1"

// RecordsField is the batch body's array of events: {"records": [...]}.
const RecordsField = "records"

// escape renders a VTL string as a JSON string body. $util.escapeJavaScript also escapes
// single quotes as \' which is not valid JSON, so they are put back. The reference is quiet
// ($!): when expr is null it renders nothing instead of its own text, which would carry
// unescaped quotes into the JSON.
func escape(expr string) string {
	return fmt.Sprintf(`$!util.escapeJavaScript(%s).replaceAll("\\'", "'")`, expr)
}

// PutRecordRequest maps POST /v1/events to Kinesis PutRecord. The record is the body exactly
// as sent; the partition key is the event's partitionKey field, so one key's events stay
// ordered within a shard. A body over apispec.MaxEventBytes is not forwarded (tooLargeGuard).
func PutRecordRequest(stream, partitionKey string) string {
	return tooLargeGuard(apispec.MaxEventBytes,
		fmt.Sprintf(`{"StreamName": "%s", %s}`, stream, tooLargeEntry),
		fmt.Sprintf(`{
  "StreamName": "%s",
  "Data": "$util.base64Encode($input.body)",
  "PartitionKey": "%s"
}`, stream, escape(fmt.Sprintf("$input.path('$.%s')", partitionKey))))
}

// PutRecordsRequest maps POST /v1/events/batch ({"records": [...]}) to one PutRecords call:
// each element becomes one record, re-serialised as JSON, keyed like PutRecordRequest. A body
// over apispec.MaxBatchBytes is not forwarded (tooLargeGuard).
func PutRecordsRequest(stream, partitionKey string) string {
	return tooLargeGuard(apispec.MaxBatchBytes,
		fmt.Sprintf(`{"StreamName": "%s", "Records": [{%s}]}`, stream, tooLargeEntry),
		fmt.Sprintf(`{
  "StreamName": "%s",
  "Records": [
#foreach($r in $input.path('$.%s'))
    {
      "Data": "$util.base64Encode($input.json("$.%s[$foreach.index]"))",
      "PartitionKey": "%s"
    }#if($foreach.hasNext),#end
#end
  ]
}`, stream, RecordsField, RecordsField, escape("$r."+partitionKey)))
}

// TooLargeMarker is the ExplicitHashKey of the record a request template sends instead of a
// body over its route's limit. A mapping template cannot answer a request itself (only the
// integration's response can be mapped), so the template makes sure nothing can be stored:
// it sends one empty record whose ExplicitHashKey breaks Kinesis's pattern 0|([1-9]\d{0,38}).
// Kinesis refuses the whole request with a ValidationException naming explicitHashKey, which
// no forwarded event can cause (the templates never set one), and ClientErrorResponse turns
// it into 413.
const TooLargeMarker = "request-body-too-large"

// tooLargeEntry is the refused record's fields.
const tooLargeEntry = `"Data": "", "PartitionKey": "-", "ExplicitHashKey": "` + TooLargeMarker + `"`

// tooLargeGuard sends tooLarge instead of request when the body is longer than limit, as
// Java counts a String ($input.body.length(): UTF-16 code units; apispec.BodyLength).
func tooLargeGuard(limit int, tooLarge, request string) string {
	return fmt.Sprintf("#if($input.body.length() > %d)\n%s\n#else\n%s\n#end", limit, tooLarge, request)
}

// TooLargeMessage is the 413 answer's message for a route's body over its limit.
func TooLargeMessage(batch bool) string {
	if batch {
		return fmt.Sprintf("request too large: POST /v1/events/batch takes at most %d events and %d characters", apispec.MaxBatchRecords, apispec.MaxBatchBytes)
	}
	return fmt.Sprintf("request too large: POST /v1/events takes one event of at most %d characters", apispec.MaxEventBytes)
}

// CORS is the set of origins allowed to call the API from a browser.
type CORS struct {
	Origins []string
}

// Enabled reports whether any origin is allowed.
func (c CORS) Enabled() bool { return len(c.Origins) > 0 }

// snippet sets Access-Control-Allow-Origin to the request's Origin when it is allowed (or to *
// when every origin is). It starts every response template. With an allow-list the answer
// depends on Origin, so every response says Vary: Origin, allowed or not, and no cache hands
// one origin's answer to another.
func (c CORS) snippet() string {
	if !c.Enabled() {
		return ""
	}
	if len(c.Origins) == 1 && c.Origins[0] == "*" {
		return "#set($context.responseOverride.header.Access-Control-Allow-Origin = \"*\")\n"
	}
	quoted := make([]string, len(c.Origins))
	for i, o := range c.Origins {
		quoted[i] = fmt.Sprintf("%q", o)
	}
	return fmt.Sprintf(`#set($allowedOrigins = [%s])
#set($origin = "$!input.params().header.get('Origin')")
#if($origin == "")#set($origin = "$!input.params().header.get('origin')")#end
#if($allowedOrigins.contains($origin))
#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
#end
#set($context.responseOverride.header.Vary = "Origin")
`, strings.Join(quoted, ", "))
}

// throttledTypes are Kinesis error types that mean "slow down and retry".
var throttledTypes = []string{"ProvisionedThroughputExceeded", "ThrottlingException", "LimitExceeded", "KMSThrottling"}

// serverTypes are Kinesis 4xx error types that are the pipeline's fault, not the caller's.
var serverTypes = []string{"AccessDenied", "ResourceNotFound", "ResourceInUse", "KMS", "UnrecognizedClient", "MissingAuthenticationToken", "IncompleteSignature", "ExpiredToken", "InvalidSignature"}

func containsAny(v string, needles []string) string {
	parts := make([]string, len(needles))
	for i, n := range needles {
		parts[i] = fmt.Sprintf("%s.contains(%q)", v, n)
	}
	return strings.Join(parts, " || ")
}

// SuccessResponse answers a PutRecord that Kinesis accepted.
func (c CORS) SuccessResponse() string {
	return c.snippet() + `{"accepted": 1, "failed": 0, "request_id": "$context.requestId"}`
}

// BatchResponse answers PutRecords. Kinesis returns HTTP 200 even when records failed, so a
// batch with failed records is answered 429 (some were throttled: retry those) or 503
// (internal failures), never 200, with the index of every failed record so that a client
// resends only those. The count is Kinesis's FailedRecordCount; that field is optional in
// Kinesis's API, so without it the records carrying an ErrorCode are counted.
func (c CORS) BatchResponse() string {
	return c.snippet() + fmt.Sprintf(`#set($records = $input.path('$.Records'))
#set($failed = 0)
#set($throttled = false)
#set($broken = false)
#foreach($r in $records)
#set($code = "$!r.ErrorCode")
#if($code != "")
#set($failed = $failed + 1)
#if(%s)#set($throttled = true)#elseif(%s)#set($broken = true)#end
#end
#end
#if("$!input.path('$.FailedRecordCount')" != "")#set($failed = $input.path('$.FailedRecordCount'))#end
#if($failed > 0)
#if($throttled)
#set($context.responseOverride.status = 429)
#elseif($broken)
#set($context.responseOverride.status = 500)
#else
#set($context.responseOverride.status = 503)
#end
#set($context.responseOverride.header.Retry-After = "1")
#end
#set($accepted = $records.size() - $failed)
{"accepted": $accepted, "failed": $failed, "request_id": "$context.requestId", "failed_records": [
#set($sep = "")
#foreach($r in $records)
#if("$!r.ErrorCode" != "")
${sep}{"index": $foreach.index, "error_code": "%s", "error_message": "%s"}
#set($sep = ",")
#end
#end
]}`, containsAny("$code", throttledTypes), containsAny("$code", serverTypes), escape("$r.ErrorCode"), escape("$r.ErrorMessage"))
}

// ClientErrorResponse answers a Kinesis 4xx. Throttling becomes 429 with Retry-After; errors
// that are the pipeline's (permissions, missing stream, KMS) become 500; Kinesis's refusal of
// a request template's stand-in for a body over the route's limit (TooLargeMarker) becomes 413
// with tooLarge (TooLargeMessage); the rest (e.g. a record over 1 MiB) are the caller's: 400
// with Kinesis's message ("message", or "Message" as some AWS errors spell it). A body that is
// not a JSON object is not parsed (that would fail the whole response): it counts as the
// caller's, with "no details".
func (c CORS) ClientErrorResponse(records, tooLarge string) string {
	return c.snippet() + fmt.Sprintf(`#set($type = "")
#set($message = "")
#if($input.body.trim().startsWith("{"))
#set($type = "$!input.path('$.__type')")
#set($message = "$!input.path('$.message')")
#if($message == "")#set($message = "$!input.path('$.Message')")#end
#end
#if($message == "")#set($message = "no details")#end
#if($type.contains("ValidationException") && $message.contains("explicitHashKey"))
#set($context.responseOverride.status = 413)
{"message": "%s", "accepted": 0, "failed": %s, "request_id": "$context.requestId"}
#elseif(%s)
#set($context.responseOverride.status = 429)
#set($context.responseOverride.header.Retry-After = "1")
{"message": "throttled: retry with exponential backoff", "accepted": 0, "failed": %s, "request_id": "$context.requestId"}
#elseif(%s)
#set($context.responseOverride.status = 500)
{"message": "the ingest pipeline cannot write to its stream; nothing was stored", "accepted": 0, "failed": %s, "request_id": "$context.requestId"}
#else
{"message": "rejected by the stream: %s", "accepted": 0, "failed": %s, "request_id": "$context.requestId"}
#end`, tooLarge, records, containsAny("$type", throttledTypes), records, containsAny("$type", serverTypes), records, escape("$message"), records)
}

// ServerErrorResponse answers a Kinesis 5xx: nothing was stored, retry later. It does not read
// the body, which a 5xx may not have as JSON.
func (c CORS) ServerErrorResponse(records string) string {
	return c.snippet() + fmt.Sprintf(`#set($context.responseOverride.header.Retry-After = "1")
{"message": "the stream is unavailable; retry with exponential backoff", "accepted": 0, "failed": %s, "request_id": "$context.requestId"}`, records)
}

// SingleRecordCount and BatchRecordCount are the JSON values error bodies give as "failed"
// when a whole request failed. A response template sees Kinesis's answer, not the request, so
// it cannot count a failed batch's records: a batch says null (all of them; "accepted" is 0).
const (
	SingleRecordCount = "1"
	BatchRecordCount  = "null"
)

// PreflightRequest is the MOCK integration's request template for OPTIONS.
const PreflightRequest = `{"statusCode": 200}`

// PreflightResponse answers an OPTIONS preflight.
func (c CORS) PreflightResponse() string {
	return c.snippet() + "{}"
}

// PreflightHeaders are the static preflight headers (as API Gateway parameter values) for an
// auth mode: the request headers its browsers send.
func PreflightHeaders(auth apispec.Auth) map[string]string {
	return map[string]string{
		"method.response.header.Access-Control-Allow-Methods": "'POST,OPTIONS'",
		"method.response.header.Access-Control-Allow-Headers": "'" + strings.Join(auth.RequestHeaders(), ",") + "'",
		"method.response.header.Access-Control-Max-Age":       "'600'",
	}
}

// GatewayResponse is a response API Gateway sends itself (validation, auth, throttling).
type GatewayResponse struct {
	Status     string
	Template   string
	Parameters map[string]string
}

// GatewayResponses are the gateway responses of an API with API keys.
func (c CORS) GatewayResponses() map[string]GatewayResponse {
	return c.GatewayResponsesFor(apispec.AuthAPIKey)
}

// routes names the API's routes in error messages.
const routes = "POST /v1/events or POST /v1/events/batch"

// GatewayResponsesFor gives every error API Gateway produces a JSON body that says what was
// wrong; a bad body names the field and the rule (validationErrorString), a refused caller
// what the auth mode expects.
func (c CORS) GatewayResponsesFor(auth apispec.Auth) map[string]GatewayResponse {
	params := map[string]string{}
	if c.Enabled() {
		if len(c.Origins) == 1 {
			params["gatewayresponse.header.Access-Control-Allow-Origin"] = "'" + c.Origins[0] + "'"
		} else {
			// Error bodies carry no data, so echoing the caller's origin is safe here; gateway
			// responses cannot run the allow-list check of the integration templates.
			params["gatewayresponse.header.Access-Control-Allow-Origin"] = "method.request.header.origin"
			params["gatewayresponse.header.Vary"] = "'Origin'"
		}
	}
	body := func(msg string) string {
		return fmt.Sprintf(`{"message": %s, "request_id": "$context.requestId"}`, msg)
	}
	out := map[string]GatewayResponse{
		// API Gateway escapes the quotes inside validationErrorString itself. Whether it escapes
		// backslashes is not documented, and the validator quotes a failed pattern in its
		// message: keep backslashes out of model patterns ([.] rather than \.), or this body may
		// not be JSON exactly when such a pattern fails.
		"BAD_REQUEST_BODY":             {"400", body(`"invalid request body: $context.error.validationErrorString"`), params},
		"BAD_REQUEST_PARAMETERS":       {"400", body(`$context.error.messageString`), params},
		"UNSUPPORTED_MEDIA_TYPE":       {"415", body(`"send Content-Type: application/json"`), params},
		"INVALID_API_KEY":              {"403", body(`"missing or invalid x-api-key header"`), params},
		"MISSING_AUTHENTICATION_TOKEN": {"404", body(`"no such route: ` + routes + `"`), params},
		"THROTTLED":                    {"429", body(`"throttled: retry with exponential backoff"`), params},
		"QUOTA_EXCEEDED":               {"429", body(`"daily quota of this API key exceeded"`), params},
		"REQUEST_TOO_LARGE":            {"413", body(`"request too large"`), params},
		"WAF_FILTERED":                 {"403", body(`"blocked by the API's firewall (AWS WAF)"`), params},
		// messageString is already a quoted JSON string.
		"DEFAULT_4XX": {"", body(`$context.error.messageString`), params},
		"DEFAULT_5XX": {"", body(`$context.error.messageString`), params},
	}
	for typ, gr := range authResponses(auth) {
		gr.Template, gr.Parameters = body(gr.Template), params
		out[typ] = gr
	}
	return out
}

// authResponses are the gateway responses that refuse a caller, worded for the auth mode
// (Template holds the message expression only).
func authResponses(auth apispec.Auth) map[string]GatewayResponse {
	switch auth {
	case apispec.AuthIAM:
		return map[string]GatewayResponse{
			// API Gateway answers an unsigned request to an IAM route as it answers an unknown
			// route, so the message names both causes.
			"MISSING_AUTHENTICATION_TOKEN": {Status: "403", Template: `"missing SigV4 signature (service execute-api, header Authorization), or no such route: ` + routes + `"`},
			"INVALID_SIGNATURE":            {Status: "403", Template: `$context.error.messageString`},
			"EXPIRED_TOKEN":                {Status: "403", Template: `$context.error.messageString`},
			"UNAUTHORIZED":                 {Status: "403", Template: `$context.error.messageString`},
			"ACCESS_DENIED":                {Status: "403", Template: `"not allowed: the caller's IAM policy needs execute-api:Invoke on this route"`},
		}
	case apispec.AuthJWT:
		return map[string]GatewayResponse{
			"UNAUTHORIZED":  {Status: "401", Template: `"missing, expired or invalid token: send Authorization with a token of the API's Cognito user pool"`},
			"ACCESS_DENIED": {Status: "403", Template: `"the token lacks a scope this route requires"`},
		}
	}
	return nil
}

// AccessLogFormat is the stage's JSON access log line.
func AccessLogFormat() (string, error) {
	fields := map[string]string{
		"requestId":          "$context.requestId",
		"extendedRequestId":  "$context.extendedRequestId",
		"ip":                 "$context.identity.sourceIp",
		"apiKeyId":           "$context.identity.apiKeyId",
		"userAgent":          "$context.identity.userAgent",
		"requestTime":        "$context.requestTime",
		"httpMethod":         "$context.httpMethod",
		"resourcePath":       "$context.resourcePath",
		"status":             "$context.status",
		"protocol":           "$context.protocol",
		"responseLength":     "$context.responseLength",
		"responseLatency":    "$context.responseLatency",
		"integrationStatus":  "$context.integration.status",
		"integrationLatency": "$context.integration.latency",
		"integrationError":   "$context.integration.error",
		"error":              "$context.error.message",
		"validationError":    "$context.error.validationErrorString",
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return "", fmt.Errorf("access log format: %w", err)
	}
	return string(b), nil
}
