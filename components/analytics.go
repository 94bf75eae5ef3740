package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/queries"
	"github.com/streamlake/streamlake/schema"
)

// AnalyticsArgs configures the Athena workgroup and its saved queries.
type AnalyticsArgs struct {
	Env           *Env
	Schema        *schema.Schema
	WorkgroupName string
	BucketName    pulumi.StringInput
	// DatabaseName and TableName are the Glue names the queries read: TableName and Schema
	// are the default dataset's.
	DatabaseName, TableName string
	// Others are the other datasets' tables, each with the saved queries its schema allows
	// (queries.For).
	Others []AnalyticsTable
	// BytesScannedCutoffMiB caps the data one query may scan, in MiB (2^20 bytes).
	BytesScannedCutoffMiB int
	// ForceDestroy lets `pulumi destroy` delete the workgroup although it holds query
	// history: the provider then sets DeleteWorkGroup's RecursiveDeleteOption, without which
	// AWS refuses a workgroup that still holds named queries, query executions or notebooks
	// ("WorkGroup ... is not empty"). Pulumi deletes the saved queries first, but not the
	// executions, so without ForceDestroy (prod) a destroy fails on a workgroup that has run
	// any query AWS still keeps in its history; delete it by hand with
	// `aws athena delete-work-group --work-group <name> --recursive-delete-option`.
	ForceDestroy bool
}

// AnalyticsTable is a dataset's table, for its saved queries.
type AnalyticsTable struct {
	Dataset string
	Schema  *schema.Schema
	Table   string
}

// tables are the default dataset's table and the others'.
func (a *AnalyticsArgs) tables() []AnalyticsTable {
	return append([]AnalyticsTable{{Dataset: schema.DefaultDataset, Schema: a.Schema, Table: a.TableName}}, a.Others...)
}

// savedQueries are every table's saved queries, with the logical name (analytics-<id> for the
// default dataset's, analytics-<dataset>-<id> for the others') and the query name, which
// names the dataset for the others.
func (a *AnalyticsArgs) savedQueries(name string) (map[string]queries.Query, []string, error) {
	out := map[string]queries.Query{}
	var order []string
	for _, t := range a.tables() {
		if t.Schema == nil || t.Table == "" {
			return nil, nil, fmt.Errorf("dataset %s: Schema and Table are required", t.Dataset)
		}
		qs, _, err := queries.For(t.Schema, a.DatabaseName, t.Table)
		if err != nil {
			return nil, nil, fmt.Errorf("dataset %s: %w", t.Dataset, err)
		}
		for _, q := range qs {
			logical := name + "-" + q.ID
			if t.Dataset != schema.DefaultDataset {
				logical = name + "-" + t.Dataset + "-" + q.ID
				q.Name = t.Dataset + ": " + q.Name
			}
			out[logical] = q
			order = append(order, logical)
		}
	}
	return out, order, nil
}

// Validate checks names and Athena's limits.
func (a *AnalyticsArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	if a.Schema == nil || a.BucketName == nil || a.DatabaseName == "" || a.TableName == "" {
		return fmt.Errorf("analytics: Schema, BucketName, DatabaseName and TableName are required")
	}
	if err := awsrules.CheckName("aws:athena/workgroup:Workgroup", a.WorkgroupName, false); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	if err := awsrules.CheckBytesScannedCutoffMiB(a.BytesScannedCutoffMiB); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	if _, _, err := a.savedQueries("analytics"); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	return nil
}

// Analytics is an Athena workgroup that enforces its settings (encrypted results in the lake,
// a per-query scan cap, CloudWatch metrics) and the users' first saved queries.
type Analytics struct {
	pulumi.ResourceState
	WorkgroupName pulumi.StringOutput `pulumi:"workgroupName"`
	WorkgroupArn  pulumi.StringOutput `pulumi:"workgroupArn"`
}

// NewAnalytics creates the workgroup and named queries.
func NewAnalytics(ctx *pulumi.Context, name string, args *AnalyticsArgs, opts ...pulumi.ResourceOption) (*Analytics, error) {
	if args == nil {
		return nil, fmt.Errorf("analytics %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Analytics{}
	if err := ctx.RegisterComponentResource(typePrefix+"Analytics", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	// Only the name forces replacement, so create-before-delete never collides; deleting first
	// would drop query history and saved queries. Saved query names need not be unique.
	wg, err := athena.NewWorkgroup(ctx, name+"-workgroup", &athena.WorkgroupArgs{
		Name:         pulumi.String(args.WorkgroupName),
		Description:  pulumi.Sprintf("streamlake %s: queries over the events lake", ctx.Stack()),
		ForceDestroy: pulumi.Bool(args.ForceDestroy),
		Configuration: &athena.WorkgroupConfigurationArgs{
			// Clients cannot override the location, encryption or scan cap.
			EnforceWorkgroupConfiguration:   pulumi.Bool(true),
			PublishCloudwatchMetricsEnabled: pulumi.Bool(true),
			BytesScannedCutoffPerQuery:      pulumi.Int(awsrules.BytesScannedCutoff(args.BytesScannedCutoffMiB)),
			EngineVersion: &athena.WorkgroupConfigurationEngineVersionArgs{
				SelectedEngineVersion: pulumi.String("Athena engine version 3"),
			},
			ResultConfiguration: &athena.WorkgroupConfigurationResultConfigurationArgs{
				OutputLocation: pulumi.Sprintf("s3://%s/%s", args.BucketName, lakelayout.ResultsPrefix),
				EncryptionConfiguration: &athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs{
					EncryptionOption: pulumi.String("SSE_KMS"),
					KmsKeyArn:        args.Env.KeyArn,
				},
			},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("analytics %s workgroup: %w", name, err)
	}
	saved, order, _ := args.savedQueries(name) // validated above
	for _, logical := range order {
		q := saved[logical]
		if _, err := athena.NewNamedQuery(ctx, logical, &athena.NamedQueryArgs{
			Name:        pulumi.String(q.Name),
			Description: pulumi.String(q.Description),
			Database:    pulumi.String(args.DatabaseName),
			Workgroup:   wg.Name,
			Query:       pulumi.String(q.SQL),
		}, parent); err != nil {
			return nil, fmt.Errorf("analytics %s query %s: %w", name, q.ID, err)
		}
	}
	c.WorkgroupName, c.WorkgroupArn = wg.Name, wg.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"workgroupName": wg.Name, "workgroupArn": wg.Arn}); err != nil {
		return nil, err
	}
	return c, nil
}
