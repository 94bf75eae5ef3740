package main

import (
	"github.com/streamlake/streamlake/costplan"
	"github.com/streamlake/streamlake/stackconfig"
)

// loadStack reads and validates a stack's configuration (Pulumi.yaml's defaults and
// Pulumi.<stack>.yaml in root) as the program would, as the plan's plain values. Tests replace
// it to plan stacks no file describes.
var loadStack = func(root, stack string) (costplan.Stack, error) {
	c, err := stackconfig.FromFiles(root, stack, nil)
	if err != nil {
		return costplan.Stack{}, err
	}
	return costplan.FromConfig(c), nil
}
