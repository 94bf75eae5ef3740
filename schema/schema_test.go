package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateCatchesEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Schema)
		want   string
	}{
		{"uppercase name", func(s *Schema) { s.Fields[0].Name = "EventId" }, `name "EventId" must match`},
		{"duplicate", func(s *Schema) { s.Fields[1].Name = "event_id" }, `"event_id" is declared twice`},
		{"clash with partition", func(s *Schema) { s.Fields[4].Name = "year" }, `"year" is declared twice or clashes with a partition key`},
		{"unknown type", func(s *Schema) { s.Fields[4].Type = "varchar" }, `unknown type "varchar"`},
		{"pipeline required", func(s *Schema) { s.Fields[9].Required = true }, "set by the pipeline and cannot be required"},
		{"event time optional", func(s *Schema) { s.Fields[3].Required = false }, "must be required: it decides the partition"},
		{"event time type", func(s *Schema) { s.EventTime = "user_id" }, `event time field "user_id" must be of type timestamp`},
		{"missing arrival", func(s *Schema) { s.ArrivalTime = "nope" }, `arrival time field "nope" is not in the schema`},
		{"partition key too long", func(s *Schema) { s.Fields[2].MaxLength = 300 }, "needs maxLength 1..256"},
		{"no partitions", func(s *Schema) { s.Partitions = nil }, "has no partition keys"},
	}
	for _, tt := range tests {
		s := Default()
		tt.mutate(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestGlueColumnsFollowFields(t *testing.T) {
	s := Default()
	cols := s.GlueColumns()
	if len(cols) != len(s.Fields) {
		t.Fatalf("%d columns for %d fields", len(cols), len(s.Fields))
	}
	want := map[string]string{"event_id": "string", "occurred_at": "timestamp", "position_sec": "double", "attributes": "map<string,string>", "ingested_at": "timestamp"}
	for _, c := range cols {
		if w, ok := want[c.Name]; ok && c.Type != w {
			t.Errorf("column %s type %s, want %s", c.Name, c.Type, w)
		}
	}
	var parts []string
	for _, p := range s.PartitionColumns() {
		parts = append(parts, p.Name+":"+p.Type)
	}
	if !slices.Equal(parts, []string{"year:string", "month:string", "day:string", "hour:string"}) {
		t.Errorf("partition columns %v", parts)
	}
}

type model struct {
	Schema               string            `json:"$schema"`
	Type                 any               `json:"type"`
	Required             []string          `json:"required"`
	Properties           map[string]*model `json:"properties"`
	AdditionalProperties any               `json:"additionalProperties"`
	Items                *model            `json:"items"`
	MaxItems             int               `json:"maxItems"`
	MaxLength            int               `json:"maxLength"`
	Pattern              string            `json:"pattern"`
}

func TestEventModelFromSchema(t *testing.T) {
	s := Default()
	for _, unknown := range []UnknownFields{KeepUnknown, RejectUnknown} {
		raw, err := s.EventModel(unknown)
		if err != nil {
			t.Fatal(err)
		}
		var m model
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("model is not JSON: %v", err)
		}
		if m.Schema != "http://json-schema.org/draft-04/schema#" {
			t.Errorf("API Gateway models are draft 4, got %q", m.Schema)
		}
		if !slices.Equal(m.Required, s.RequiredFields()) {
			t.Errorf("required %v, want %v", m.Required, s.RequiredFields())
		}
		for _, f := range s.Fields {
			p, ok := m.Properties[f.Name]
			if !ok {
				t.Errorf("field %s missing from the model", f.Name)
				continue
			}
			if forbidden := strings.Contains(raw, `"`+f.Name+`":{"description":"`) && p.Type == nil; forbidden != (f.Source == Pipeline) {
				t.Errorf("field %s: forbidden=%v, pipeline field=%v", f.Name, forbidden, f.Source == Pipeline)
			}
		}
		if !strings.Contains(raw, `"not":{}`) {
			t.Error("pipeline fields must be forbidden with not:{}")
		}
		if got := m.Properties["user_id"].MaxLength; got != 256 {
			t.Errorf("user_id maxLength %d: the partition key must fit Kinesis's 256", got)
		}
		if m.Properties["occurred_at"].Pattern == "" {
			t.Error("occurred_at strings must be checked against RFC 3339")
		}
		if rejects := m.AdditionalProperties == false; rejects != (unknown == RejectUnknown) {
			t.Errorf("unknown=%s: additionalProperties=%v", unknown, m.AdditionalProperties)
		}
	}
	raw, _ := s.BatchModel(KeepUnknown)
	var b model
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatal(err)
	}
	rec := b.Properties["records"]
	if rec == nil || rec.MaxItems != MaxBatchRecords || rec.Items == nil || !slices.Equal(rec.Items.Required, s.RequiredFields()) {
		t.Errorf("batch model records: %+v", rec)
	}
}

func TestFirehoseTimestamp(t *testing.T) {
	for s, ok := range map[string]bool{
		"2026-11-22T02:42:50.000Z":       true,
		"2026-11-22T02:42:50Z":           true,
		"2026-11-22T02:42:50.123456789Z": true,
		"2026-11-22T11:42:50+09:00":      false,
		"2026-11-22 02:42:50":            false,
	} {
		if FirehoseTimestamp.MatchString(s) != ok {
			t.Errorf("%s: match %v", s, !ok)
		}
	}
}

// TestModelPatternsHaveNoBackslashes: API Gateway quotes a failed pattern in the 400 body it
// builds from validationErrorString, escaping quotes but not (documentedly) backslashes, so a
// backslash in a pattern could make that body invalid JSON.
func TestModelPatternsHaveNoBackslashes(t *testing.T) {
	for _, unknown := range []UnknownFields{KeepUnknown, RejectUnknown} {
		ev, _ := Default().EventModel(unknown)
		if strings.Contains(ev, `\\`) {
			t.Errorf("model contains a backslash: %s", ev)
		}
	}
}
