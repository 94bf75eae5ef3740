package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestEmbeddedFile: events.yaml loads; Default would otherwise hand out an empty schema that
// fails Validate with the file's errors.
func TestEmbeddedFile(t *testing.T) {
	if embeddedErr != nil {
		t.Fatalf("%s does not load: %v", EmbeddedFile, embeddedErr)
	}
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	broken := &Schema{loadErr: embeddedErr}
	if _, err := Parse("x.yaml", []byte("name: [")); err == nil {
		t.Fatal("a broken file must not parse")
	} else if broken.loadErr = err; broken.Validate() == nil {
		t.Error("a schema from a file that did not load must fail Validate")
	}
}

// TestFileMatchesTheEvent: the reviewed file declares exactly the event the pipeline was built
// for (the Go literal it replaced): columns in order with types, required fields, limits,
// sources, roles and partitions.
func TestFileMatchesTheEvent(t *testing.T) {
	min0 := func(f Field) Field { f.HasMinimum = true; return f }
	want := &Schema{
		Name:        "learning_progress",
		Description: "The learning-progress event of a video player, reported every 30 s per viewer.",
		Fields: []Field{
			{Name: "event_id", Type: String, Required: true, MaxLength: 128, Description: "Unique id chosen by the producer; duplicates from retries share it."},
			{Name: "event_type", Type: String, Required: true, MaxLength: 64, Description: "What happened, e.g. progress, play, pause, complete."},
			{Name: "user_id", Type: String, Required: true, MaxLength: 256, Description: "Viewer id; also the Kinesis partition key, so a viewer's events stay ordered."},
			{Name: "occurred_at", Type: Timestamp, Required: true, Description: "When it happened: RFC 3339 with any offset, or epoch seconds or milliseconds."},
			{Name: "content_id", Type: String, MaxLength: 256, Description: "Video or course item watched."},
			{Name: "session_id", Type: String, MaxLength: 256, Description: "Player session."},
			min0(Field{Name: "position_sec", Type: Double, Description: "Playback position in seconds."}),
			min0(Field{Name: "watched_sec", Type: Double, Description: "Seconds watched since the previous report."}),
			{Name: "attributes", Type: StringMap, MaxLength: 1024, Description: "Free-form string attributes; unknown top-level fields are kept here when unknownFields=keep."},
			{Name: "ingested_at", Type: Timestamp, Source: Pipeline, Description: "When the record reached the stream (set by the pipeline)."},
		},
		EventTime: "occurred_at", ArrivalTime: "ingested_at", PartitionKey: "user_id", Extras: "attributes",
		Partitions: []Partition{{"year", "2006"}, {"month", "01"}, {"day", "02"}, {"hour", "15"}},
		Queries:    []string{"watch-time-per-user-per-day", "events-per-type-per-hour", "most-recent-events"},
	}
	got := Default()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from the event:\n got %+v\nwant %+v", EmbeddedFile, got, want)
	}
	var cols []string
	for _, c := range got.GlueColumns() {
		cols = append(cols, c.Name+" "+c.Type)
	}
	wantCols := "event_id string, event_type string, user_id string, occurred_at timestamp, content_id string, session_id string, " +
		"position_sec double, watched_sec double, attributes map<string,string>, ingested_at timestamp"
	if strings.Join(cols, ", ") != wantCols {
		t.Errorf("Glue columns\n got %s\nwant %s", strings.Join(cols, ", "), wantCols)
	}
}

// TestDefaultIsACopy: callers (tests, the transform's) change the schema they get.
func TestDefaultIsACopy(t *testing.T) {
	a := Default()
	a.Fields[0].Name = "changed"
	a.Partitions[0].Name = "changed"
	if b := Default(); b.Fields[0].Name != "event_id" || b.Partitions[0].Name != "year" {
		t.Error("Default shares its slices between callers")
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	s := Default()
	b, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("marshalled.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip changed the schema:\n%s", b)
	}
}

// minimal is a valid schema file; tests break one line of it at a time.
const minimal = `name: quiz_answers
roles:
  eventTime: answered_at
  arrivalTime: ingested_at
  partitionKey: user_id
partitions: [year, month, day]
fields:
  - name: user_id
    type: string
    required: true
    maxLength: 64
  - name: answered_at
    type: timestamp
    required: true
  - name: score
    type: bigint
    minimum: 0
  - name: ingested_at
    type: timestamp
    source: pipeline
`

// TestParseErrorsNameLineFieldAndRule: each mistake is reported with the file, the line, the
// field and the rule; several mistakes are all reported.
func TestParseErrorsNameLineFieldAndRule(t *testing.T) {
	if _, err := Parse("quiz.yaml", []byte(minimal)); err != nil {
		t.Fatalf("the minimal file: %v", err)
	}
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"misspelt key", "    maxLength: 64", "    maxlength: 64", []string{"quiz.yaml", "line 11", "field maxlength not found"}},
		{"unknown top-level key", "partitions:", "partition: [year]\npartitions:", []string{"line 6", "field partition not found"}},
		{"wrong YAML type", "    maxLength: 64", "    maxLength: long", []string{"line 11", "cannot unmarshal"}},
		{"unknown type", "    type: bigint", "    type: int", []string{"quiz.yaml:15:", `field "score" has unknown type "int" (one of string, timestamp, double, bigint, boolean, map<string,string>)`}},
		{"missing type", "    type: bigint\n", "", []string{"quiz.yaml:15:", `field "score" has unknown type ""`}},
		{"unknown source", "    source: pipeline", "    source: server", []string{"quiz.yaml:18:", `field "ingested_at": source must be client or pipeline, got "server"`}},
		{"maxLength on a number", "    minimum: 0", "    maxLength: 3", []string{"quiz.yaml:15:", `field "score": maxLength applies to string and map fields, not bigint`}},
		{"minimum on a string", "    maxLength: 64", "    minimum: 1", []string{"quiz.yaml:8:", `field "user_id": minimum applies to double and bigint fields, not string`}},
		{"duplicate", "  - name: score", "  - name: user_id", []string{"quiz.yaml:15:", `"user_id" is declared twice`}},
		{"uppercase", "  - name: score", "  - name: Score", []string{"quiz.yaml:15:", `name "Score" must match`}},
		{"unknown partition", "[year, month, day]", "[year, week]", []string{"quiz.yaml:6:", `unknown partition "week"`}},
		{"partitions out of order", "[year, month, day]", "[month, year]", []string{"quiz.yaml:6:", "must be a prefix of year, month, day, hour"}},
		{"missing role", "  partitionKey: user_id\n", "", []string{"quiz.yaml:2:", "roles.partitionKey is required"}},
		{"role names no field", "eventTime: answered_at", "eventTime: answer_time", []string{"quiz.yaml:3:", `event time field "answer_time" is not in the schema`}},
		{"pipeline required", "    source: pipeline", "    source: pipeline\n    required: true", []string{"quiz.yaml:18:", "set by the pipeline and cannot be required"}},
		{"bad name", "name: quiz_answers", "name: Quiz Answers", []string{"quiz.yaml:1:", `schema name "Quiz Answers" must match`}},
		{"two documents", "fields:", "fields:\n---\nname: x", []string{"one schema per file"}},
		{"not a mapping", minimal, "- a\n- b\n", []string{"must be a YAML mapping"}},
		{"empty", minimal, "", []string{"the file is empty"}},
		{"several problems", "    type: bigint", "    type: int\n    maxLength: -1", []string{`unknown type "int"`, "maxLength must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(minimal, tt.old) {
				t.Fatalf("test input %q not in the minimal file", tt.old)
			}
			_, err := Parse("quiz.yaml", []byte(strings.Replace(minimal, tt.old, tt.new, 1)))
			if err == nil {
				t.Fatal("parsed")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := Parse("big.yaml", bytes.Repeat([]byte("#"), MaxFileBytes+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: %v", err)
	}
}

// loadFile reads and validates a schema file (one dataset's schema, e.g.
// schema/datasets/quiz_answers.yaml) as LoadDataset reads it. Errors name the file, the line,
// the field and the rule.
func loadFile(path string) (*Schema, error) {
	data, err := readSchemaFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.ToSlash(path), data)
}

// TestLoadFileTakesAnyFile: a dataset's schema is any file, not only the embedded one.
func TestLoadFileTakesAnyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quiz_answers.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := loadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "quiz_answers" || len(s.Fields) != 4 || s.PartitionNames()[2] != "day" {
		t.Errorf("loaded %+v", s)
	}
	if _, err := loadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(minimal, "bigint", "int", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadFile(path); err == nil || !strings.Contains(err.Error(), path+":15:") {
		t.Errorf("error must name the file and line: %v", err)
	}
}

// FuzzParse: the loader never panics, and whatever it accepts is a valid schema that survives
// a round trip through YAML unchanged. `go test ./schema -fuzz FuzzParse` runs it for real.
func FuzzParse(f *testing.F) {
	f.Add(eventsFile)
	f.Add([]byte(minimal))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("fields:\n  - name: x\n    minimum: .inf\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("name: x\nroles: 7\nfields: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("a schema and an error")
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid schema: %v", err)
		}
		b, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("again.yaml", b)
		if err != nil {
			t.Fatalf("its own YAML does not parse: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip changed the schema:\n%s", b)
		}
	})
}
