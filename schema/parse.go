package schema

import "regexp"

// TraceField names the field whose value logs may show to trace a rejected event: the
// producer-chosen event id, which identifies an event but says nothing about the viewer.
// A schema without it is traced by the Firehose record id alone.
const TraceField = "event_id"

// ClientTimestamp matches the timestamp strings a producer may send: RFC 3339 with any offset
// (the pattern of the API Gateway model). The transform accepts exactly these strings, plus
// epoch seconds or milliseconds as JSON numbers, and writes TimestampLayout.
var ClientTimestamp = regexp.MustCompile(rfc3339Pattern)
