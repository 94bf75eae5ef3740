package stackconfig

import "testing"

// TestNamesOfDatasets: the default dataset keeps the stack's names; another dataset's differ in
// every name it owns and share the rest; names of two stacks whose names nest do not clash.
func TestNamesOfDatasets(t *testing.T) {
	if NamesOf("streamlake", "dev", "events") != NamesFor("streamlake", "dev") {
		t.Error("the default dataset's names must be the stack's")
	}
	q := NamesOf("streamlake", "dev", "quiz_answers")
	want := Names{Stream: "streamlake-dev-quiz_answers", Table: "quiz_answers", Crawler: "streamlake-dev-quiz_answers_partitions",
		CrawlerSecurity: "streamlake-dev-quiz_answers_crawler"}
	if q.Stream != want.Stream || q.Table != want.Table || q.Crawler != want.Crawler || q.CrawlerSecurity != want.CrawlerSecurity {
		t.Errorf("names %+v", q)
	}
	d := NamesFor("streamlake", "dev")
	if q.Database != d.Database || q.Workgroup != d.Workgroup || q.Dashboard != d.Dashboard || q.WebACL != d.WebACL {
		t.Errorf("shared names differ: %+v", q)
	}
	// Stack dev-quiz with dataset answers, stack dev with dataset quiz_answers, stack
	// dev-quiz-answers with the default: every owned name differs.
	a, b, c := NamesOf("streamlake", "dev-quiz", "answers"), q, NamesFor("streamlake", "dev-quiz-answers")
	for _, pair := range [][2]Names{{a, b}, {a, c}, {b, c}} {
		if pair[0].Stream == pair[1].Stream || pair[0].Crawler == pair[1].Crawler || pair[0].CrawlerSecurity == pair[1].CrawlerSecurity {
			t.Errorf("names clash: %+v and %+v", pair[0], pair[1])
		}
	}
}
