package locallake_test

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/firehosesim"
	"github.com/streamlake/streamlake/internal/locallake"
)

// TestSummaryCountsRecordsPutPastTheAPI: records AfterSend put into the stream are delivered
// besides the accepted events; the counts add up only with them, and the summary shows them
// only when there are some.
func TestSummaryCountsRecordsPutPastTheAPI(t *testing.T) {
	s := locallake.Summary{Stack: "dev", Route: locallake.RouteBatch, Sent: 10, APIRejected: 2, Accepted: 8, StreamPut: 5,
		Delivered: 13, Outcome: firehosesim.Outcome{ParquetRows: 12, TransformFailed: 1}}
	if err := s.Check(); err != nil {
		t.Errorf("accepted 8 + stream_put 5 = delivered 13: %v", err)
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "stream_put") || !strings.Contains(b.String(), "accepted + stream_put = delivered") {
		t.Errorf("summary without stream_put:\n%s", b.String())
	}
	s.StreamPut = 0
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "accepted 8 + stream_put 0 != delivered 13") {
		t.Errorf("13 delivered of 8 accepted: %v", err)
	}
	b.Reset()
	s.Delivered, s.ParquetRows = 8, 7
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "stream_put") {
		t.Errorf("a run without AfterSend shows stream_put:\n%s", b.String())
	}
}

// TestSummaryNamesRefusedBatches: the summary lists what each batch request the API refused
// whole took down (the first ten, then how many more) and names --route single; NoRows, what
// a later query prints, says where the events went instead.
func TestSummaryNamesRefusedBatches(t *testing.T) {
	s := locallake.Summary{Stack: "dev", Route: locallake.RouteBatch, Sent: 6000, APIRejected: 6000, RejectionReasons: map[string]int{"HTTP 400: bad": 6000}}
	for i := range 12 {
		s.RefusedBatches = append(s.RefusedBatches, locallake.RefusedBatch{Events: 500, FirstLine: i*500 + 1, LastLine: i*500 + 500, Reason: "HTTP 400: bad"})
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The batch route's API refused 12 requests whole, 6000 events with them", "     500  events, lines 1-500: HTTP 400: bad",
		"     500  events, lines 4501-5000: HTTP 400: bad", "... and 2 more (summary.json lists each)", "--route single sends each event on its own"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "lines 5001-5500") {
		t.Errorf("summary lists more than ten refused requests:\n%s", b.String())
	}
	note := s.NoRows("out")
	for _, want := range []string{"the run in out stored no events in the lake", "6000 sent, 6000 refused by the API (out/api-rejected.jsonl", "refused 12 requests whole, 6000 events with them", "--route single"} {
		if !strings.Contains(note, want) {
			t.Errorf("NoRows lacks %q: %s", want, note)
		}
	}
	s.RefusedBatches = nil
	b.Reset()
	if err := s.Write(&b); err != nil || strings.Contains(b.String(), "--route single") || strings.Contains(s.NoRows("out"), "--route single") {
		t.Errorf("without refused requests the summary names --route single: %v\n%s", err, b.String())
	}
}
