package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// DefaultDataset is the name of the dataset events.yaml declares: the pipeline's first
// channel, whose resources, routes and lake folders keep the names they had before there were
// datasets (docs/datasets.md).
const DefaultDataset = "events"

// AllDatasets is the name commands give every dataset of a stack together (`streamlake plan
// --dataset all`); no dataset may take it.
const AllDatasets = "all"

// DatasetDir is the folder of the other datasets' files, relative to the module root: every
// <name>.yaml in it is a dataset every stack deploys. Binaries that import this package embed
// the folder, so the transform Lambda validates against every dataset's file.
const DatasetDir = "schema/datasets"

// MaxDatasetName bounds a dataset's name: it is part of logical names (and so of auto-named
// IAM roles and functions, at most 64 characters), physical names, routes and lake folders.
// The tightest is the stream, <project>-<stack>-<name>: Kinesis allows 128 characters, and a
// Pulumi stack name may have 100 (tests/policy TestNamesFitLongStackNames).
const MaxDatasetName = 16

//go:embed datasets
var datasetFiles embed.FS

// datasetName is a dataset name: a Glue table name that also reads well in a URL path and an
// S3 folder. No '-': physical names join words with it, so a '-'-free name cannot be split two
// ways.
var datasetName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Dataset is one channel of the pipeline: a name and the schema of its events.
type Dataset struct {
	// Name is "events" for the default dataset, else its file's name without .yaml.
	Name string
	// File is the dataset's file relative to the module root (schema/events.yaml,
	// schema/datasets/<name>.yaml), as errors and docs name it.
	File   string
	Schema *Schema
	// Source is the file's bytes, which the transform Lambda's build embeds.
	Source []byte
}

// IsDefault reports whether d is the default dataset.
func (d Dataset) IsDefault() bool { return d.Name == DefaultDataset }

// CheckDatasetName checks the name of a dataset file (not the default's).
func CheckDatasetName(name string) error {
	switch {
	case name == DefaultDataset:
		return fmt.Errorf("dataset name %q is the default dataset's (schema/events.yaml): choose another", name)
	case name == AllDatasets:
		return fmt.Errorf("dataset name %q is reserved: `streamlake plan --dataset all` means every dataset; choose another", name)
	case !datasetName.MatchString(name):
		return fmt.Errorf("dataset name %q must match %s: lowercase letters, digits and _, starting with a letter (it names a table, a route and a lake folder)", name, datasetName)
	case len(name) > MaxDatasetName:
		return fmt.Errorf("dataset name %q is %d characters, at most %d (it is part of AWS resource names)", name, len(name), MaxDatasetName)
	}
	return nil
}

// ParseDataset reads a dataset file: its name is the file's base name without .yaml, and the
// schema's name must equal it.
func ParseDataset(file string, data []byte) (Dataset, error) {
	name := strings.TrimSuffix(path.Base(file), ".yaml")
	if err := CheckDatasetName(name); err != nil {
		return Dataset{}, fmt.Errorf("%s: %w", file, err)
	}
	s, err := Parse(file, data)
	if err != nil {
		return Dataset{}, err
	}
	if s.Name != name {
		return Dataset{}, fmt.Errorf("%s: the schema's name is %q but the file is %s.yaml: a dataset's file and schema have the same name; rename one", file, s.Name, name)
	}
	return Dataset{Name: name, File: file, Schema: s, Source: append([]byte(nil), data...)}, nil
}

// DefaultDatasetOf is the default dataset: events.yaml's schema under the name events.
func DefaultDatasetOf(s *Schema) Dataset {
	return Dataset{Name: DefaultDataset, File: EmbeddedFile, Schema: s, Source: append([]byte(nil), eventsFile...)}
}

// Datasets returns the datasets built into this binary: the default first, then the files of
// schema/datasets by name. An error names the file and what is wrong with it.
func Datasets() ([]Dataset, error) {
	if embeddedErr != nil {
		return nil, embeddedErr
	}
	out := []Dataset{DefaultDatasetOf(Default())}
	entries, err := fs.ReadDir(datasetFiles, "datasets")
	if err != nil {
		return nil, fmt.Errorf("read the embedded %s: %w", DatasetDir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := datasetFiles.ReadFile("datasets/" + e.Name())
		if err != nil {
			return nil, err
		}
		d, err := ParseDataset(DatasetDir+"/"+e.Name(), data)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, CheckDatasets(out)
}

// CheckDatasets checks a set of datasets: the default first, then others with valid, distinct
// names and valid schemas.
func CheckDatasets(ds []Dataset) error {
	if len(ds) == 0 || !ds[0].IsDefault() {
		return fmt.Errorf("datasets: the default dataset %q must come first", DefaultDataset)
	}
	seen := map[string]bool{}
	for i, d := range ds {
		if i > 0 {
			if err := CheckDatasetName(d.Name); err != nil {
				return fmt.Errorf("%s: %w", d.File, err)
			}
		}
		if seen[d.Name] {
			return fmt.Errorf("datasets: %s is declared twice", d.Name)
		}
		seen[d.Name] = true
		if d.Schema == nil {
			return fmt.Errorf("datasets: %s has no schema", d.Name)
		}
		if err := d.Schema.Validate(); err != nil {
			return fmt.Errorf("%s: %w", d.File, err)
		}
	}
	return nil
}

// DatasetNames returns the names of ds, in order.
func DatasetNames(ds []Dataset) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// FindDataset returns the dataset of ds called name.
func FindDataset(ds []Dataset, name string) (Dataset, bool) {
	i := slices.IndexFunc(ds, func(d Dataset) bool { return d.Name == name })
	if i < 0 {
		return Dataset{}, false
	}
	return ds[i], true
}

// ExampleDatasetFile is the example dataset, relative to the module root: no stack deploys
// it, tests deploy it next to the default (LoadDataset).
const ExampleDatasetFile = "schema/examples/quiz_answers.yaml"

// LoadDataset reads a dataset file from anywhere as if it were in schema/datasets: the
// dataset is deployed from there (File says so), and the transform Lambda's build places its
// bytes there.
func LoadDataset(file string) (Dataset, error) {
	data, err := readSchemaFile(file)
	if err != nil {
		return Dataset{}, err
	}
	return ParseDataset(DatasetDir+"/"+path.Base(filepath.ToSlash(file)), data)
}
