package apispec

import (
	"strings"

	"github.com/streamlake/streamlake/schema"
)

// Routes are a dataset's two POST routes under the stage URL. The default dataset keeps the
// API's first routes (EventsPath, BatchPath); every other dataset has /v1/<name>/events and
// /v1/<name>/events/batch.
type Routes struct {
	Events, Batch string
}

// Every dataset's routes end with these: one rule per route kind covers them all (the WAF's
// body limits, which are the same for every dataset).
const (
	EventsSuffix = "/events"
	BatchSuffix  = "/events/batch"
)

// RoutesOf returns a dataset's routes.
func RoutesOf(dataset string) Routes {
	if dataset == schema.DefaultDataset {
		return Routes{Events: EventsPath, Batch: BatchPath}
	}
	base := "/v1/" + dataset
	return Routes{Events: base + EventsSuffix, Batch: base + BatchSuffix}
}

// URLs are the routes' URLs under a stage URL (a URL that already ends in one of the
// dataset's routes is accepted too).
func (r Routes) URLs(base string) (events, batch string) {
	base = strings.TrimRight(base, "/")
	base = strings.TrimSuffix(base, r.Batch)
	base = strings.TrimSuffix(base, r.Events)
	return base + r.Events, base + r.Batch
}

// ModelNames are a dataset's request models: Event and EventBatch for the default, the
// dataset's name in CamelCase before them for others (QuizAnswersEvent). API Gateway model
// names are alphanumeric.
func ModelNames(dataset string) (event, batch string) {
	prefix := ""
	if dataset != schema.DefaultDataset {
		for _, w := range strings.Split(dataset, "_") {
			if w != "" {
				prefix += strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return prefix + "Event", prefix + "EventBatch"
}

// Resources lists the API's resources (paths) for its datasets, parents first, the root "/"
// included: API Gateway counts every one against its resources-per-API quota
// (awsrules.MaxAPIResources).
func Resources(datasets []string) []string {
	out := []string{"/", "/v1"}
	for _, d := range datasets {
		r := RoutesOf(d)
		if d != schema.DefaultDataset {
			out = append(out, strings.TrimSuffix(r.Events, EventsSuffix))
		}
		out = append(out, r.Events, r.Batch)
	}
	return out
}
