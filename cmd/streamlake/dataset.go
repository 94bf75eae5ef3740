package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/schema"
)

// builtinDatasets are the datasets built into this binary (schema.Datasets); tests add the
// example dataset.
var builtinDatasets = schema.Datasets

// datasetFlag is --dataset: which dataset (channel) of the stack a command targets, its
// stream, table, routes and lake folders. Every command that targets one takes it; a command
// that can also target every dataset of the stack in turn (verify) sets all before register.
type datasetFlag struct {
	name string
	all  bool
}

func (d *datasetFlag) register(fs *flags) {
	usage := "dataset `name` whose stream, table, routes and lake folders to use (default: the stack's only dataset; " +
		"with several, the command lists them)"
	if d.all {
		usage += "; " + schema.AllDatasets + ": every dataset of the stack (stack output datasets)"
	}
	fs.StringVar(&d.name, "dataset", "", usage)
}

// every reports whether --dataset all was given to a command that takes it.
func (d *datasetFlag) every() bool { return d.all && d.name == schema.AllDatasets }

// choose picks the dataset: --dataset, else the only one there is. "The ones there are" are
// the stack's, from its outputs when it has several built in; a build that knows only the
// default dataset needs no outputs for that. The dataset must be built into this binary (its
// schema generates, validates and decodes events). It points so at the dataset's outputs.
func (d *datasetFlag) choose(ctx context.Context, so *stackOutputs) (schema.Dataset, error) {
	builtin, err := builtinDatasets()
	if err != nil {
		return schema.Dataset{}, err
	}
	name := d.name
	if name == schema.AllDatasets {
		return schema.Dataset{}, usagef("--dataset %s: this command targets one dataset; give one of %s (%s is for plan and verify)",
			name, strings.Join(schema.DatasetNames(builtin), ", "), schema.AllDatasets)
	}
	if name == "" {
		if name, err = onlyDataset(ctx, so, builtin); err != nil {
			return schema.Dataset{}, err
		}
	}
	ds, ok := schema.FindDataset(builtin, name)
	if !ok {
		return schema.Dataset{}, usagef("--dataset %s: this build of streamlake knows the datasets %s; build it from the commit that deploys %s",
			name, strings.Join(schema.DatasetNames(builtin), ", "), name)
	}
	so.dataset = ds.Name
	return ds, nil
}

// onlyDataset is the one dataset there is, or an error listing them.
func onlyDataset(ctx context.Context, so *stackOutputs, builtin []schema.Dataset) (string, error) {
	if len(builtin) == 1 {
		return builtin[0].Name, nil
	}
	names := schema.DatasetNames(builtin)
	where := "this build has"
	if _, err := so.lookup(ctx, outRegion); err == nil && so.datasets != nil {
		names = slices.Sorted(maps.Keys(so.datasets))
		where = "the stack " + so.where() + " has"
	}
	if len(names) == 1 {
		return names[0], nil
	}
	return "", usagef("--dataset is required: %s the datasets %s", where, strings.Join(names, ", "))
}

// stackDatasets are the datasets the stack deploys, by name, from its outputs (a stack deployed
// before datasets has the default dataset only): what --dataset all targets.
func stackDatasets(ctx context.Context, so *stackOutputs) ([]string, error) {
	if _, err := so.lookup(ctx, outRegion); err != nil {
		return nil, fmt.Errorf("--dataset %s reads the stack's datasets from its outputs: %w", schema.AllDatasets, err)
	}
	switch {
	case so.datasets == nil:
		return []string{schema.DefaultDataset}, nil
	case len(so.datasets) == 0:
		return nil, errors.New("the stack output datasets " + so.where() + " is empty")
	}
	return slices.Sorted(maps.Keys(so.datasets)), nil
}
