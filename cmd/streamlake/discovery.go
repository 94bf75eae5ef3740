package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/streamlake/streamlake/lakelayout"
)

// outDiscovery is the stack output naming the stack's partitionDiscovery.
const outDiscovery = "partitionDiscovery"

// stackDiscovery returns how the stack finds new partitions: --partition-discovery, else the
// stack output partitionDiscovery. A stack whose outputs lack it was deployed before the key
// existed, with the crawler only.
func stackDiscovery(ctx context.Context, e *env, so *stackOutputs, flagVal string) (lakelayout.Discovery, error) {
	v, err := so.pick(ctx, e, flagVal, "partition-discovery", "", outDiscovery)
	if err != nil {
		if !so.loaded() {
			return "", err
		}
		v = string(lakelayout.CrawlerOnly)
	}
	d := lakelayout.Discovery(v)
	if !slices.Contains(lakelayout.Discoveries, d) {
		if flagVal != "" {
			return "", usagef("--partition-discovery %q: want one of %v", v, lakelayout.Discoveries)
		}
		return "", fmt.Errorf("stack output %s is %q, want one of %v: is the CLI older than the stack?", outDiscovery, v, lakelayout.Discoveries)
	}
	return d, nil
}

// addsPartitions decides whether verify registers the events' partitions with ALTER TABLE.
// Only a crawler-only stack reads partitions from the catalog: there verify adds them unless
// --add-partitions=false (then the crawler must). With partition projection Athena ignores
// the catalog's partitions, so verify adds none, and asking it to is a usage error.
func addsPartitions(discovery lakelayout.Discovery, flagVal, flagGiven bool) (bool, error) {
	if discovery == lakelayout.CrawlerOnly {
		return flagVal, nil
	}
	if flagGiven && flagVal {
		return false, usagef("--add-partitions: the stack's partitionDiscovery is %s, so Athena projects partitions and ignores those in the catalog; "+
			"verify adds none (--add-partitions is for crawler-only stacks)", discovery)
	}
	return false, nil
}

// given reports whether a flag was set on the command line.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
