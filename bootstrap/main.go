// Command bootstrap is the streamlake-bootstrap Pulumi program: CI's AWS access (GitHub OIDC
// provider, per-stack preview and deploy roles, state bucket, secrets keys). See docs/ci.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/bootstrap/ciaccess"
)

func main() { pulumi.Run(ciaccess.Run) }
