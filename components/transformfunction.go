package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// TransformFunctionArgs configures the transform Lambda.
type TransformFunctionArgs struct {
	Env *Env
	// Dataset is the dataset whose records the function validates ("": the default), which
	// its environment names: every dataset's function runs the same build.
	Dataset string
	// ArchivePath is the reproducible zip holding the bootstrap binary; CodeSHA256 is its
	// base64 SHA-256, so an unchanged build shows no diff.
	ArchivePath string
	CodeSHA256  string
	// MemoryMiB is the function's memory: Lambda's "MB" are MiB.
	MemoryMiB int
	// TimeoutSeconds must fit Firehose: 60..300.
	TimeoutSeconds int
	// ReservedConcurrency caps parallel invocations (0: unreserved).
	ReservedConcurrency int
	// UnknownFields is what the function does with fields the schema does not declare.
	UnknownFields schema.UnknownFields
	// LogLevel is the function's application log level: DEBUG, INFO, WARN or ERROR.
	LogLevel string
}

// Validate checks the function against Lambda's and Firehose's limits.
func (a *TransformFunctionArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("transform function: %w", err)
	}
	if err := checkDataset(a.Dataset); err != nil {
		return fmt.Errorf("transform function: %w", err)
	}
	if a.ArchivePath == "" || a.CodeSHA256 == "" {
		return fmt.Errorf("transform function: ArchivePath and CodeSHA256 are required (build the archive first)")
	}
	if a.MemoryMiB < awsrules.MinLambdaMemoryMiB || a.MemoryMiB > awsrules.MaxLambdaMemoryMiB {
		return fmt.Errorf("transform function: memory must be %d..%d MB, got %d", awsrules.MinLambdaMemoryMiB, awsrules.MaxLambdaMemoryMiB, a.MemoryMiB)
	}
	if a.TimeoutSeconds < awsrules.MinFirehoseLambdaTimeout || a.TimeoutSeconds > awsrules.MaxFirehoseLambdaTimeout {
		return fmt.Errorf("transform function: timeout must be %d..%d s for a Firehose transform (Firehose waits at most 5 minutes), got %d", awsrules.MinFirehoseLambdaTimeout, awsrules.MaxFirehoseLambdaTimeout, a.TimeoutSeconds)
	}
	if a.UnknownFields != schema.KeepUnknown && a.UnknownFields != schema.RejectUnknown {
		return fmt.Errorf("transform function: UnknownFields must be %q or %q, got %q", schema.KeepUnknown, schema.RejectUnknown, a.UnknownFields)
	}
	if a.ReservedConcurrency < 0 {
		return fmt.Errorf("transform function: reserved concurrency must not be negative, got %d", a.ReservedConcurrency)
	}
	switch a.LogLevel {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		return fmt.Errorf("transform function: log level must be DEBUG, INFO, WARN or ERROR, got %q", a.LogLevel)
	}
	return nil
}

// TransformFunction is the Go Lambda Firehose calls to validate and normalise records:
// provided.al2023 on arm64, JSON logs to its own log group with the stack's retention, and a
// role that may only write those logs.
type TransformFunction struct {
	pulumi.ResourceState
	Name     pulumi.StringOutput `pulumi:"name"`
	Arn      pulumi.StringOutput `pulumi:"arn"`
	LogGroup pulumi.StringOutput `pulumi:"logGroup"`
	// TimeoutSeconds is known at preview time so alarms can derive thresholds from it.
	TimeoutSeconds int `pulumi:"-"`
	// Function is the Lambda itself, for resources that must wait for a code change.
	Function *lambda.Function `pulumi:"-"`
}

// NewTransformFunction creates the log group, role and function.
func NewTransformFunction(ctx *pulumi.Context, name string, args *TransformFunctionArgs, opts ...pulumi.ResourceOption) (*TransformFunction, error) {
	if args == nil {
		return nil, fmt.Errorf("transform function %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &TransformFunction{TimeoutSeconds: args.TimeoutSeconds}
	if err := ctx.RegisterComponentResource(typePrefix+"TransformFunction", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	logs, err := newLogGroup(ctx, name+"-logs", args.Env, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("transform function %s: %w", name, err)
	}
	role, err := newServiceRole(ctx, name+"-role", args.Env, serviceRole{
		Service:     "lambda.amazonaws.com",
		Description: "streamlake transform Lambda: write its own logs",
		Policy: policy(map[string]pulumi.StringInput{"logs": logs.Arn}, func(v map[string]string) iampolicy.Document {
			// log-group:<name>:* covers the group (CreateLogStream) and its streams (PutLogEvents).
			return iampolicy.New(iampolicy.Allow("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, v["logs"]+":*"))
		}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("transform function %s: %w", name, err)
	}
	dataset, description := datasetOrDefault(args.Dataset), "streamlake: validate and normalise records for Firehose (JSON to Parquet)"
	if dataset != schema.DefaultDataset {
		description += ", dataset " + dataset
	}
	fargs := &lambda.FunctionArgs{
		Description:    pulumi.String(description),
		Runtime:        pulumi.String("provided.al2023"),
		Handler:        pulumi.String("bootstrap"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Code:           pulumi.NewFileArchive(args.ArchivePath),
		SourceCodeHash: pulumi.String(args.CodeSHA256),
		Role:           role.Arn,
		MemorySize:     pulumi.Int(args.MemoryMiB),
		Timeout:        pulumi.Int(args.TimeoutSeconds),
		Environment:    &lambda.FunctionEnvironmentArgs{Variables: pulumi.ToStringMap(transform.Environment(dataset, args.UnknownFields, args.LogLevel))},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            logs.Name,
			ApplicationLogLevel: pulumi.String(args.LogLevel),
			SystemLogLevel:      pulumi.String("WARN"),
		},
	}
	if args.ReservedConcurrency > 0 {
		fargs.ReservedConcurrentExecutions = pulumi.Int(args.ReservedConcurrency)
	}
	fn, err := lambda.NewFunction(ctx, name+"-function", fargs, parent, pulumi.DependsOn(append([]pulumi.Resource{logs}, role.Ready...)))
	if err != nil {
		return nil, fmt.Errorf("transform function %s: %w", name, err)
	}
	c.Name, c.Arn, c.LogGroup = fn.Name, fn.Arn, logs.Name
	c.Function = fn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"name": fn.Name, "arn": fn.Arn, "logGroup": logs.Name}); err != nil {
		return nil, err
	}
	return c, nil
}
