// Package firehoserec reads and writes the error records Firehose puts under a delivery
// stream's error prefix: one JSON object per line, each carrying a failed record's original
// bytes in base64 (rawData) and why it failed. The local lake writes them; the ops CLI's
// errors and redrive commands read them, so both sides share this one definition.
//
// The formats are AWS's (testdata/SOURCES.md lists the pages, kept verbatim in testdata):
//
//   - processing-failed (the transform Lambda failed the record, or its invocation failed):
//     attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData,
//     lambdaArn.
//   - format-conversion-failed (the record did not convert to the Glue table's columns):
//     attemptsMade, arrivalTimestamp, lastErrorCode, lastErrorMessage, attemptEndingTimestamp,
//     rawData, sequenceNumber, subSequenceNumber, dataCatalogTable{catalogId, databaseName,
//     tableName, region, versionId, catalogArn}.
//
// Writing uses exactly those keys in that order, timestamps as epoch milliseconds. Reading is
// tolerant where AWS's own pages and real objects differ: key case is ignored (the current
// page spells ErrorCode, records in the wild lambdaARN), lastErrorCode and errorCode are the
// same field, numbers may come as numeric strings (the processing-failed page shows
// "attemptsMade": "count"), and unknown keys are ignored. rawData is strict: it must be
// present and be standard padded base64 without line breaks, because it is the record a
// redrive sends again. AWS documents no JSON format for dynamic-partitioning failures; such
// records are read like the others (any kind with errorCode/errorMessage/rawData decodes).
package firehoserec

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/streamlake/streamlake/internal/firehoseprefix"
)

// Error output types: the values of !{firehose:error-output-type} this stack can produce.
const (
	ProcessingFailed       = "processing-failed"
	FormatConversionFailed = "format-conversion-failed"
)

// Error codes and messages the local lake writes. Firehose does not document them; these are
// the ones it is seen to write (the message of a ProcessingFailed record included).
const (
	CodeProcessingFailedStatus    = "Lambda.ProcessingFailedStatus"
	MessageProcessingFailedStatus = "ProcessingFailed status set for record"
	CodeFunctionError             = "Lambda.FunctionError"
	MessageFunctionError          = "The Lambda function was successfully invoked but it returned an error result."
	CodeMalformedData             = "DataFormatConversion.MalformedData"
)

// DataCatalogTable names the Glue table a format conversion used.
type DataCatalogTable struct {
	CatalogID    string `json:"catalogId"`
	DatabaseName string `json:"databaseName"`
	TableName    string `json:"tableName"`
	Region       string `json:"region"`
	VersionID    string `json:"versionId"`
	CatalogArn   string `json:"catalogArn"`
}

// Record is one error record of any kind. Fields a kind does not have stay zero.
type Record struct {
	AttemptsMade     int64
	ArrivalTimestamp time.Time
	ErrorCode        string
	ErrorMessage     string
	// AttemptEndingTimestamp is when Firehose stopped trying.
	AttemptEndingTimestamp time.Time
	// RawData is the original record, as it reached Firehose.
	RawData []byte
	// LambdaArn is the processor (processing-failed).
	LambdaArn string
	// SequenceNumber and SubSequenceNumber locate the source record (format-conversion-failed).
	SequenceNumber    string
	SubSequenceNumber int64
	// DataCatalogTable is the table the conversion used (format-conversion-failed).
	DataCatalogTable *DataCatalogTable
}

// The documented key orders, one struct per kind.
type processingFailed struct {
	AttemptsMade           int64  `json:"attemptsMade"`
	ArrivalTimestamp       int64  `json:"arrivalTimestamp"`
	ErrorCode              string `json:"errorCode"`
	ErrorMessage           string `json:"errorMessage"`
	AttemptEndingTimestamp int64  `json:"attemptEndingTimestamp"`
	RawData                []byte `json:"rawData"`
	LambdaArn              string `json:"lambdaArn"`
}

type formatConversionFailed struct {
	AttemptsMade           int64            `json:"attemptsMade"`
	ArrivalTimestamp       int64            `json:"arrivalTimestamp"`
	LastErrorCode          string           `json:"lastErrorCode"`
	LastErrorMessage       string           `json:"lastErrorMessage"`
	AttemptEndingTimestamp int64            `json:"attemptEndingTimestamp"`
	RawData                []byte           `json:"rawData"`
	SequenceNumber         string           `json:"sequenceNumber"`
	SubSequenceNumber      int64            `json:"subSequenceNumber"`
	DataCatalogTable       DataCatalogTable `json:"dataCatalogTable"`
}

// Append appends r as one line of an error object of outputType (ProcessingFailed or
// FormatConversionFailed), newline included.
func Append(dst []byte, outputType string, r Record) ([]byte, error) {
	if r.RawData == nil {
		r.RawData = []byte{} // "rawData":"" rather than null: the record was empty
	}
	var v any
	switch outputType {
	case ProcessingFailed:
		v = processingFailed{r.AttemptsMade, millis(r.ArrivalTimestamp), r.ErrorCode, r.ErrorMessage,
			millis(r.AttemptEndingTimestamp), r.RawData, r.LambdaArn}
	case FormatConversionFailed:
		t := DataCatalogTable{}
		if r.DataCatalogTable != nil {
			t = *r.DataCatalogTable
		}
		v = formatConversionFailed{r.AttemptsMade, millis(r.ArrivalTimestamp), r.ErrorCode, r.ErrorMessage,
			millis(r.AttemptEndingTimestamp), r.RawData, r.SequenceNumber, r.SubSequenceNumber, t}
	default:
		return dst, fmt.Errorf("error output type %q: want %q or %q", outputType, ProcessingFailed, FormatConversionFailed)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("encode %s record: %w", outputType, err)
	}
	return append(append(dst, b...), '\n'), nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// wire is the tolerant reading view: encoding/json matches keys case-insensitively.
type wire struct {
	AttemptsMade           flexInt           `json:"attemptsMade"`
	ArrivalTimestamp       flexInt           `json:"arrivalTimestamp"`
	ErrorCode              *string           `json:"errorCode"`
	LastErrorCode          *string           `json:"lastErrorCode"`
	ErrorMessage           *string           `json:"errorMessage"`
	LastErrorMessage       *string           `json:"lastErrorMessage"`
	AttemptEndingTimestamp flexInt           `json:"attemptEndingTimestamp"`
	RawData                *string           `json:"rawData"`
	LambdaArn              string            `json:"lambdaArn"`
	SequenceNumber         string            `json:"sequenceNumber"`
	SubSequenceNumber      flexInt           `json:"subSequenceNumber"`
	DataCatalogTable       *DataCatalogTable `json:"dataCatalogTable"`
}

// flexInt is a JSON integer or a string holding one. An empty or non-numeric string is read
// as absent (0): AWS's pages show placeholders such as "count".
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			*n = flexInt(v)
		}
		return nil
	}
	if s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", s)
	}
	*n = flexInt(v)
	return nil
}

// strictBase64 is standard padded base64; line breaks, which the standard decoder skips, are
// refused explicitly.
var strictBase64 = base64.StdEncoding.Strict()

// Decode reads one error record (one JSON object, surrounding spaces allowed).
func Decode(line []byte) (Record, error) {
	var w wire
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&w); err != nil {
		return Record{}, fmt.Errorf("not an error record object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Record{}, fmt.Errorf("data after the error record object")
	}
	if w.RawData == nil {
		return Record{}, fmt.Errorf("rawData is missing")
	}
	if strings.ContainsAny(*w.RawData, "\r\n") {
		return Record{}, fmt.Errorf("rawData is not standard base64: contains a line break")
	}
	raw, err := strictBase64.DecodeString(*w.RawData)
	if err != nil {
		return Record{}, fmt.Errorf("rawData is not standard base64: %w", err)
	}
	return Record{
		AttemptsMade:           int64(w.AttemptsMade),
		ArrivalTimestamp:       fromMillis(int64(w.ArrivalTimestamp)),
		ErrorCode:              first(w.ErrorCode, w.LastErrorCode),
		ErrorMessage:           first(w.ErrorMessage, w.LastErrorMessage),
		AttemptEndingTimestamp: fromMillis(int64(w.AttemptEndingTimestamp)),
		RawData:                raw,
		LambdaArn:              w.LambdaArn,
		SequenceNumber:         w.SequenceNumber,
		SubSequenceNumber:      int64(w.SubSequenceNumber),
		DataCatalogTable:       w.DataCatalogTable,
	}, nil
}

func first(a, b *string) string {
	if a != nil {
		return *a
	}
	if b != nil {
		return *b
	}
	return ""
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MaxLineBytes bounds one error record: a 1 MiB Kinesis record in base64 and its metadata.
const MaxLineBytes = 4 << 20

// Reader reads the records of one error object, one per line; blank lines are skipped.
type Reader struct {
	sc   *bufio.Scanner
	line int
}

// NewReader reads error records from r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	return &Reader{sc: sc}
}

// LineError is a line that is not an error record. Reading may go on after it.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Next returns the next record, io.EOF at the end, a *LineError for a line that does not
// decode (call Next again to go on), or another error when the object cannot be read further.
func (r *Reader) Next() (Record, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec, err := Decode(b)
		if err != nil {
			return Record{}, &LineError{Line: r.line, Err: err}
		}
		return rec, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, fmt.Errorf("line %d: longer than %d bytes", r.line+1, MaxLineBytes)
		}
		return Record{}, fmt.Errorf("read error records: %w", err)
	}
	return Record{}, io.EOF
}

// ObjectKey is the S3 key of an error object: the stack's error prefix (with
// !{firehose:error-output-type}) evaluated for outputType at the arrival time of the
// object's oldest record, then the object name (firehoseprefix.ObjectName).
func ObjectKey(errorPrefix, outputType string, oldest time.Time, name string) (string, error) {
	p, err := firehoseprefix.Evaluate(errorPrefix, firehoseprefix.Values{Time: oldest, ErrorOutputType: outputType})
	if err != nil {
		return "", fmt.Errorf("error object key: %w", err)
	}
	return p + name, nil
}
