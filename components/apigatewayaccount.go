package components

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// APIGatewayAccountArgs configures the account-wide API Gateway logging role.
type APIGatewayAccountArgs struct {
	Env *Env
}

// Validate checks the args.
func (a *APIGatewayAccountArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("api gateway account: %w", err)
	}
	return nil
}

// APIGatewayAccount sets the region's API Gateway CloudWatch Logs role, without which no
// stage in the account can write execution or access logs (the first deploy fails with
// "CloudWatch Logs role ARN must be set in account settings"). It is one setting per account
// and region: both the role and the setting are kept when a stack is destroyed, so removing
// dev never breaks prod's logging. Only stacks with manageApiGatewayAccount=true create it.
type APIGatewayAccount struct {
	pulumi.ResourceState
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// Settings is the account resource; stages depend on it.
	Settings *apigateway.Account `pulumi:"-"`
}

// NewAPIGatewayAccount creates the role and the account setting.
func NewAPIGatewayAccount(ctx *pulumi.Context, name string, args *APIGatewayAccountArgs, opts ...pulumi.ResourceOption) (*APIGatewayAccount, error) {
	if args == nil {
		return nil, fmt.Errorf("api gateway account %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &APIGatewayAccount{}
	// The type token keeps its first spelling: a new token would replace the deployed
	// component and, with it, the URNs of its children.
	if err := ctx.RegisterComponentResource(typePrefix+"ApiGatewayAccount", name, c, opts...); err != nil {
		return nil, err
	}
	keep := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.RetainOnDelete(true)}
	role, err := newServiceRole(ctx, name+"-cloudwatch-role", args.Env, serviceRole{
		Service:     "apigateway.amazonaws.com",
		Description: "API Gateway account setting: write execution and access logs of every API in this region",
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("api gateway account %s: %w", name, err)
	}
	// AWS's managed policy for exactly this role; its log-group scope must cover every API.
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-cloudwatch-policy", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(arn.ARN{Partition: args.Env.Partition, Service: "iam", AccountID: "aws", Resource: "policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}.String()),
	}, append(keep, pulumi.Parent(role))...)
	if err != nil {
		return nil, fmt.Errorf("api gateway account %s policy: %w", name, err)
	}
	// API Gateway checks that the role can write logs when the setting is made.
	acct, err := apigateway.NewAccount(ctx, name+"-settings", &apigateway.AccountArgs{
		CloudwatchRoleArn: role.Arn,
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{attachment}))...)
	if err != nil {
		return nil, fmt.Errorf("api gateway account %s settings: %w", name, err)
	}
	c.RoleArn, c.Settings = role.Arn, acct
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": role.Arn}); err != nil {
		return nil, err
	}
	return c, nil
}
