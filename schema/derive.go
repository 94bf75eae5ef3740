package schema

import (
	"encoding/json"
	"fmt"
)

// Column is a Glue table column derived from a field.
type Column struct {
	Name    string
	Type    string
	Comment string
}

// GlueColumns returns the table's data columns, in field order, with Hive types.
func (s *Schema) GlueColumns() []Column {
	out := make([]Column, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = Column{Name: f.Name, Type: f.Type.Hive(), Comment: truncate(f.Description, 255)}
	}
	return out
}

// PartitionColumns returns the table's partition keys. They are strings so that the
// zero-padded folder names (month=01) are the values Athena compares against.
func (s *Schema) PartitionColumns() []Column {
	out := make([]Column, len(s.Partitions))
	for i, p := range s.Partitions {
		out[i] = Column{Name: p.Name, Type: "string", Comment: fmt.Sprintf("UTC %s of %s, zero-padded", p.Name, s.EventTime)}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// UnknownFields says what happens to top-level fields the schema does not declare.
type UnknownFields string

const (
	// KeepUnknown moves unknown scalar fields into the extras map as strings.
	KeepUnknown UnknownFields = "keep"
	// RejectUnknown fails the event (400 at the API, error prefix in the lake).
	RejectUnknown UnknownFields = "reject"
)

// MaxBatchRecords is the most records one PutRecords call (and so one batch request) may carry.
const MaxBatchRecords = 500

// jsonSchema is the subset of JSON Schema draft 4 that API Gateway models use.
type jsonSchema struct {
	Schema               string                 `json:"$schema,omitempty"`
	Title                string                 `json:"title,omitempty"`
	Description          string                 `json:"description,omitempty"`
	Type                 any                    `json:"type,omitempty"`
	Properties           map[string]*jsonSchema `json:"properties,omitempty"`
	Required             []string               `json:"required,omitempty"`
	AdditionalProperties any                    `json:"additionalProperties,omitempty"`
	Items                *jsonSchema            `json:"items,omitempty"`
	MinItems             *int                   `json:"minItems,omitempty"`
	MaxItems             *int                   `json:"maxItems,omitempty"`
	MinLength            *int                   `json:"minLength,omitempty"`
	MaxLength            *int                   `json:"maxLength,omitempty"`
	Minimum              *float64               `json:"minimum,omitempty"`
	Pattern              string                 `json:"pattern,omitempty"`
	Not                  *jsonSchema            `json:"not,omitempty"`
}

const draft4 = "http://json-schema.org/draft-04/schema#"

// Client timestamps: RFC 3339 strings or epoch seconds/milliseconds as numbers.
const rfc3339Pattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`

func ptr[T any](v T) *T { return &v }

func (s *Schema) eventSchema(unknown UnknownFields) *jsonSchema {
	props := map[string]*jsonSchema{}
	for _, f := range s.ClientFields() {
		p := &jsonSchema{Description: f.Description}
		switch f.Type {
		case String:
			p.Type = "string"
			if f.Required {
				p.MinLength = ptr(1)
			}
			if f.MaxLength > 0 {
				p.MaxLength = ptr(f.MaxLength)
			}
		case Timestamp:
			// A string must look like RFC 3339; a number is epoch seconds or milliseconds.
			p.Type = []string{"string", "number"}
			p.Pattern = rfc3339Pattern
		case Double:
			p.Type = "number"
		case Long:
			p.Type = "integer"
		case Boolean:
			p.Type = "boolean"
		case StringMap:
			p.Type = "object"
			v := &jsonSchema{Type: "string"}
			if f.MaxLength > 0 {
				v.MaxLength = ptr(f.MaxLength)
			}
			p.AdditionalProperties = v
		}
		if f.HasMinimum {
			p.Minimum = ptr(f.Minimum)
		}
		props[f.Name] = p
	}
	// Pipeline fields may not be sent: {"not": {}} matches no value, so the API answers 400
	// instead of accepting an event the transform would reject.
	for _, f := range s.Fields {
		if f.Source == Pipeline {
			props[f.Name] = &jsonSchema{Description: f.Description + " Set by the pipeline: do not send.", Not: &jsonSchema{}}
		}
	}
	ev := &jsonSchema{
		Type:       "object",
		Properties: props,
		Required:   s.RequiredFields(),
	}
	if unknown == RejectUnknown {
		ev.AdditionalProperties = false
	}
	return ev
}

// EventModel returns the API Gateway request model (JSON Schema draft 4) for one event.
func (s *Schema) EventModel(unknown UnknownFields) (string, error) {
	ev := s.eventSchema(unknown)
	ev.Schema = draft4
	ev.Title = s.Name
	ev.Description = "One " + s.Name + " event."
	return marshal(ev)
}

// BatchModel returns the API Gateway request model for {"records": [event, ...]} with at most
// MaxBatchRecords events, the PutRecords limit.
func (s *Schema) BatchModel(unknown UnknownFields) (string, error) {
	b := &jsonSchema{
		Schema:      draft4,
		Title:       s.Name + "_batch",
		Description: fmt.Sprintf("Up to %d %s events.", MaxBatchRecords, s.Name),
		Type:        "object",
		Properties: map[string]*jsonSchema{
			"records": {Type: "array", MinItems: ptr(1), MaxItems: ptr(MaxBatchRecords), Items: s.eventSchema(unknown)},
		},
		Required:             []string{"records"},
		AdditionalProperties: false,
	}
	return marshal(b)
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("marshal request model: %w", err)
	}
	return string(b), nil
}
