package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// loadStack reads and validates a stack's configuration (Pulumi.yaml's defaults and
// Pulumi.<stack>.yaml in root) as the program would, as each dataset's plain values for the
// plan, the default first. Tests replace it to plan stacks no file describes.
var loadStack = func(root, stack string) ([]costplan.Stack, error) {
	ds, err := builtinDatasets()
	if err != nil {
		return nil, err
	}
	c, err := stackconfig.FromFilesWith(root, stack, nil, ds)
	if err != nil {
		return nil, err
	}
	return costplan.FromDatasets(c), nil
}

// datasetNames are the datasets of the stack's plain values.
func datasetNames(ss []costplan.Stack) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Dataset
	}
	return out
}

// pickDataset is the dataset --dataset names, or the stack's only one.
func pickDataset(name, stack string, ss []costplan.Stack) (costplan.Stack, error) {
	names := strings.Join(datasetNames(ss), ", ")
	if name == "" {
		if len(ss) == 1 {
			return ss[0], nil
		}
		return costplan.Stack{}, usagef("--dataset is required: stack %s has the datasets %s; give one, or --dataset %s for every dataset together",
			stack, names, schema.AllDatasets)
	}
	for _, s := range ss {
		if s.Dataset == name {
			return s, nil
		}
	}
	return costplan.Stack{}, usagef("--dataset %s: stack %s has no dataset %s; it has %s (or %s, every dataset together)", name, stack, name, names, schema.AllDatasets)
}

// datasetWorkloads is --workload: per dataset, the workload flags it sets and their values.
type datasetWorkloads map[string]map[string]float64

func (d datasetWorkloads) String() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(d)) {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(d[name])) {
			kv = append(kv, k+"="+strconv.FormatFloat(d[name][k], 'g', -1, 64))
		}
		parts = append(parts, name+":"+strings.Join(kv, ","))
	}
	return strings.Join(parts, " ")
}

// Set reads one --workload: name:flag=value,flag=value.
func (d datasetWorkloads) Set(v string) error {
	const form = "want DATASET:flag=value,... (e.g. quiz_answers:avg-eps=50,peak-eps=200)"
	name, pairs, ok := strings.Cut(v, ":")
	if !ok || name == "" || pairs == "" {
		return fmt.Errorf("%q: %s", v, form)
	}
	if _, dup := d[name]; dup {
		return fmt.Errorf("%s given twice: give a dataset's values in one --workload", name)
	}
	values := map[string]float64{}
	for _, pair := range strings.Split(pairs, ",") {
		key, value, ok := strings.Cut(pair, "=")
		key = strings.TrimPrefix(key, "--")
		x, err := strconv.ParseFloat(value, 64)
		switch {
		case !ok:
			return fmt.Errorf("%s: %q: %s", name, pair, form)
		case !slices.Contains(costplan.LimitFlags(), key):
			return fmt.Errorf("%s: %s is not a workload flag: one of %s", name, key, strings.Join(costplan.LimitFlags(), ", "))
		case err != nil:
			return fmt.Errorf("%s: %s=%q is not a number", name, key, value)
		}
		if _, dup := values[key]; dup {
			return fmt.Errorf("%s: %s given twice", name, key)
		}
		values[key] = x
	}
	d[name] = values
	return nil
}

// datasetWorkloads is every dataset's workload for --dataset all: the workload flags, with
// the dataset's --workload values over them. Every problem is reported at once, each naming
// the dataset.
func (f planFlags) datasetWorkloads(fl *flags, stack string, ss []costplan.Stack) ([]costplan.DatasetWorkload, error) {
	names := datasetNames(ss)
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(f.workloads)) {
		if !slices.Contains(names, name) {
			errs = append(errs, fmt.Errorf("--workload %s: stack %s has no dataset %s; it has %s", name, stack, name, strings.Join(names, ", ")))
		}
	}
	out := make([]costplan.DatasetWorkload, len(ss))
	for i, s := range ss {
		w, own := f.w, f.workloads[s.Dataset]
		for _, key := range slices.Sorted(maps.Keys(own)) {
			if err := w.Set(key, own[key]); err != nil {
				errs = append(errs, fmt.Errorf("--workload %s: %w", s.Dataset, err))
			}
		}
		var missing []string
		for _, key := range requiredWorkload {
			if _, ok := own[key]; !ok && !fl.set(key) {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("dataset %s has no %s: give --%s (every dataset's) or --workload %s:%s=N",
				s.Dataset, strings.Join(missing, ", "), strings.Join(missing, ", --"), s.Dataset, strings.Join(missing, "=N,")))
		} else if err := w.Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				errs = append(errs, fmt.Errorf("dataset %s: %s", s.Dataset, line))
			}
		}
		out[i] = costplan.DatasetWorkload{Stack: s, Workload: w}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, usagef("--dataset %s:\n%v", schema.AllDatasets, err)
	}
	return out, nil
}
