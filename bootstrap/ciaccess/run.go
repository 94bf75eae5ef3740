package ciaccess

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
)

// Run is the whole bootstrap program: main only calls pulumi.Run(ciaccess.Run); tests call Run
// under mocks.
func Run(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("look up the account to bootstrap (are AWS credentials set?): %w", err)
	}
	tags := map[string]string{"project": ctx.Project(), "stack": ctx.Stack(), "managed-by": "pulumi"}
	provider, err := oidcProvider(ctx, cfg, tags)
	if err != nil {
		return err
	}
	backend, err := NewStateBackend(ctx, "state", &StateBackendArgs{
		Region:   cfg.Region,
		KeyAlias: fmt.Sprintf("alias/%s-%s-state", ctx.Project(), ctx.Stack()),
		Tags:     tags,
	})
	if err != nil {
		return err
	}
	for _, name := range cfg.StackNames() {
		s := cfg.AppStacks[name]
		access, err := NewStackAccess(ctx, name, &StackAccessArgs{
			Stack: name, AppStack: s, Repository: cfg.Repository, AppProject: cfg.AppProject,
			Partition: awsrules.Partition(cfg.Region), Account: identity.AccountId,
			ProviderARN: provider, Backend: backend, BackendRegion: cfg.Region, Tags: tags,
		})
		if err != nil {
			return err
		}
		// Each output is the repository variable of the same name.
		ctx.Export(VariableName(VarRegion, name), pulumi.String(s.Region))
		ctx.Export(VariableName(VarPreviewRole, name), access.PreviewRoleArn)
		ctx.Export(VariableName(VarDeployRole, name), access.DeployRoleArn)
		ctx.Export(VariableName(VarBackendURL, name), backend.URL)
		ctx.Export(VariableName(VarSecretsProvider, name), access.SecretsProvider)
	}
	return nil
}

// oidcProvider returns the configured GitHub OIDC provider, or creates it. AWS validates
// GitHub's certificate against its own trusted CAs, so no thumbprint is pinned.
func oidcProvider(ctx *pulumi.Context, cfg *Config, tags map[string]string) (pulumi.StringInput, error) {
	if cfg.OIDCProviderARN != "" {
		return pulumi.String(cfg.OIDCProviderARN), nil
	}
	p, err := iam.NewOpenIdConnectProvider(ctx, "github", &iam.OpenIdConnectProviderArgs{
		Url:           pulumi.String("https://" + GitHubOIDCHost),
		ClientIdLists: pulumi.StringArray{pulumi.String(GitHubOIDCAudience)},
		Tags:          pulumi.ToStringMap(tags),
	}, pulumi.Protect(true), pulumi.RetainOnDelete(true)) // other stacks of the account may use it
	if err != nil {
		return nil, fmt.Errorf("github oidc provider: %w", err)
	}
	return p.Arn, nil
}
