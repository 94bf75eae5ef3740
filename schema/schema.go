// Package schema defines the streamlake event once. The Glue table columns, the API Gateway
// request model and the transform Lambda's validation are all derived from it, so a field is
// never typed twice.
package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// Type is a field's logical type. Its Hive spelling is the Glue column type.
type Type string

// The types an event field may have. Each maps to one Hive type and one JSON Schema type.
const (
	String    Type = "string"
	Timestamp Type = "timestamp"
	Double    Type = "double"
	Long      Type = "bigint"
	Boolean   Type = "boolean"
	StringMap Type = "map<string,string>"
)

// Hive returns the Glue/Hive column type.
func (t Type) Hive() string { return string(t) }

// Known reports whether t is one of the supported types.
func (t Type) Known() bool {
	switch t {
	case String, Timestamp, Double, Long, Boolean, StringMap:
		return true
	}
	return false
}

// Source says who sets a field: the client that posts the event or the pipeline.
type Source int

const (
	// Client fields are sent by producers and validated at the API and in the Lambda.
	Client Source = iota
	// Pipeline fields are set by the transform; a client may not send them.
	Pipeline
)

// Field is one column of the event.
type Field struct {
	Name        string
	Type        Type
	Required    bool
	Source      Source
	Description string
	// MaxLength bounds string values (and map keys/values) in characters; 0 means no bound.
	MaxLength int
	// Minimum bounds numeric values from below when HasMinimum is set.
	Minimum    float64
	HasMinimum bool
}

// Partition is a partition key of the lake: a zero-padded UTC component of occurred_at.
type Partition struct {
	Name string
	// Layout is the Go time layout that produces the key's value.
	Layout string
}

// Schema is an event schema: its fields in column order and the lake's partition keys.
type Schema struct {
	Name   string
	Fields []Field
	// EventTime names the timestamp field that partitions the lake.
	EventTime string
	// ArrivalTime names the pipeline field set from the record's arrival in the stream.
	ArrivalTime string
	// PartitionKey names the field whose value is the Kinesis partition key, so that one
	// key's events stay ordered within a shard.
	PartitionKey string
	// Extras names the map field that keeps unknown client fields when they are kept.
	Extras     string
	Partitions []Partition
}

// Partition keys are fixed by the lake layout year=/month=/day=/hour=.
var hourly = []Partition{
	{Name: "year", Layout: "2006"},
	{Name: "month", Layout: "01"},
	{Name: "day", Layout: "02"},
	{Name: "hour", Layout: "15"},
}

// Default is the learning-progress event of a video player, reported every 30 s per viewer.
func Default() *Schema {
	return &Schema{
		Name: "learning_progress",
		Fields: []Field{
			{Name: "event_id", Type: String, Required: true, MaxLength: 128, Description: "Unique id chosen by the producer; duplicates from retries share it."},
			{Name: "event_type", Type: String, Required: true, MaxLength: 64, Description: "What happened, e.g. progress, play, pause, complete."},
			{Name: "user_id", Type: String, Required: true, MaxLength: 256, Description: "Viewer id; also the Kinesis partition key, so a viewer's events stay ordered."},
			{Name: "occurred_at", Type: Timestamp, Required: true, Description: "When it happened: RFC 3339 with any offset, or epoch seconds or milliseconds."},
			{Name: "content_id", Type: String, MaxLength: 256, Description: "Video or course item watched."},
			{Name: "session_id", Type: String, MaxLength: 256, Description: "Player session."},
			{Name: "position_sec", Type: Double, Minimum: 0, HasMinimum: true, Description: "Playback position in seconds."},
			{Name: "watched_sec", Type: Double, Minimum: 0, HasMinimum: true, Description: "Seconds watched since the previous report."},
			{Name: "attributes", Type: StringMap, MaxLength: 1024, Description: "Free-form string attributes; unknown top-level fields are kept here when unknownFields=keep."},
			{Name: "ingested_at", Type: Timestamp, Source: Pipeline, Description: "When the record reached the stream (set by the pipeline)."},
		},
		EventTime:    "occurred_at",
		ArrivalTime:  "ingested_at",
		PartitionKey: "user_id",
		Extras:       "attributes",
		Partitions:   hourly,
	}
}

// MaxKinesisPartitionKey is the longest partition key Kinesis accepts (256 Unicode characters).
const MaxKinesisPartitionKey = 256

var columnName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Validate checks that the schema can become a Glue table, an API model and a Lambda validator.
// It reports every problem at once.
func (s *Schema) Validate() error {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if len(s.Fields) == 0 {
		add("schema %q has no fields", s.Name)
	}
	seen := map[string]bool{}
	for _, p := range s.Partitions {
		seen[p.Name] = true
	}
	for i, f := range s.Fields {
		switch {
		case !columnName.MatchString(f.Name):
			// Athena and Glue require lowercase names of letters, digits and underscores.
			add("field %d name %q must match %s (lowercase, for Glue and Athena)", i, f.Name, columnName)
		case len(f.Name) > 255:
			add("field %q: name longer than Glue's 255 characters", f.Name)
		case seen[f.Name]:
			add("field %q is declared twice or clashes with a partition key", f.Name)
		}
		seen[f.Name] = true
		if !f.Type.Known() {
			add("field %q has unknown type %q", f.Name, f.Type)
		}
		if f.Source == Pipeline && f.Required {
			add("field %q is set by the pipeline and cannot be required from clients", f.Name)
		}
	}
	check := func(role, name string, want Type, source Source) {
		f, ok := s.Field(name)
		switch {
		case !ok:
			add("%s field %q is not in the schema", role, name)
		case f.Type != want:
			add("%s field %q must be of type %s, is %s", role, name, want, f.Type)
		case f.Source != source:
			add("%s field %q has the wrong source", role, name)
		}
	}
	check("event time", s.EventTime, Timestamp, Client)
	if f, ok := s.Field(s.EventTime); ok && !f.Required {
		add("event time field %q must be required: it decides the partition", s.EventTime)
	}
	check("arrival time", s.ArrivalTime, Timestamp, Pipeline)
	check("partition key", s.PartitionKey, String, Client)
	if f, ok := s.Field(s.PartitionKey); ok {
		if !f.Required {
			add("partition key field %q must be required", s.PartitionKey)
		}
		if f.MaxLength == 0 || f.MaxLength > MaxKinesisPartitionKey {
			add("partition key field %q needs maxLength 1..%d (Kinesis partition key limit)", s.PartitionKey, MaxKinesisPartitionKey)
		}
	}
	if s.Extras != "" {
		check("extras", s.Extras, StringMap, Client)
	}
	if len(s.Partitions) == 0 {
		add("schema %q has no partition keys", s.Name)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid event schema: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Field returns the field called name.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// ClientFields returns the fields a producer may send, in column order.
func (s *Schema) ClientFields() []Field {
	out := make([]Field, 0, len(s.Fields))
	for _, f := range s.Fields {
		if f.Source == Client {
			out = append(out, f)
		}
	}
	return out
}

// RequiredFields returns the names of the fields a producer must send.
func (s *Schema) RequiredFields() []string {
	var out []string
	for _, f := range s.Fields {
		if f.Required {
			out = append(out, f.Name)
		}
	}
	return out
}

// PartitionNames returns the partition key names in lake order (year, month, day, hour).
func (s *Schema) PartitionNames() []string {
	out := make([]string, len(s.Partitions))
	for i, p := range s.Partitions {
		out[i] = p.Name
	}
	return out
}

// TimestampLayout is how the pipeline writes timestamps: UTC with millisecond precision and a
// literal Z. Firehose's JSON→Parquet conversion (OpenX JSON SerDe) parses
// yyyy-MM-dd'T'HH:mm:ss[.S]'Z' into a Glue timestamp column; offsets like +09:00 it does not.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// FirehoseTimestamp matches the timestamp strings Firehose's OpenX JSON SerDe accepts for a
// timestamp column in the 'T'...'Z' form (fraction of up to 9 digits).
var FirehoseTimestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
