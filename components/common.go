// Package components holds the streamlake building blocks, one ComponentResource per file.
// Each takes typed Args, validates them before creating anything, parents every child to
// itself and registers its outputs.
package components

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/schema"
)

// typePrefix is the package and module of every streamlake component type token.
const typePrefix = "streamlake:components:"

// Env is what every component needs to know about where it is deployed. ARNs are built from
// it (rather than from lookups) so that previews are fast and fully known.
type Env struct {
	Region    string
	Partition string
	// AccountID is the deploying account, for ARNs and confused-deputy conditions.
	AccountID pulumi.StringInput
	// KeyArn is the stack's customer managed KMS key: everything at rest is encrypted with it.
	KeyArn pulumi.StringInput
	// LogRetentionDays applies to every log group a component creates.
	LogRetentionDays int
}

func (e *Env) validate() error {
	if e == nil {
		return fmt.Errorf("env is required")
	}
	if e.Region == "" || e.Partition == "" || e.AccountID == nil || e.KeyArn == nil {
		return fmt.Errorf("env needs Region, Partition, AccountID and KeyArn")
	}
	if e.LogRetentionDays <= 0 {
		return fmt.Errorf("env.LogRetentionDays must be positive, got %d", e.LogRetentionDays)
	}
	return nil
}

// policy renders a policy document whose values depend on outputs: build receives each
// input resolved, under the name it was given. It is the only way components build IAM JSON.
func policy(inputs map[string]pulumi.StringInput, build func(v map[string]string) iampolicy.Document) pulumi.StringOutput {
	return pulumi.StringMap(inputs).ToStringMapOutput().ApplyT(func(v map[string]string) (string, error) {
		return build(v).JSON()
	}).(pulumi.StringOutput)
}

// serviceRole creates a role that one AWS service may assume, with one inline policy.
// account, when set, becomes a confused-deputy condition in the trust policy; externalID
// uses sts:ExternalId instead, for services (Firehose) documented that way.
type serviceRole struct {
	Service string
	// Trust selects the trust policy's condition: "account" (aws:SourceAccount),
	// "external-id" (sts:ExternalId = account) or "" (the service passes neither).
	Trust       string
	Description string
	Policy      pulumi.StringInput
}

// grantedRole is a role and everything that must exist before the role can be used.
type grantedRole struct {
	*iam.Role
	name string
	opts []pulumi.ResourceOption
	// Ready lists the role and its policy: depend on it, since a service that checks its
	// permissions on creation (Firehose, Glue, Lambda) fails if the policy is not there yet.
	Ready []pulumi.Resource
}

// grant gives the role its inline policy, <role>-policy, for policies that name resources
// created after the role (the crawler's log group is named after it).
func (g *grantedRole) grant(ctx *pulumi.Context, policy pulumi.StringInput) error {
	rp, err := iam.NewRolePolicy(ctx, g.name+"-policy", &iam.RolePolicyArgs{
		Role:   g.Name,
		Policy: policy,
	}, slices.Concat(g.opts, []pulumi.ResourceOption{pulumi.Parent(g.Role)})...)
	if err != nil {
		return fmt.Errorf("role policy %s: %w", g.name, err)
	}
	g.Ready = append(g.Ready, rp)
	return nil
}

func newServiceRole(ctx *pulumi.Context, name string, env *Env, r serviceRole, opts ...pulumi.ResourceOption) (*grantedRole, error) {
	trust := env.AccountID.ToStringOutput().ApplyT(func(account string) (string, error) {
		doc := iampolicy.AssumeRole(r.Service, "", "")
		switch r.Trust {
		case "account":
			doc = iampolicy.AssumeRole(r.Service, account, "")
		case "external-id":
			doc.Statement[0] = doc.Statement[0].When("StringEquals", "sts:ExternalId", account)
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.String(r.Description),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	g := &grantedRole{Role: role, name: name, opts: opts, Ready: []pulumi.Resource{role}}
	if r.Policy != nil {
		if err := g.grant(ctx, r.Policy); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// newLogGroup creates a KMS-encrypted log group with the stack's retention. name, when set,
// is the physical name AWS services require (e.g. API Gateway execution logs).
func newLogGroup(ctx *pulumi.Context, logical string, env *Env, physical pulumi.StringPtrInput, opts ...pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	lg, err := cloudwatch.NewLogGroup(ctx, logical, &cloudwatch.LogGroupArgs{
		Name:            physical,
		RetentionInDays: pulumi.Int(env.LogRetentionDays),
		KmsKeyId:        env.KeyArn,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("log group %s: %w", logical, err)
	}
	return lg, nil
}

// arn builds an ARN in the stack's partition and region.
func (e *Env) arn(service, account, resource string) string {
	return arn.ARN{Partition: e.Partition, Service: service, Region: e.Region, AccountID: account, Resource: resource}.String()
}

// endpoint is a service's regional endpoint, as kms:ViaService conditions name it.
func (e *Env) endpoint(service string) string { return regionalEndpoint(service, e.Region) }

func regionalEndpoint(service, region string) string {
	return service + "." + region + ".amazonaws.com"
}

// datasetOrDefault is a component's dataset: "" means the default dataset.
func datasetOrDefault(name string) string {
	if name == "" {
		return schema.DefaultDataset
	}
	return name
}

// checkDataset checks a component's dataset name ("" or the default's, or a dataset file's).
func checkDataset(name string) error {
	if name == "" || name == schema.DefaultDataset {
		return nil
	}
	return schema.CheckDatasetName(name)
}

// jsonString marshals v for resource inputs that take JSON (crawler configuration, etc.).
func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
