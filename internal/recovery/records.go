package recovery

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// Item is one record of an object, ready to send again.
type Item struct {
	// Ordinal is the record's 1-based position: its line in an error object, its place in a
	// raw object. Markers count in ordinals.
	Ordinal int
	// Data is the record as it is sent again.
	Data []byte
	// ErrorCode is the error record's code (error objects only).
	ErrorCode string
}

// DecodeErrorObject reads every record of an error object. A line that does not decode
// makes the whole object corrupt.
func DecodeErrorObject(body []byte) ([]Item, []firehoserec.Record, error) {
	r := firehoserec.NewReader(bytes.NewReader(body))
	var items []Item
	var recs []firehoserec.Record
	for ordinal := 1; ; ordinal++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return items, recs, nil
		}
		if err != nil {
			return nil, nil, &CorruptError{Reason: fmt.Sprintf("record %d: %v", ordinal, err)}
		}
		items = append(items, Item{Ordinal: ordinal, Data: rec.RawData, ErrorCode: rec.ErrorCode})
		recs = append(recs, rec)
	}
}

// SplitRaw splits a raw backup (source records concatenated without a delimiter) into its
// records, byte for byte. Every record must be a JSON object: concatenated numbers or bare
// words cannot be told apart, so anything else makes the object corrupt.
func SplitRaw(body []byte) ([]Item, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var items []Item
	for ordinal := 1; ; ordinal++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return nil, &CorruptError{Reason: fmt.Sprintf("record %d at byte %d: %v", ordinal, dec.InputOffset(), err)}
		}
		if len(raw) == 0 || raw[0] != '{' {
			return nil, &CorruptError{Reason: fmt.Sprintf("record %d at byte %d is not a JSON object: raw records are split at object boundaries", ordinal, dec.InputOffset()-int64(len(raw)))}
		}
		items = append(items, Item{Ordinal: ordinal, Data: raw})
	}
}

// Fields are the schema fields recovery reads in a record.
type Fields struct {
	// ID is the event id field (examples in reports; dedup key of the saved queries).
	ID string
	// PartitionKey is the field whose value is the Kinesis partition key, as the API sets it.
	PartitionKey string
	// Pipeline fields are set by the transform and refused from producers: removed before a
	// record is sent again.
	Pipeline []string
}

// FieldsOf returns the fields of s (ID is the producer's event_id).
func FieldsOf(s *schema.Schema, idField string) Fields {
	f := Fields{ID: idField, PartitionKey: s.PartitionKey}
	for _, fl := range s.Fields {
		if fl.Source == schema.Pipeline {
			f.Pipeline = append(f.Pipeline, fl.Name)
		}
	}
	return f
}

// Parsed is what recovery learns from a record's data.
type Parsed struct {
	// JSON is whether the data is one JSON object.
	JSON bool
	// EventID is the id field's string value, "" if absent.
	EventID string
	// PartitionKey is the partition key to send the record with.
	PartitionKey string
	// Fallback is set when PartitionKey is FallbackKey.
	Fallback bool
	// Data is the data to send: the record without pipeline fields.
	Data []byte
	// Removed lists the pipeline fields that were removed.
	Removed []string
}

// Parse reads a record's data. The partition key is the schema's partition key field, as the
// API sets it: its string value, or the JSON text of another value. When the field is absent,
// empty, null or too long for Kinesis, or the data is not a JSON object, the key is FallbackKey
// of the data: a record keeps its shard across re-sends, and such records spread evenly.
func (f Fields) Parse(data []byte) Parsed {
	p := Parsed{Data: data}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		p.PartitionKey, p.Fallback = FallbackKey(data), true
		return p
	}
	p.JSON = true
	_ = json.Unmarshal(obj[f.ID], &p.EventID) // a non-string id is no example
	p.PartitionKey = producer.PartitionKeyValue(obj[f.PartitionKey])
	if p.PartitionKey == "" || utf8.RuneCountInString(p.PartitionKey) > schema.MaxKinesisPartitionKey {
		p.PartitionKey, p.Fallback = FallbackKey(data), true
	}
	for _, name := range f.Pipeline {
		if _, ok := obj[name]; ok {
			p.Removed = append(p.Removed, name)
		}
	}
	if len(p.Removed) > 0 {
		p.Data = withoutFields(data, p.Removed)
	}
	return p
}

// FallbackKey is the partition key of a record without a usable partition key field: "sha256:"
// and the first 32 hex digits of the SHA-256 of its data.
func FallbackKey(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// withoutFields removes the named top-level members of a JSON object, keeping every other
// member's bytes and the order. data must be a valid object.
func withoutFields(data []byte, names []string) []byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out bytes.Buffer
	out.WriteByte('{')
	_, _ = dec.Token() // {
	first := true
	for dec.More() {
		tok, _ := dec.Token()
		key, _ := tok.(string)
		var val json.RawMessage
		_ = dec.Decode(&val)
		if slices.Contains(names, key) {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(val)
	}
	out.WriteByte('}')
	return out.Bytes()
}
