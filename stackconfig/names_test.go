package stackconfig

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/schema"
)

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

// Every name a stack chooses for a dataset is DatasetNamePrefix and one part without '-', for
// the default dataset and any other, whatever '-' or '_' the project and stack have: CI's
// roles grant the prefix and deny a '-' after it (bootstrap/ciaccess).
func TestDatasetNamesAreThePrefixAndOneWord(t *testing.T) {
	for _, ps := range [][2]string{{"streamlake", "dev"}, {"streamlake", "dev-eu"}, {"stream-lake", "dev_eu"}, {"Streamlake", "Prod.2"}} {
		prefix := DatasetNamePrefix(ps[0], ps[1])
		for _, dataset := range []string{"events", "quiz_answers", "a", "player_errors_v2"} {
			n := NamesOf(ps[0], ps[1], dataset)
			for _, name := range []string{n.Stream, n.Crawler, n.CrawlerSecurity} {
				rest, ok := strings.CutPrefix(name, prefix)
				if !ok || rest == "" || strings.Contains(rest, "-") {
					t.Errorf("project %s stack %s dataset %s: %q is not %q and one word without '-'", ps[0], ps[1], dataset, name, prefix)
				}
			}
		}
	}
	// What keeps it so: a dataset's name has no '-'.
	if err := schema.CheckDatasetName("quiz-answers"); err == nil {
		t.Error("a dataset name with '-' is accepted")
	}
}
