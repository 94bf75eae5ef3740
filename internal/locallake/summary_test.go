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
