package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// AnalyticsArgs configures the Athena workgroup and its saved queries.
type AnalyticsArgs struct {
	Env           *Env
	Schema        *schema.Schema
	WorkgroupName string
	BucketName    pulumi.StringInput
	// DatabaseName and TableName are the Glue names the queries read.
	DatabaseName, TableName string
	// BytesScannedCutoffMiB caps the data one query may scan, in MiB (2^20 bytes).
	BytesScannedCutoffMiB int
	// ForceDestroy lets `pulumi destroy` delete the workgroup with its query history.
	ForceDestroy bool
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
	if _, err := NamedQueries(a.Schema, a.DatabaseName, a.TableName); err != nil {
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
				OutputLocation: pulumi.Sprintf("s3://%s/%s", args.BucketName, ResultsPrefix),
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
	queries, _ := NamedQueries(args.Schema, args.DatabaseName, args.TableName) // validated above
	for _, q := range queries {
		if _, err := athena.NewNamedQuery(ctx, name+"-"+q.ID, &athena.NamedQueryArgs{
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

// NamedQuery is a saved Athena query.
type NamedQuery struct {
	ID, Name, Description, SQL string
}

// NamedQueries returns the saved queries for the users' first questions. Column names come
// from the schema; a schema without the columns a query needs is an error, not a broken query.
// Every query restricts the partitions it reads and counts an event_id once, because
// producers may resend an event after a throttled batch.
func NamedQueries(s *schema.Schema, database, table string) ([]NamedQuery, error) {
	need := map[string]schema.Type{
		"event_id": schema.String, "event_type": schema.String, "watched_sec": schema.Double,
		s.PartitionKey: schema.String, s.EventTime: schema.Timestamp, s.ArrivalTime: schema.Timestamp,
	}
	for col, typ := range need {
		if f, ok := s.Field(col); !ok || f.Type != typ {
			return nil, fmt.Errorf("named queries need column %s of type %s in the schema", col, typ)
		}
	}
	if len(s.Partitions) < 3 {
		return nil, fmt.Errorf("named queries need year, month and day partitions")
	}
	from := fmt.Sprintf(`"%s"."%s"`, database, table)
	// The lake's date partitions (year, month, day) joined as yyyy-mm-dd for pruning, bounded on
	// both sides: with partition projection a lower bound alone makes Athena list every hour up
	// to the projection's last year. Tomorrow is the upper end: an event may claim a time up
	// to an hour after its arrival.
	day := fmt.Sprintf("concat(%s, '-', %s, '-', %s)", s.Partitions[0].Name, s.Partitions[1].Name, s.Partitions[2].Name)
	since := func(days int) string {
		return fmt.Sprintf("%s BETWEEN date_format(current_date - INTERVAL '%d' DAY, '%%Y-%%m-%%d') AND date_format(current_date + INTERVAL '1' DAY, '%%Y-%%m-%%d')", day, days)
	}
	dedup := func(where string) string {
		return fmt.Sprintf(`WITH events AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY %s) AS copy
  FROM %s
  WHERE %s
)`, s.ArrivalTime, from, where)
	}
	r := strings.NewReplacer("{user}", s.PartitionKey, "{at}", s.EventTime, "{in}", s.ArrivalTime)
	return []NamedQuery{
		{
			ID: "watch-time-per-user-per-day", Name: "Watch time per user per day (last 7 days)",
			Description: "Minutes watched per viewer per UTC day, each event counted once.",
			SQL: dedup(since(7)) + r.Replace(`
SELECT {user},
       date({at}) AS day_utc,
       round(sum(watched_sec) / 60.0, 1) AS watched_minutes,
       count(*) AS reports
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 2 DESC, 3 DESC
LIMIT 1000`),
		},
		{
			ID: "events-per-type-per-hour", Name: "Events per type per hour (last 2 days)",
			Description: "Event counts per type and UTC hour of occurrence, each event counted once.",
			SQL: dedup(since(1)) + r.Replace(`
SELECT date_trunc('hour', {at}) AS hour_utc,
       event_type,
       count(*) AS events
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 1 DESC, 3 DESC`),
		},
		{
			ID: "most-recent-events", Name: "Most recent events",
			Description: "The 100 latest events to reach the lake, with their ingestion lag.",
			SQL: r.Replace(fmt.Sprintf(`SELECT *,
       date_diff('millisecond', {at}, {in}) AS lag_ms
FROM %s
WHERE %s
ORDER BY {in} DESC
LIMIT 100`, from, since(1))),
		},
	}, nil
}
