package ciaccess

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newKey creates a customer managed key with rotation on and an alias. Its key policy is AWS's
// default (the account's IAM policies decide), so the roles' policies are the whole story.
func newKey(ctx *pulumi.Context, name, description, alias string, tags map[string]string, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Tags:                 pulumi.ToStringMap(tags),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	if _, err := kms.NewAlias(ctx, name+"-alias", &kms.AliasArgs{
		Name: pulumi.String(alias), TargetKeyId: key.KeyId,
	}, pulumi.Parent(key)); err != nil {
		return nil, fmt.Errorf("key alias %s: %w", alias, err)
	}
	return key, nil
}
