// Package locallake runs the whole data path of a stack on one machine, without an AWS
// account, with the pieces the stack deploys or their contracts:
//
//	events ─► ingest API contract (internal/apisim: routes, the stack's apiAuth mode with
//	          credentials made for the run, request models and limits, answers)
//	       ─► Kinesis (kinesalite, started here and stopped by pid)
//	       ─► delivery stream (internal/firehosesim: the stack's processor and Firehose buffers)
//	       ─► the real transform bootstrap (lambdapkg builds it, internal/lambdaruntime runs it
//	          with the environment the stack gives the function)
//	       ─► DIR/lake: data/ Parquet by the Lambda's partition keys, errors/<type>/, raw/
//
// Everything comes from the stack's configuration as `pulumi preview` would read it
// (stackconfig.FromFiles): names, apiAuth, unknownFields, buffer sizes and intervals (the
// intervals shortened for a local run), retries, partitioning and raw backup. Not run locally:
// the WAF, the usage plan's throttling and quota, alarms, the crawler and Athena itself (DuckDB
// answers the saved queries instead). Run returns when every
// accepted event has been delivered and writes DIR/summary.json; its counts add up:
//
//	sent      = api_rejected + accepted
//	accepted  = delivered (+ stream_put: records Options.AfterSend put into the stream)
//	delivered = parquet_rows + transform_failed + conversion_failed + dropped
//
// The SQL side (the saved queries over DIR/lake with DuckDB) is internal/lakesql, which needs
// cgo; this package does not.
package locallake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Routes of the ingest API an event can be sent on.
const (
	RouteBatch  = "batch"
	RouteSingle = "single"
)

// Default intervals of a local run: the stack's processorBufferSeconds and
// firehoseBufferSeconds (60 s and more) would make a run last minutes.
const (
	DefaultProcessorInterval = time.Second
	DefaultBufferInterval    = 2 * time.Second
)

// Options say what to run.
type Options struct {
	// Root is the module root: Pulumi.yaml, the stack files and the transform's source.
	Root string
	// Dir receives the run: Dir/lake, Dir/summary.json, Dir/api-rejected.jsonl, Dir/function.
	Dir   string
	Stack string
	// Set overrides stack values as `pulumi config set` would (unqualified keys are the
	// project's).
	Set map[string]string
	// Input is a file of events, one per line, each sent exactly as written (blank lines are
	// skipped), to Dataset's routes; empty generates Count events of every dataset.
	Input string
	Count int
	// Dataset is the dataset Input's events are sent as ("": the only one; with several, Run
	// asks for it), or the one dataset generated events are made for ("": every dataset).
	Dataset string
	// Datasets are the datasets the run deploys, the default first (nil: the ones built into
	// this binary, schema.Datasets); the transform is built with every one's file.
	Datasets []schema.Dataset
	// Seed makes generated events reproducible; 0 draws one.
	Seed uint64
	// Route is RouteBatch (up to 500 events per request) or RouteSingle (one per request).
	Route string
	// ProcessorInterval and BufferInterval stand in for the stack's processorBufferSeconds
	// and firehoseBufferSeconds; 0 means the defaults above, negative the stack's.
	ProcessorInterval, BufferInterval time.Duration
	// Progress receives a line per stage; nil discards them.
	Progress io.Writer
	// AfterSend, if set, is called once the API has answered every event, while the pipeline
	// runs, with a putter into the stream of the input's dataset (the default's when events
	// are generated): what an operator's `streamlake redrive` or `replay` puts there, past
	// the API. The run then also waits for the records the stream acknowledged to it, and
	// counts them as stream_put.
	AfterSend func(ctx context.Context, to Stream) error
}

// Stream is a dataset's stream of a running local lake.
type Stream struct {
	Name    string
	Dataset string
	Putter  producer.Putter
}

// Validate reports every problem with the options at once, naming the option.
func (o *Options) Validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("--dir is required: the folder that receives the lake and summary.json"))
	}
	if o.Stack == "" {
		errs = append(errs, errors.New("--stack must name a stack (dev or prod: a Pulumi.<stack>.yaml file)"))
	}
	switch {
	case o.Input != "" && o.Count > 0:
		errs = append(errs, errors.New("--input and --count exclude each other: send a file, or generate events"))
	case o.Input == "" && o.Count <= 0:
		errs = append(errs, fmt.Errorf("--count must be at least 1 without --input, got %d", o.Count))
	}
	if o.Route != RouteBatch && o.Route != RouteSingle {
		errs = append(errs, fmt.Errorf("--route must be %q or %q, got %q", RouteBatch, RouteSingle, o.Route))
	}
	return errors.Join(errs...)
}

// Result is a finished run.
type Result struct {
	// Summary is the whole run's (with every dataset's in Summary.Datasets, when there are
	// several).
	Summary Summary
	// Rejected are the events the API refused, in input order (by dataset).
	Rejected []Rejection
	// Config is the stack configuration the run used.
	Config *stackconfig.Config
	// Lake is Dir/lake; DataDir holds the default dataset's Parquet files.
	Lake, DataDir string
	// Datasets are every dataset's table and files, the default first.
	Datasets []DatasetLake
}

// DatasetLake is where a dataset's rows are: the Glue names its queries use, its schema, its
// Parquet folder and, where other datasets' folders lie inside it (the default's data/), the
// prefix of its own folders there (its first partition, year=).
type DatasetLake struct {
	Name            string
	Database, Table string
	Schema          *schema.Schema
	DataDir         string
	FolderPrefix    string
}

// Rejection is an event the API refused.
type Rejection struct {
	// Line is the event's line in the input file (1 is the first), or its position among
	// the generated events of its dataset.
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	// Dataset is the event's dataset, when it is not the default.
	Dataset string `json:"dataset,omitempty"`
}

// Run runs the data path for o and returns when every accepted event is delivered.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg, err := stackconfig.FromFilesWith(o.Root, o.Stack, o.Set, o.Datasets)
	if err != nil {
		return nil, err
	}
	lakeDir := filepath.Join(o.Dir, "lake")
	if err := emptyDir(lakeDir); err != nil {
		return nil, err
	}
	r := &runner{o: o, cfg: cfg, lakeDir: lakeDir}
	for _, d := range cfg.Datasets {
		r.lanes = append(r.lanes, &lane{d: d, names: stackconfig.NamesOf(cfg.Project, cfg.Stack, d.Name)})
	}
	if r.input, err = r.inputLane(); err != nil {
		return nil, err
	}
	defer r.stop()
	res, err := r.run(ctx)
	if err != nil {
		return nil, err
	}
	return res, writeResult(o.Dir, res)
}

// emptyDir refuses a lake folder that already holds files: the queries would count them.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s already holds a lake from an earlier run, which the queries would count: choose another --dir or remove it", dir)
	}
	return nil
}

// writeResult writes summary.json and api-rejected.jsonl (one rejection per line).
func writeResult(dir string, res *Result) error {
	b, err := json.MarshalIndent(res.Summary, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the summary: %w", err)
	}
	var lines []byte
	for _, rej := range res.Rejected {
		line, err := json.Marshal(rej)
		if err != nil {
			return err
		}
		lines = append(append(lines, line...), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "api-rejected.jsonl"), lines, 0o644); err != nil {
		return fmt.Errorf("write the API's rejections: %w", err)
	}
	return nil
}

// eventTime says whether a dataset partitions by event time (the Lambda's keys).
func eventTime(cfg *stackconfig.Config) bool { return cfg.Partitioning == lakelayout.EventTime }

// Lakes are where every dataset of a stack has its rows in a local lake (the lake folder of a
// run, DIR/lake): the default dataset's under data/ beside the others' data/<name>/.
func Lakes(cfg *stackconfig.Config, lakeDir string) []DatasetLake {
	var out []DatasetLake
	for _, d := range cfg.Datasets {
		n := stackconfig.NamesOf(cfg.Project, cfg.Stack, d.Name)
		dl := DatasetLake{Name: d.Name, Database: n.Database, Table: n.Table, Schema: d.Schema,
			DataDir: filepath.Join(lakeDir, filepath.FromSlash(lakelayout.RootsOf(d.Name).Data))}
		if d.IsDefault() && len(cfg.Datasets) > 1 {
			dl.FolderPrefix = d.Schema.Partitions[0].Name + "="
		}
		out = append(out, dl)
	}
	return out
}

// inputLane is the only lane events go to: --dataset's, or with --input the only one; nil
// when generated events go to every lane.
func (r *runner) inputLane() (*lane, error) {
	if r.o.Input == "" && r.o.Dataset == "" {
		return nil, nil
	}
	for _, l := range r.lanes {
		if l.d.Name == r.o.Dataset || (r.o.Dataset == "" && len(r.lanes) == 1) {
			return l, nil
		}
	}
	if r.o.Dataset == "" {
		return nil, fmt.Errorf("--dataset is required with --input: the stack has the datasets %s", strings.Join(r.cfg.DatasetNames(), ", "))
	}
	return nil, fmt.Errorf("--dataset %s: the stack has no such dataset (it has %s)", r.o.Dataset, strings.Join(r.cfg.DatasetNames(), ", "))
}
