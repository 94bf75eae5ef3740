package stacks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/schema"
)

// tableAccess is how the table components.Catalog declares reads Parquet: its SerDe sets no
// parquet.column.index.access, so Athena maps columns by name (a test keeps this true).
const tableAccess = schema.ByName

// checkSchema compares the deployed Glue table with the schema before the table is declared,
// so that preview refuses a change Athena could not read from the files already in the lake
// (schema.Compare), unless allowBreakingSchemaChange names the column. Allowed changes readers
// notice, and changes allowed on purpose, are warnings.
func (p *Pipeline) checkSchema(ctx *pulumi.Context, d *DatasetPipeline) error {
	names := d.Names
	deployed, err := deployedTable(ctx, names.Database, names.Table, p.Config.LiveLookupErrors)
	if err != nil || deployed == nil {
		return err
	}
	warnings, err := schema.Decide(schema.Compare(*deployed, d.Schema, tableAccess), d.AllowBreakingSchemaChange)
	for _, w := range warnings {
		_ = ctx.Log.Warn(fmt.Sprintf("table %s.%s: %s", names.Database, names.Table, w), nil)
	}
	if err != nil {
		return fmt.Errorf("table %s.%s: %w", names.Database, names.Table, err)
	}
	return nil
}

// deployedTable reads the live table's columns and partition keys; nil means there is nothing
// to compare with (a first deploy, or a lookup error under liveLookupErrors warn).
func deployedTable(ctx *pulumi.Context, database, table, onError string) (*schema.Table, error) {
	t, err := glue.LookupCatalogTable(ctx, &glue.LookupCatalogTableArgs{DatabaseName: database, Name: table})
	found, err := liveLookup(ctx, err, isTableNotFound, onError, liveCheck{
		subject: "table " + database + "." + table + ": the deployed columns", check: "schema compatibility check",
		consequence: "a change Athena cannot read from existing files would not be refused",
	})
	if !found {
		return nil, err
	}
	out := &schema.Table{}
	if len(t.StorageDescriptors) > 0 {
		for _, c := range t.StorageDescriptors[0].Columns {
			out.Columns = append(out.Columns, schema.Column{Name: c.Name, Type: c.Type, Comment: c.Comment})
		}
	}
	for _, c := range t.PartitionKeys {
		out.PartitionKeys = append(out.PartitionKeys, schema.Column{Name: c.Name, Type: c.Type, Comment: c.Comment})
	}
	return out, nil
}

// isTableNotFound recognizes the provider's "not found" for glue.getCatalogTable (the error
// crosses gRPC as text): terraform-provider-aws's aws_glue_catalog_table data source turns
// GetTable's EntityNotFoundException (no such table, or no such database) into "No Glue table
// <name> found for catalog_id: <id>, database_name: <db>"; the AWS error's name is matched too
// in case a provider version prints it.
func isTableNotFound(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "No Glue table") || strings.Contains(msg, "EntityNotFoundException")
}
