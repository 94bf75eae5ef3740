package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackfile"
)

// Dataset is one dataset of a stack with its configuration: the stack's, with the dataset's
// own values (streamlake:datasets.<name>) of the keys marked per dataset.
type Dataset struct {
	schema.Dataset
	*Config
	// Set lists the keys the dataset sets itself, sorted.
	Set []string
}

// Dataset returns the dataset called name, or nil.
func (c *Config) Dataset(name string) *Dataset {
	for _, d := range c.Datasets {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// DatasetNames are the names of the stack's datasets, the default first.
func (c *Config) DatasetNames() []string {
	out := make([]string, len(c.Datasets))
	for i, d := range c.Datasets {
		out[i] = d.Name
	}
	return out
}

// datasetsKey is the key whose value holds the datasets' own settings.
const datasetsKey = "datasets"

// readDatasets builds every dataset's configuration from c (read and validated) and the
// datasets key, and validates each: the datasets key names known datasets and per-dataset
// keys, every value parses and keeps its rules. Problems already reported for the stack's own
// values are not repeated per dataset.
func (c *Config) readDatasets(ds []schema.Dataset, reported error) error {
	var errs []error
	names := schema.DatasetNames(ds)
	for _, name := range slices.Sorted(maps.Keys(c.DatasetOverrides)) {
		if !slices.Contains(names, name) {
			errs = append(errs, unknownDataset(name, names))
		}
	}
	seen := map[string]bool{}
	for _, e := range flatten(reported) {
		seen[e.Error()] = true
	}
	c.Datasets = nil
	for _, sd := range ds {
		d, err := c.datasetConfig(sd, c.DatasetOverrides[sd.Name])
		for _, e := range flatten(err) {
			if !seen[e.Error()] {
				errs = append(errs, fmt.Errorf("%s.%s: %w", datasetsKey, sd.Name, e))
			}
		}
		c.Datasets = append(c.Datasets, d)
	}
	return errors.Join(errs...)
}

// unknownDataset is the error for a dataset the stack does not deploy.
func unknownDataset(name string, names []string) error {
	hint := ""
	if s := nearest(name, names); s != "" {
		hint = " Did you mean " + s + "?"
	}
	return fmt.Errorf("%s.%s: the stack has no dataset %s (it deploys %s; a dataset is schema/events.yaml, events, or a file %s/<name>.yaml).%s",
		datasetsKey, name, name, strings.Join(names, ", "), schema.DatasetDir, hint)
}

// datasetConfig is one dataset's configuration: a copy of c with the dataset's values read
// over it, and the problems of the result.
func (c *Config) datasetConfig(sd schema.Dataset, values map[string]json.RawMessage) (*Dataset, error) {
	dc := c.clone()
	d := &Dataset{Dataset: sd, Config: dc}
	var errs []error
	perKey := map[string]Key{}
	var known []string
	for _, k := range Keys() {
		if k.PerDataset {
			perKey[k.Name] = k
			known = append(known, k.Name)
		}
	}
	lookup := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if err := checkDatasetKey(key, perKey, known); err != nil {
			errs = append(errs, err)
			continue
		}
		v, err := cliValue(values[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		lookup[stackfile.Qualify(c.Project, key)] = v
		d.Set = append(d.Set, key)
	}
	r := newReader(c.Project, func(key string) (string, bool) { v, ok := lookup[key]; return v, ok })
	for _, name := range d.Set {
		k := perKey[name]
		if k.optional {
			r.optional[k.Name] = true
		}
		k.read(r, dc)
	}
	errs = append(errs, r.errs...)
	dc.deriveDatasetDefaults(c, d.Set)
	errs = append(errs, dc.validateDataset(d, r.bad))
	return d, errors.Join(errs...)
}

// checkDatasetKey refuses a key a dataset cannot set: a shared key, or no key at all.
func checkDatasetKey(key string, perKey map[string]Key, known []string) error {
	if _, ok := perKey[key]; ok {
		return nil
	}
	for _, k := range Keys() {
		if k.Name == key {
			return fmt.Errorf("%s is the pipeline's, shared by every dataset: set streamlake:%s at the top level (keys a dataset may set: %s)",
				key, key, strings.Join(known, ", "))
		}
	}
	hint := ""
	if s := nearest(key, known); s != "" {
		hint = ": did you mean " + s + "?"
	}
	return fmt.Errorf("%s is not a key a dataset may set (keys are case-sensitive)%s", key, hint)
}

// cliValue turns a JSON value into the string the Pulumi CLI passes for a top-level key of
// that value: strings as they are, numbers and booleans as written, lists and objects as JSON.
func cliValue(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case nil:
		return "", errors.New("null is not a value: remove the key to use the stack's value")
	case string:
		return x, nil
	}
	return string(raw), nil
}

// deriveDatasetDefaults fills what depends on other keys when the dataset changes one of them
// but not the other: shardCount follows streamMode, crawlerSchedule partitionDiscovery.
func (c *Config) deriveDatasetDefaults(stack *Config, set []string) {
	has := func(k string) bool { return slices.Contains(set, k) }
	if has("streamMode") && !has("shardCount") {
		c.ShardCount = 0
		if c.StreamMode == awsrules.Provisioned {
			c.ShardCount = 1
		}
	}
	if has("partitionDiscovery") && !has("crawlerSchedule") {
		switch {
		case !c.PartitionDiscovery.Crawls():
			c.CrawlerSchedule = ""
		case stack.CrawlerSchedule == "" || !stack.PartitionDiscovery.Crawls() ||
			stack.CrawlerSchedule == DefaultCrawlerSchedules[stack.PartitionDiscovery]:
			c.CrawlerSchedule = DefaultCrawlerSchedules[c.PartitionDiscovery]
		}
	}
}

// validateDataset checks a dataset's configuration: every per-dataset key's rule, the rules
// between them, and what the dataset's schema needs of them.
func (c *Config) validateDataset(d *Dataset, unparsed map[string]bool) error {
	v := &validation{failed: map[string]bool{}}
	for k := range unparsed {
		v.failed[k] = true
	}
	for _, k := range Keys() {
		if k.PerDataset && !v.failed[k.Name] {
			v.key(k.Name, k.check(c))
		}
	}
	v.stream(c)
	v.catalog(c)
	v.delivery(c)
	v.alarms(c)
	if c.UnknownFields == "keep" && d.Schema.Extras == "" {
		v.check(fmt.Errorf("unknownFields is keep but %s has no extras field (roles.extras) to keep unknown fields in: "+
			"set unknownFields: reject for the dataset (streamlake:datasets: {%s: {unknownFields: reject}}), or add an extras field",
			d.File, d.Name))
	}
	return errors.Join(v.errs...)
}

// clone copies c deeply enough that a dataset's values never change the stack's.
func (c *Config) clone() *Config {
	dc := *c
	dc.ShardLevelMetrics = slices.Clone(c.ShardLevelMetrics)
	dc.AllowBreakingSchemaChange = slices.Clone(c.AllowBreakingSchemaChange)
	dc.Datasets = nil
	return &dc
}

// quotaUse is what the stack's datasets take of the quotas that grow with them.
func (c *Config) quotaUse() awsrules.QuotaUse {
	use := awsrules.QuotaUse{
		awsrules.QuotaAPIResources:    len(apispec.Resources(c.DatasetNames())),
		awsrules.QuotaFirehoseStreams: len(c.Datasets),
		awsrules.QuotaGlueTables:      len(c.Datasets),
	}
	for _, d := range c.Datasets {
		if d.StreamMode == awsrules.OnDemand {
			use[awsrules.QuotaOnDemandStreams]++
		}
		use[awsrules.QuotaKinesisShards] += d.ShardCount
		if d.PartitionDiscovery.Crawls() {
			use[awsrules.QuotaGlueCrawlers]++
		}
	}
	return use
}

// flatten lists the leaves of a joined error.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
