package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleDatasetFile is the example dataset no stack deploys (tests deploy it).
const exampleDatasetFile = "examples/quiz_answers.yaml" // ExampleDatasetFile, from this folder

// TestEmbeddedDatasets: the binary's datasets load, the default first under its own name, and
// every file of schema/datasets (none is required) is a valid dataset.
func TestEmbeddedDatasets(t *testing.T) {
	ds, err := Datasets()
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].Name != DefaultDataset || ds[0].File != EmbeddedFile || ds[0].Schema.Name != Default().Name || len(ds[0].Source) == 0 {
		t.Errorf("the first dataset is %s (%s), want the default %s of %s", ds[0].Name, ds[0].File, DefaultDataset, EmbeddedFile)
	}
	files, err := filepath.Glob("datasets/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1+len(files) {
		t.Errorf("%d datasets for %d files in datasets/", len(ds), len(files))
	}
}

// TestExampleDataset: the example loads as a dataset with types the default lacks, and is not
// among the binary's datasets (no stack deploys it by existing).
func TestExampleDataset(t *testing.T) {
	data, err := os.ReadFile(exampleDatasetFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDataset("schema/"+exampleDatasetFile, data)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "quiz_answers" || d.IsDefault() {
		t.Errorf("name %q", d.Name)
	}
	types := map[Type]bool{}
	for _, f := range d.Schema.Fields {
		types[f.Type] = true
	}
	if !types[Long] || !types[Boolean] || d.Schema.Extras != "" {
		t.Errorf("the example must show other types (bigint, boolean) and no extras: %v, extras %q", types, d.Schema.Extras)
	}
	ds, err := Datasets()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := FindDataset(ds, d.Name); ok {
		t.Errorf("%s is deployed by every stack: it must stay an example", d.Name)
	}
}

func TestParseDatasetRefusesBadNames(t *testing.T) {
	src, err := os.ReadFile(exampleDatasetFile)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"schema/datasets/events.yaml":                                        "the default dataset's",
		"schema/datasets/all.yaml":                                           "is reserved",
		"schema/datasets/Quiz.yaml":                                          "must match",
		"schema/datasets/quiz-answers.yaml":                                  "must match",
		"schema/datasets/" + strings.Repeat("q", MaxDatasetName+1) + ".yaml": "characters, at most",
		"schema/datasets/quiz.yaml":                                          `the schema's name is "quiz_answers" but the file is quiz.yaml`,
	} {
		if _, err := ParseDataset(file, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", file, err, want)
		}
	}
	if err := CheckDatasets([]Dataset{{Name: "quiz", Schema: Default()}}); err == nil {
		t.Error("a set without the default first must be refused")
	}
	d := DefaultDatasetOf(Default())
	if err := CheckDatasets([]Dataset{d, {Name: "q", File: "q.yaml", Schema: Default()}, {Name: "q", File: "q.yaml", Schema: Default()}}); err == nil ||
		!strings.Contains(err.Error(), "twice") {
		t.Errorf("a dataset declared twice: got %v", err)
	}
}

// TestQueriesKey: absent, empty and listed queries survive a round trip distinctly; a
// malformed or repeated ID is refused with its line.
func TestQueriesKey(t *testing.T) {
	base, err := os.ReadFile(exampleDatasetFile)
	if err != nil {
		t.Fatal(err)
	}
	without := strings.Replace(string(base), "queries: [most-recent-events]\n", "", 1)
	for _, c := range []struct {
		src  string
		want []string
	}{
		{string(base), []string{"most-recent-events"}},
		{without, nil},
		{strings.Replace(string(base), "[most-recent-events]", "[]", 1), []string{}},
	} {
		s, err := Parse("q.yaml", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		if (s.Queries == nil) != (c.want == nil) || len(s.Queries) != len(c.want) {
			t.Errorf("queries %#v, want %#v", s.Queries, c.want)
		}
		y, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("q.yaml", y)
		if err != nil {
			t.Fatal(err)
		}
		if (back.Queries == nil) != (c.want == nil) || len(back.Queries) != len(c.want) {
			t.Errorf("round trip: queries %#v, want %#v", back.Queries, c.want)
		}
		if cp := s.clone(); (cp.Queries == nil) != (c.want == nil) {
			t.Errorf("clone: queries %#v, want %#v", cp.Queries, c.want)
		}
	}
	bad := strings.Replace(string(base), "[most-recent-events]", "[most-recent-events, Most_Recent, most-recent-events]", 1)
	_, err = Parse("q.yaml", []byte(bad))
	for _, want := range []string{`q.yaml:16: query "Most_Recent" is not a saved query's ID`, "q.yaml:16: query most-recent-events is listed twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
