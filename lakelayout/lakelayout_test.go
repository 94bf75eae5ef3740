package lakelayout

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/schema"
)

// TestDatasetPrefixes: the default dataset keeps the lake's folders; another dataset's
// prefixes are under a folder of its name in each, and no folder of one lies in another's.
func TestDatasetPrefixes(t *testing.T) {
	s := schema.Default()
	def := DatasetPrefixes(schema.DefaultDataset, s, EventTime)
	if def != DeliveryPrefixes(s, EventTime) || !strings.HasPrefix(def.Data, "data/year=") || !strings.HasPrefix(def.Raw, "raw/year=") ||
		!strings.HasPrefix(def.Errors, "errors/!{firehose:error-output-type}/") {
		t.Errorf("default prefixes %+v", def)
	}
	q := DatasetPrefixes("quiz_answers", s, ArrivalTime)
	for got, want := range map[string]string{
		q.Data: "data/quiz_answers/year=!{timestamp:yyyy}/", q.Raw: "raw/quiz_answers/year=", q.Errors: "errors/quiz_answers/!{firehose:error-output-type}/year=",
		q.RawErrors: "errors/quiz_answers/raw-backup/!{firehose:error-output-type}/",
	} {
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s does not start with %s", got, want)
		}
	}
	if r := RootsOf("quiz_answers"); r != (Roots{Data: "data/quiz_answers/", Raw: "raw/quiz_answers/", Errors: "errors/quiz_answers/"}) {
		t.Errorf("roots %+v", r)
	}
}
