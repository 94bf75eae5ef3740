package main

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/schema"
)

// builtinDatasets are the datasets built into this binary (schema.Datasets); tests add the
// example dataset.
var builtinDatasets = schema.Datasets

// datasetFlag is --dataset: which dataset (channel) of the stack a command targets, its
// stream, table, routes and lake folders. Every command that targets one takes it.
type datasetFlag struct{ name string }

func (d *datasetFlag) register(fs *flags) {
	fs.StringVar(&d.name, "dataset", "", "dataset `name` whose stream, table, routes and lake folders to use (default: the stack's only dataset; "+
		"with several, the command lists them)")
}

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
