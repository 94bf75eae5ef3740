package tests

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
	slstacks "github.com/streamlake/streamlake/stacks"
)

// buildWith is the program with another schema in place of schema/events.yaml.
func buildWith(s *schema.Schema) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := slstacks.Load(ctx, nil)
		if err != nil {
			return err
		}
		cfg.Datasets[0].Schema = s
		_, err = slstacks.Build(ctx, cfg)
		return err
	}
}

// withQuality is today's schema plus an optional field at the end: the runbook's example.
func withQuality() *schema.Schema {
	s := schema.Default()
	s.Fields = append(s.Fields, schema.Field{Name: "quality", Type: schema.String, MaxLength: 32, Description: "Stream quality, e.g. 720p."})
	return s
}

// changedInputs lists "type name: keys" for every resource whose inputs differ between two
// runs with the same resources.
func changedInputs(t *testing.T, a, b *stacktest.Result) map[string][]string {
	t.Helper()
	if len(a.Resources) != len(b.Resources) {
		t.Fatalf("resource count changed: %d -> %d", len(a.Resources), len(b.Resources))
	}
	out := map[string][]string{}
	for i, ra := range a.Resources {
		rb := b.Resources[i]
		if ra.URN != rb.URN {
			t.Fatalf("resource set changed: %s vs %s", ra.URN, rb.URN)
		}
		var keys []string
		for k := range mapsUnion(ra.Inputs, rb.Inputs) {
			if !reflect.DeepEqual(ra.Inputs[k], rb.Inputs[k]) {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			sort.Strings(keys)
			out[ra.Type+" "+ra.Name] = keys
		}
	}
	return out
}

func mapsUnion(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestAddingAFieldChangesOnlyWhatItMust: one field added to the schema changes the Glue table's
// columns, the two request models and the API deployment that captures them, and the Lambda's
// code (its binary embeds the schema), and nothing else: not the stream, the delivery stream
// (it calls the function as ARN:$LATEST and converts with the table's LATEST version), the
// buckets, the queries or the alarms. The preview check passes against the deployed table.
func TestAddingAFieldChangesOnlyWhatItMust(t *testing.T) {
	for _, stack := range stacks {
		live := stacktest.DeployedTable(schema.Default())
		before, err := stacktest.Run(stacktest.Options{Stack: stack, Program: buildWith(schema.Default()), LiveTable: live})
		if err != nil {
			t.Fatal(err)
		}
		after, err := stacktest.Run(stacktest.Options{Stack: stack, Program: buildWith(withQuality()), LiveTable: live})
		if err != nil {
			t.Fatalf("%s: adding an optional field at the end must pass preview: %v", stack, err)
		}
		if len(after.Warnings) != 0 {
			t.Errorf("%s: warnings %q", stack, after.Warnings)
		}
		got := changedInputs(t, before, after)
		want := map[string][]string{
			tTable + " catalog-table":           {"storageDescriptor"},
			tModel + " ingest-model-Event":      {"schema"},
			tModel + " ingest-model-EventBatch": {"schema"},
			tDeployment + " ingest-deployment":  {"description", "triggers"},
			tFunction + " transform-function":   {"code", "sourceCodeHash"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: adding a field changed\n%v\nwant exactly\n%v", stack, got, want)
		}
		cols := one(t, after, tTable).List("storageDescriptor.columns")
		if last := cols[len(cols)-1].(map[string]any); last["name"] != "quality" || last["type"] != "string" {
			t.Errorf("%s: the new column is not last: %v", stack, last)
		}
		if bytes.Contains(lambdaBinary(t, one(t, before, tFunction)), []byte("name: quality")) ||
			!bytes.Contains(lambdaBinary(t, one(t, after, tFunction)), []byte("name: quality")) {
			t.Errorf("%s: the Lambda's binary does not embed the schema it was built for", stack)
		}
		if !strings.Contains(find(t, after, tModel, "ingest-model-Event").Str("schema"), `"quality":{"description":"Stream quality, e.g. 720p.","type":"string","maxLength":32}`) {
			t.Errorf("%s: the event model lacks the field", stack)
		}
	}
}

// lambdaBinary reads the bootstrap binary out of the function's archive.
func lambdaBinary(t *testing.T, fn *stacktest.Resource) []byte {
	t.Helper()
	z, err := zip.OpenReader(fn.Str("code.path"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = z.Close() }()
	f, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSchemaChangeApplyOrder: during one `pulumi up` the table changes first, then the Lambda,
// then the API. The transform component depends on every resource of the catalog (the Go SDK
// expands a component dependency to its children, and a child registers only after its
// parent), and the ingest API on the transform function. Firehose needs no step: it calls
// ARN:$LATEST and reads the table's LATEST version.
func TestSchemaChangeApplyOrder(t *testing.T) {
	res := run(t, "prod", nil)
	component := func(typ string) *stacktest.Resource {
		rs := res.OfType("streamlake:components:" + typ)
		if len(rs) != 1 {
			t.Fatalf("%d components %s", len(rs), typ)
		}
		return rs[0]
	}
	table, fn := one(t, res, tTable), one(t, res, tFunction)
	if !slices.Contains(component("TransformFunction").DependsOn, table.URN) {
		t.Errorf("the transform function does not wait for the Glue table: %v", component("TransformFunction").DependsOn)
	}
	if !slices.Contains(component("IngestAPI").DependsOn, fn.URN) {
		t.Errorf("the ingest API does not wait for the transform function: %v", component("IngestAPI").DependsOn)
	}
}
