// Package openx reads one transformed record into the Glue table's column values the way
// Firehose's record format conversion does with the OpenX JSON SerDe, configured as the stack
// configures it (case-sensitive keys, dots kept). The local lake converts Ok records with it;
// a record that does not convert is a format-conversion failure with the reason.
//
// What the SerDe does, per AWS's "Converting input record format" page
// (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html) and the
// SerDe's behaviour, and the choices made where neither says:
//
//   - The record is one JSON object (surrounding white space allowed). Keys that are not
//     columns are ignored; a repeated key is an error (the SerDe's org.json refuses it). A
//     missing column or a JSON null is NULL.
//   - string: a JSON string; a number, boolean, object or array becomes its JSON text (the
//     SerDe turns nested JSON into strings; it prints numbers the Java way, e.g. 1.50 as 1.5,
//     which is not emulated: the transform only writes strings here).
//   - double: a JSON number, or a string holding one; non-finite results are an error.
//   - bigint: an integer literal within int64, or a string holding one. A fraction or an
//     exponent is an error (not truncated).
//   - boolean: true or false, or the strings "true"/"false" in any case; any other string is an
//     error (Java would read it as false, silently).
//   - timestamp: yyyy-MM-dd'T'HH:mm:ss[.S]'Z' or yyyy-[M]M-[d]d HH:mm:ss[.S] (up to 9 fraction
//     digits, read as UTC) with a real calendar date and time; or epoch seconds, epoch
//     milliseconds (integers from EpochMillisFrom on) or fractional epoch seconds, as a number
//     or a numeric string. These are the forms AWS lists for the OpenX SerDe.
//   - map<string,string>: a JSON object; string values as they are, null values as NULL,
//     other values as their JSON text; a repeated key is an error.
//
// Strict mode is the transform's output contract instead (see transform/doc.go "Output"):
// every key is a column, nothing is null, each value has exactly its column's JSON type (no
// coercion), timestamps are in the 'T'...'Z' form (schema.FirehoseTimestamp), map values are
// strings and the record is valid UTF-8. Test oracles use it; the local lake does not.
package openx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/streamlake/streamlake/schema"
)

// Value is one column's value. Only the field of the column's type is set; Null says the
// column is NULL.
type Value struct {
	Null bool
	// Str is a string column.
	Str string
	// Time is a timestamp column, in UTC, to the nanosecond.
	Time time.Time
	// F64 is a double column.
	F64 float64
	// I64 is a bigint column.
	I64 int64
	// Bool is a boolean column.
	Bool bool
	// Map is a map<string,string> column, in the record's key order.
	Map []Entry
}

// Entry is one key of a map column; Null says its value is NULL.
type Entry struct {
	Key, Value string
	Null       bool
}

// Row is a record's values, one per column, in column order.
type Row []Value

// ConversionError says why a record does not convert; it never contains the record's data.
type ConversionError struct {
	// Column is empty when the record as a whole is not a JSON object.
	Column string
	Type   schema.Type
	Reason string
}

func (e *ConversionError) Error() string {
	if e.Column == "" {
		return "record: " + e.Reason
	}
	return fmt.Sprintf("column %s (%s): %s", e.Column, e.Type, e.Reason)
}

// Reader converts records to rows for a fixed list of columns.
type Reader struct {
	cols   []schema.Column
	index  map[string]int
	strict bool
}

// NewReader reads records for cols (schema.Schema.GlueColumns). Strict reads the transform's
// output contract instead of what the SerDe accepts (see the package comment).
func NewReader(cols []schema.Column, strict bool) (*Reader, error) {
	r := &Reader{cols: cols, index: make(map[string]int, len(cols)), strict: strict}
	for i, c := range cols {
		if !schema.Type(c.Type).Known() {
			return nil, fmt.Errorf("openx: column %s has type %q, not one of string, timestamp, double, bigint, boolean, map<string,string>", c.Name, c.Type)
		}
		if _, dup := r.index[c.Name]; dup {
			return nil, fmt.Errorf("openx: column %s is declared twice", c.Name)
		}
		r.index[c.Name] = i
	}
	return r, nil
}

// Read converts one record. The error, if any, is a *ConversionError.
func (r *Reader) Read(record []byte) (Row, error) {
	row := make(Row, len(r.cols))
	return row, r.ReadInto(row, record)
}

// ReadInto converts one record into row, which must have one value per column; it lets a
// caller reuse rows.
func (r *Reader) ReadInto(row Row, record []byte) error {
	if len(row) != len(r.cols) {
		return fmt.Errorf("openx: row has %d values for %d columns", len(row), len(r.cols))
	}
	for i := range row {
		row[i] = Value{Null: true}
	}
	if r.strict && !utf8.Valid(record) {
		return &ConversionError{Reason: "not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(record))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return &ConversionError{Reason: "not a JSON object"}
	}
	seen := make([]bool, len(r.cols))
	var unknown map[string]bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return &ConversionError{Reason: "malformed JSON object"}
		}
		key := tok.(string) // object keys are strings once More said there is one
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &ConversionError{Reason: fmt.Sprintf("malformed JSON at the value of key %q", key)}
		}
		i, ok := r.index[key]
		if !ok {
			if r.strict {
				return &ConversionError{Reason: fmt.Sprintf("key %q is not a column", key)}
			}
			if unknown[key] {
				return &ConversionError{Reason: fmt.Sprintf("key %q repeats", key)}
			}
			if unknown == nil {
				unknown = map[string]bool{}
			}
			unknown[key] = true
			continue
		}
		c := r.cols[i]
		if seen[i] {
			return &ConversionError{Column: c.Name, Type: schema.Type(c.Type), Reason: "key repeats"}
		}
		seen[i] = true
		v, reason := r.convert(schema.Type(c.Type), raw)
		if reason != "" {
			return &ConversionError{Column: c.Name, Type: schema.Type(c.Type), Reason: reason}
		}
		row[i] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return &ConversionError{Reason: "malformed JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &ConversionError{Reason: "data after the JSON object"}
	}
	return nil
}
