package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackfile"
)

const planDescription = `
What a month of a workload costs on a stack's configuration, service by service (API Gateway,
Kinesis, Firehose, Lambda, S3, KMS, Glue, Athena, CloudWatch), in total and per million
events; how long an event takes from arrival to queryable (worst case and typical) for the
stack's partitionDiscovery; how small the lake's files are; and the biggest cost with the
config or producer change that would cut it most, priced.

The stack is read from Pulumi.yaml and Pulumi.<stack>.yaml of the project around the current
directory (--stack) or from the file given (--config path/Pulumi.prod.yaml). Prices are the embedded eu-west-1
table (costplan/prices.json, every row citing its AWS pricing page and the date read);
--prices FILE gives another region's in the same format. The bill is month 12 of the lake.

A stack with several datasets is planned one dataset at a time (--dataset NAME: its own
stream, delivery stream, function, table, crawler, queries, alarms and its requests to the
API; the resources every dataset shares - the key, the firewall, the API's alarms, the
dashboard - listed apart, out of its total) or whole (--dataset all: each dataset's own, the
shared once, API Gateway's tiers and the API's limits over every dataset's requests). With
--dataset all the workload flags are every dataset's; --workload NAME:flag=value,... gives one
dataset's own values, e.g. --workload <name>:avg-eps=50,peak-eps=200,event-bytes=150 for a
dataset schema/datasets/<name>.yaml. The repository deploys no dataset besides the default (the
worked example, schema/examples/quiz_answers.yaml, is not deployed): docs/costs.md says how to add
it to try these flags.

Examples:
  streamlake plan --stack prod --avg-eps 1500 --peak-eps 4000 --event-bytes 362
  streamlake plan --config Pulumi.dev.yaml --avg-eps 20 --peak-eps 20 --event-bytes 400 --queries-per-day 50 --scan-mb 5 --json
  streamlake plan --stack prod --dataset all --avg-eps 1500 --peak-eps 4000 --event-bytes 362 --workload <name>:avg-eps=50,peak-eps=200,event-bytes=150`

type planFlags struct {
	stack, config, prices string
	json                  bool
	w                     costplan.Workload
	// dataset is --dataset: a dataset's name, all, or "" for the stack's only one;
	// workloads are --workload's datasets' own workload values.
	dataset   string
	workloads datasetWorkloads
}

// planFlagSet registers plan's flags; the workload's ranges are costplan.Limits, so the flags
// refuse exactly what the model refuses.
func planFlagSet(_ *env) (*flags, *planFlags) {
	f := planFlags{workloads: datasetWorkloads{}}
	fs := newFlags("plan", "(--stack S | --config Pulumi.<stack>.yaml) --avg-eps N --peak-eps N --event-bytes B [--dataset NAME|all] [flags]", planDescription)
	fs.StringVar(&f.stack, "stack", "", "Pulumi `stack` whose Pulumi.<stack>.yaml (in the project around the current directory) to plan")
	fs.StringVar(&f.config, "config", "", "stack configuration `file` (Pulumi.<stack>.yaml; its directory holds Pulumi.yaml)")
	def := costplan.DefaultWorkload()
	float := func(p *float64, name string, v float64, usage string) {
		l := limit(name)
		fs.floatVar(p, name, v, l.Min, l.Max, l.MinOpen, usage)
	}
	float(&f.w.AvgEPS, "avg-eps", 0, "average events per second over the month, `n` (required)")
	float(&f.w.PeakEPS, "peak-eps", 0, "busiest sustained events per second, `n` (required)")
	float(&f.w.EventBytes, "event-bytes", 0, "average event size in `bytes` as sent (required)")
	float(&f.w.BatchShare, "batch-share", def.BatchShare, "`share` (0..1) of events sent through /v1/events/batch")
	l := limit("batch-size")
	fs.intVar(&f.w.BatchSize, "batch-size", def.BatchSize, int(l.Min), int(l.Max), "events per batch request, `n`")
	float(&f.w.QueriesPerDay, "queries-per-day", 0, "Athena queries a day, `n` (with --scan-mb)")
	float(&f.w.ScanMiB, "scan-mb", 0, "MiB each query scans, `n` (with --queries-per-day)")
	float(&f.w.ErrorShare, "error-share", def.ErrorShare, "`share` (0..1) of events the transform rejects to errors/")
	fs.StringVar(&f.prices, "prices", "", "price table `file` in costplan/prices.json's format (default: the embedded eu-west-1 table)")
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON")
	fs.StringVar(&f.dataset, "dataset", "", "dataset `name` to plan, its own resources (default: the stack's only dataset); "+
		schema.AllDatasets+": every dataset, the shared resources once")
	fs.Var(f.workloads, "workload", "with --dataset all, one dataset's own workload over the flags', `name:flag=value,...` "+
		"(e.g. <name>:avg-eps=50,peak-eps=200); once per dataset")
	return fs, &f
}

// limit is the workload value's range behind flag name (the zero range if costplan.Limits
// has none: TestEveryNumericFlagIsRanged then fails on the flag's default).
func limit(name string) costplan.Limit {
	for _, l := range costplan.Limits {
		if l.Flag == name {
			return l
		}
	}
	return costplan.Limit{Flag: name}
}

func runPlan(_ context.Context, e *env, args []string) int {
	fs, f := planFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	out, text, err := makePlan(e, fs, *f)
	if err != nil {
		return fail(e, "plan", err)
	}
	return printed(e, "plan", writeResult(e.stdout, f.json, out, text))
}

// requiredWorkload are the workload flags without a default.
var requiredWorkload = []string{"avg-eps", "peak-eps", "event-bytes"}

// makePlan checks the flags, reads the stack and the prices and computes the plan of one
// dataset or of all; it returns the plan's JSON and text.
func makePlan(e *env, fl *flags, f planFlags) (any, func() string, error) {
	root, stack, err := stackSource(e, f.stack, f.config)
	if err != nil {
		return nil, nil, err
	}
	all := f.dataset == schema.AllDatasets
	if !all {
		if err := f.oneWorkload(fl); err != nil {
			return nil, nil, err
		}
	}
	prices, err := readPrices(f.prices)
	if err != nil {
		return nil, nil, err
	}
	ss, err := loadStack(root, stack)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usagef("stack %s: %v", stack, err)
	}
	if err != nil {
		return nil, nil, err
	}
	if all {
		ws, err := f.datasetWorkloads(fl, stack, ss)
		if err != nil {
			return nil, nil, err
		}
		sp, err := costplan.NewStack(ws, prices)
		if err != nil {
			return nil, nil, err
		}
		return sp.JSON(prices), sp.Text, nil
	}
	s, err := pickDataset(f.dataset, stack, ss)
	if err != nil {
		return nil, nil, err
	}
	pl, err := costplan.NewDataset(s, f.w, len(ss), prices)
	if err != nil {
		return nil, nil, err
	}
	return pl.JSON(prices), pl.Text, nil
}

// oneWorkload checks the workload flags of one dataset's plan.
func (f planFlags) oneWorkload(fl *flags) error {
	if len(f.workloads) > 0 {
		return usagef("--workload is for --dataset all: one dataset's workload is the flags' (--avg-eps, --peak-eps, --event-bytes, ...)")
	}
	var missing []string
	for _, name := range requiredWorkload {
		if !fl.set(name) {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return usagef("%s required", strings.Join(missing, ", "))
	}
	if err := f.w.Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// stackSource is the project directory and stack name of --stack (the project around the
// working directory, as shards finds it) or --config.
func stackSource(e *env, stack, config string) (root, name string, err error) {
	switch {
	case (stack == "") == (config == ""):
		return "", "", usagef("give one of --stack S and --config Pulumi.<stack>.yaml")
	case stack != "":
		dir := e.dir
		if dir == "" {
			dir = "."
		}
		root, err := stackfile.FindRoot(dir)
		if err != nil {
			return "", "", fmt.Errorf("stack file of %s: %w", stack, err)
		}
		return root, stack, nil
	}
	base := filepath.Base(config)
	name, ok := strings.CutPrefix(base, "Pulumi.")
	name, yaml := strings.CutSuffix(name, ".yaml")
	if !ok || !yaml || name == "" || strings.Contains(name, ".") {
		return "", "", usagef("--config %s: the file must be named Pulumi.<stack>.yaml", config)
	}
	if _, err := os.Stat(config); err != nil {
		return "", "", usagef("--config %s: %v", config, err)
	}
	return filepath.Dir(config), name, nil
}

// readPrices reads --prices, or the embedded table.
func readPrices(path string) (*costplan.Prices, error) {
	if path == "" {
		return costplan.DefaultPrices()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--prices: %v", err)
	}
	p, err := costplan.ParsePrices(b)
	if err != nil {
		return nil, usagef("--prices %s:\n%v", path, err)
	}
	return p, nil
}
