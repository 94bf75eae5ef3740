package ciaccess

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StackAccessArgs configures CI's access to one app stack.
type StackAccessArgs struct {
	// Stack is the app stack's name and AppStack its settings (region, who may deploy).
	Stack    string
	AppStack AppStack
	// Repository ("owner/name") and AppProject as in Config.
	Repository, AppProject string
	Partition, Account     string
	// ProviderARN is the account's GitHub OIDC provider.
	ProviderARN pulumi.StringInput
	// Backend and BackendRegion are the account's state bucket and its region.
	Backend       *StateBackend
	BackendRegion string
	Tags          map[string]string
}

// Validate checks the args.
func (a *StackAccessArgs) Validate() error {
	if a.ProviderARN == nil || a.Backend == nil || a.Partition == "" || a.Account == "" || a.BackendRegion == "" {
		return fmt.Errorf("stack access %s: ProviderARN, Backend, Partition, Account and BackendRegion are required", a.Stack)
	}
	c := Config{Repository: a.Repository, AppProject: a.AppProject, Region: a.BackendRegion, AppStacks: map[string]AppStack{a.Stack: a.AppStack}}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("stack access %s: %w", a.Stack, err)
	}
	return nil
}

// StackAccess is CI's access to one app stack: a KMS key for the stack's Pulumi secrets, a
// preview role pull requests (or only its preview environment's jobs) assume and a deploy
// role only the configured branch or GitHub environment can assume.
type StackAccess struct {
	pulumi.ResourceState
	PreviewRoleArn pulumi.StringOutput `pulumi:"previewRoleArn"`
	DeployRoleArn  pulumi.StringOutput `pulumi:"deployRoleArn"`
	// SecretsProvider is the stack's --secrets-provider (awskms://alias/...?region=...).
	SecretsProvider pulumi.StringOutput `pulumi:"secretsProvider"`
}

// NewStackAccess creates the secrets key and both roles with their policies.
func NewStackAccess(ctx *pulumi.Context, name string, args *StackAccessArgs, opts ...pulumi.ResourceOption) (*StackAccess, error) {
	if args == nil {
		return nil, fmt.Errorf("stack access %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &StackAccess{}
	if err := ctx.RegisterComponentResource(typePrefix+"StackAccess", name, c, opts...); err != nil {
		return nil, err
	}
	prefix := args.AppProject + "-" + args.Stack
	alias := "alias/" + prefix + "-pulumi-secrets"
	// Protected and kept: without it the stack's secrets (config and state) are unreadable.
	key, err := newKey(ctx, name+"-secrets-key", fmt.Sprintf("Pulumi secrets of %s stack %s", args.AppProject, args.Stack),
		alias, args.Tags, pulumi.Parent(c), pulumi.Protect(true), pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, fmt.Errorf("stack access %s: %w", name, err)
	}
	target := pulumi.All(args.Backend.BucketName, args.Backend.KeyArn, key.Arn).ApplyT(func(v []any) Target {
		return Target{
			Partition: args.Partition, Account: args.Account, Region: args.AppStack.Region,
			Project: args.AppProject, Stack: args.Stack,
			StateBucket: v[0].(string), StateRegion: args.BackendRegion, StateKeyARN: v[1].(string), SecretsKeyARN: v[2].(string),
		}
	}).(pulumi.AnyOutput)
	roles := []ciRole{
		{Kind: "preview", Subjects: PreviewSubjects(args.Repository, args.AppStack), Policies: PreviewPolicies,
			Description: fmt.Sprintf("GitHub Actions pull requests of %s: preview %s stack %s (read only)", args.Repository, args.AppProject, args.Stack)},
		{Kind: "deploy", Subjects: DeploySubjects(args.Repository, args.AppStack), Policies: DeployPolicies,
			Description: fmt.Sprintf("GitHub Actions of %s: deploy %s stack %s", args.Repository, args.AppProject, args.Stack)},
	}
	arns := make([]pulumi.StringOutput, len(roles))
	for i, r := range roles {
		arns[i], err = newCIRole(ctx, name, prefix, r, args.ProviderARN, target, args.Tags, pulumi.Parent(c))
		if err != nil {
			return nil, fmt.Errorf("stack access %s: %w", name, err)
		}
	}
	c.PreviewRoleArn, c.DeployRoleArn = arns[0], arns[1]
	c.SecretsProvider = pulumi.Sprintf("awskms://%s?region=%s", alias, args.BackendRegion)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"previewRoleArn": c.PreviewRoleArn, "deployRoleArn": c.DeployRoleArn, "secretsProvider": c.SecretsProvider,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// ciRole is one of a stack's two roles: who may assume it and what it may do.
type ciRole struct {
	Kind        string
	Subjects    []string
	Policies    func(Target) []Policy
	Description string
}

// newCIRole creates the role (named <project>-<stack>-ci-<kind>, stable for the repository
// variables) and one managed policy per concern. How many policies there are is decided by
// the policy function on a zero Target; their documents by the resolved target.
func newCIRole(ctx *pulumi.Context, name, prefix string, r ciRole, providerARN pulumi.StringInput, target pulumi.AnyOutput,
	tags map[string]string, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	trust := providerARN.ToStringOutput().ApplyT(func(arn string) (string, error) {
		doc, err := TrustPolicy(arn, r.Subjects)
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-"+r.Kind, &iam.RoleArgs{
		Name:             pulumi.String(prefix + "-ci-" + r.Kind),
		Description:      pulumi.String(r.Description),
		AssumeRolePolicy: trust,
		Tags:             pulumi.ToStringMap(tags),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("%s role: %w", r.Kind, err)
	}
	for i, p := range r.Policies(Target{}) {
		i := i
		doc := target.ApplyT(func(t any) (string, error) { return r.Policies(t.(Target))[i].Document.JSON() }).(pulumi.StringOutput)
		policy, err := iam.NewPolicy(ctx, fmt.Sprintf("%s-%s-%s", name, r.Kind, p.Name), &iam.PolicyArgs{
			Description: pulumi.Sprintf("%s: %s", r.Description, p.Name),
			Policy:      doc,
			Tags:        pulumi.ToStringMap(tags),
		}, pulumi.Parent(role))
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s policy %s: %w", r.Kind, p.Name, err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-%s-%s-attachment", name, r.Kind, p.Name), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: policy.Arn,
		}, pulumi.Parent(role)); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s policy %s attachment: %w", r.Kind, p.Name, err)
		}
	}
	return role.Arn, nil
}
