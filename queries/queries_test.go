package queries

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/schema"
)

func example(t *testing.T) *schema.Schema {
	t.Helper()
	data, err := os.ReadFile("../schema/examples/quiz_answers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := schema.ParseDataset("schema/datasets/quiz_answers.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return d.Schema
}

func ids(qs []Query) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

// saved returns every standard query for a table of schema s; a schema without the columns a
// query needs is an error, not a broken query.
func saved(s *schema.Schema, database, table string) ([]Query, error) {
	out := make([]Query, 0, len(standards))
	for _, q := range standards {
		if why := q.missing(s); why != "" {
			return nil, fmt.Errorf("named queries need %s in the schema (%s)", why, q.id)
		}
		out = append(out, q.render(s, database, table))
	}
	return out, nil
}

// TestForTheDefaultIsSaved: the default dataset gets every standard query, the same as saved.
func TestForTheDefaultIsSaved(t *testing.T) {
	all, err := saved(schema.Default(), "db", "events")
	if err != nil {
		t.Fatal(err)
	}
	got, skipped, err := For(schema.Default(), "db", "events")
	if err != nil || len(skipped) > 0 || !slices.Equal(ids(got), IDs()) || len(got) != len(all) {
		t.Fatalf("For(default) = %v, skipped %v, %v; want every query", ids(got), skipped, err)
	}
	for i := range got {
		if got[i] != all[i] {
			t.Errorf("%s differs from saved's", got[i].ID)
		}
	}
}

// TestForSkipsOrRefusesByTheFile: without a queries key a dataset gets the queries whose
// columns it has and learns why it misses the others; a listed query it cannot run, or an
// unknown one, is an error naming it.
func TestForSkipsOrRefusesByTheFile(t *testing.T) {
	s := example(t)
	s.Queries = nil
	got, skipped, err := For(s, "db", "quiz_answers")
	if err != nil || !slices.Equal(ids(got), []string{"most-recent-events"}) || len(skipped) != 2 {
		t.Fatalf("For(example) = %v, skipped %v, %v", ids(got), skipped, err)
	}
	if !strings.Contains(skipped[0].Reason, "column watched_sec of type double") || !strings.Contains(skipped[1].Reason, "column event_type of type string") {
		t.Errorf("reasons: %v", skipped)
	}
	if !strings.Contains(got[0].SQL, `FROM "db"."quiz_answers"`) || !strings.Contains(got[0].SQL, "date_diff('millisecond', answered_at, ingested_at)") {
		t.Errorf("the query reads the dataset's table and roles:\n%s", got[0].SQL)
	}
	s.Queries = []string{}
	if got, _, err := For(s, "db", "quiz_answers"); err != nil || len(got) != 0 {
		t.Errorf("an empty list means no queries: %v, %v", ids(got), err)
	}
	s.Queries = []string{"events-per-type-per-hour", "no-such-query"}
	_, _, err = For(s, "db", "quiz_answers")
	for _, want := range []string{`queries lists "no-such-query", which is not a saved query`, "named queries need column event_type of type string in the schema (queries lists events-per-type-per-hour)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if _, err := saved(s, "db", "quiz_answers"); err == nil {
		t.Error("saved needs every query's columns")
	}
}
