package apispec

import (
	"slices"
	"testing"

	"github.com/streamlake/streamlake/schema"
)

// TestDefaultRouteURLs: a stage URL, with or without a trailing slash or a route, gives the
// default dataset's two route URLs.
func TestDefaultRouteURLs(t *testing.T) {
	for _, in := range []string{"https://h/api", "https://h/api/", "https://h/api/v1/events", "https://h/api/v1/events/batch"} {
		e, b := RoutesOf(schema.DefaultDataset).URLs(in)
		if e != "https://h/api/v1/events" || b != "https://h/api/v1/events/batch" {
			t.Errorf("URLs(%q) = %q, %q", in, e, b)
		}
	}
}

func TestRoutesOfDatasets(t *testing.T) {
	if r := RoutesOf("events"); r.Events != "/v1/events" || r.Batch != "/v1/events/batch" {
		t.Errorf("the default dataset keeps its routes: %+v", r)
	}
	r := RoutesOf("quiz_answers")
	if r.Events != "/v1/quiz_answers/events" || r.Batch != "/v1/quiz_answers/events/batch" {
		t.Errorf("routes %+v", r)
	}
	if e, b := r.URLs("https://x/api/v1/quiz_answers/events/batch"); e != "https://x/api/v1/quiz_answers/events" || b != "https://x/api/v1/quiz_answers/events/batch" {
		t.Errorf("URLs: %s %s", e, b)
	}
	for _, d := range []string{"events", "quiz_answers"} {
		r := RoutesOf(d)
		if r.Events[len(r.Events)-len(EventsSuffix):] != EventsSuffix || r.Batch[len(r.Batch)-len(BatchSuffix):] != BatchSuffix {
			t.Errorf("%s: routes %+v do not end with the common suffixes", d, r)
		}
	}
	if e, b := ModelNames("quiz_answers"); e != "QuizAnswersEvent" || b != "QuizAnswersEventBatch" {
		t.Errorf("models %s %s", e, b)
	}
	if e, b := ModelNames("events"); e != "Event" || b != "EventBatch" {
		t.Errorf("the default dataset keeps its models: %s %s", e, b)
	}
	want := []string{"/", "/v1", "/v1/events", "/v1/events/batch", "/v1/quiz_answers", "/v1/quiz_answers/events", "/v1/quiz_answers/events/batch"}
	if got := Resources([]string{"events", "quiz_answers"}); !slices.Equal(got, want) {
		t.Errorf("resources %v, want %v", got, want)
	}
}
