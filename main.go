// Command streamlake is the Pulumi program of the streamlake pipeline.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
