package components

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

// Parquet storage of the events table, as Firehose writes it.
const (
	ParquetInputFormat  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	ParquetOutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	ParquetSerDe        = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
)

// crawlerLogPrefix is where Glue writes the logs of a crawler with a security configuration
// that encrypts CloudWatch logs: /aws-glue/crawlers-role/<role name>-<configuration name>.
const crawlerLogPrefix = "/aws-glue/crawlers-role/"

// CatalogArgs configures the Glue database, the events table and how its partitions are found.
type CatalogArgs struct {
	Env *Env
	// Dataset is the dataset whose table this is ("": the default): its lake folder is the
	// table's location (lakelayout.RootsOf).
	Dataset string
	Schema  *schema.Schema
	// Database is the pipeline's database, which the default dataset's catalog creates; nil
	// creates it (DatabaseName), set adds the table to it.
	Database *glue.CatalogDatabase
	// SharesDataFolder says that other datasets' folders lie inside this table's location
	// (the default dataset's data/, with other datasets): its crawler may then list and read
	// only the table's own partition folders (docs/datasets.md).
	SharesDataFolder bool
	// DatabaseName, TableName and CrawlerName are physical names; Athena SQL uses the first two.
	DatabaseName, TableName, CrawlerName string
	// SecurityConfigurationName names the Glue security configuration that encrypts the
	// crawler's logs with the stack key and gives them their own log group.
	SecurityConfigurationName string
	BucketName                pulumi.StringInput
	BucketArn                 pulumi.StringInput
	// Discovery decides between partition projection, the crawler, or both.
	Discovery lakelayout.Discovery
	// Partitioning is the delivery's lakelayout.EventTime or lakelayout.ArrivalTime: the projection's location
	// template is derived from the data prefix Firehose writes with it.
	Partitioning string
	// Schedule is the crawler's cron(...) expression; "" when Discovery has no crawler.
	Schedule string
}

// Validate checks names, schema, discovery mode and schedule.
func (a *CatalogArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if a.Schema == nil || a.BucketName == nil || a.BucketArn == nil {
		return fmt.Errorf("catalog: Schema, BucketName and BucketArn are required")
	}
	if err := checkDataset(a.Dataset); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := a.Schema.Validate(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if !slices.Contains(lakelayout.Discoveries, a.Discovery) {
		return fmt.Errorf("catalog: Discovery must be one of %v, got %q", lakelayout.Discoveries, a.Discovery)
	}
	names := map[string]string{
		"aws:glue/catalogDatabase:CatalogDatabase": a.DatabaseName,
		"aws:glue/catalogTable:CatalogTable":       a.TableName,
	}
	if a.Discovery.Crawls() {
		names["aws:glue/crawler:Crawler"] = a.CrawlerName
		names["aws:glue/securityConfiguration:SecurityConfiguration"] = a.SecurityConfigurationName
	}
	for typ, n := range names {
		if err := awsrules.CheckName(typ, n, false); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	if _, err := TableParameters(datasetOrDefault(a.Dataset), a.Schema, a.Discovery, a.Partitioning, "bucket"); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if !a.Discovery.Crawls() {
		if a.Schedule != "" {
			return fmt.Errorf("catalog: Schedule %q is set, but discovery %q has no crawler", a.Schedule, a.Discovery)
		}
		return nil
	}
	if err := awsrules.CheckSchedule(a.Schedule); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// Catalog is the Glue database and the events table, whose columns come from the event schema;
// its partitions are projected by Athena, registered by a crawler that never changes the
// table's schema (which belongs to this program), or both.
type Catalog struct {
	pulumi.ResourceState
	DatabaseName pulumi.StringOutput `pulumi:"databaseName"`
	TableName    pulumi.StringOutput `pulumi:"tableName"`
	TableArn     pulumi.StringOutput `pulumi:"tableArn"`
	// Database is the pipeline's database (created by this catalog or given to it).
	Database *glue.CatalogDatabase `pulumi:"-"`
	// Table is the events table itself, for resources that must wait for a column change:
	// depending on the component would only cover the children registered so far.
	Table *glue.CatalogTable `pulumi:"-"`
	// Crawler is nil when the partitions are only projected.
	Crawler *CatalogCrawler `pulumi:"-"`
}

// CatalogCrawler is the crawler of a catalog that has one.
type CatalogCrawler struct {
	Name pulumi.StringOutput
	// LogGroup is where failed crawler runs explain themselves.
	LogGroup pulumi.StringOutput
}

// Partition projection ranges, by the Go layout of a partition (schema.Partition.Layout): all
// of Athena's integer type with digits, so that the folder month=07 is projected as "07"
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
// The partition keys stay Glue string columns: the projection type only tells Athena how to
// format the values of partition locations and does not change the key's type, which stays
// string in queries (partition-projection-kinesis-firehose-example-choosing-partition-keys.html,
// "Understand partition key and partition projection data types"), so queries compare strings
// (month = '07') in every mode. The date type, whose range may end at NOW, does not apply: the
// same page says splitting dates into year, month and day "means that the date partition
// projection type can't be used"; enum would list every value, injected would allow one value
// per query.
//
// year starts at the transform's event-time floor (transform.DefaultMinEventTime): no
// event-time folder is older, and arrival-time folders start at the first deploy. The integer
// type has no NOW, so it ends at a fixed ProjectionLastYear: the transform refuses events more
// than an hour ahead of arrival, so no folder lies past the current year, and a year past the
// range would be silently empty (such a query "runs, but returns zero rows",
// partition-projection.html). A far end costs nothing for queries that bound the date on both
// sides (the saved queries do); one bounded only from below projects every hour up to 2099,
// nearly all empty, which AWS documents as slower than catalog partitions.
var projectionRanges = map[string]awsrules.IntegerProjection{
	"2006": {Min: transform.DefaultMinEventTime.Year(), Max: ProjectionLastYear, Digits: 4},
	"01":   {Min: 1, Max: 12, Digits: 2},
	"02":   {Min: 1, Max: 31, Digits: 2}, // 31 in a shorter month: no folder, no rows, no error
	"15":   {Min: 0, Max: 23, Digits: 2},
}

// ProjectionLastYear is the last year partition projection produces.
const ProjectionLastYear = 2099

// TableParameters returns a dataset's table's parameters: Parquet written by Firehose and,
// when discovery projects, Athena partition projection of the schema's partitions in bucket.
// The location template is derived from the data prefix Firehose writes with partitioning
// (lakelayout.DatasetPrefixes), so the two cannot drift.
func TableParameters(dataset string, s *schema.Schema, discovery lakelayout.Discovery, partitioning, bucket string) (map[string]string, error) {
	p := map[string]string{"EXTERNAL": "TRUE", "classification": "parquet", "parquet.compression": "SNAPPY"}
	if !discovery.Projects() {
		return p, nil
	}
	if partitioning != lakelayout.EventTime && partitioning != lakelayout.ArrivalTime {
		return nil, fmt.Errorf("partition projection: partitioning must be %q or %q, got %q", lakelayout.EventTime, lakelayout.ArrivalTime, partitioning)
	}
	tmpl, err := awsrules.ProjectionTemplate(lakelayout.DatasetPrefixes(dataset, s, partitioning).Data)
	if err != nil {
		return nil, fmt.Errorf("partition projection: %w", err)
	}
	cols := make([]awsrules.IntegerProjection, len(s.Partitions))
	for i, part := range s.Partitions {
		r, ok := projectionRanges[part.Layout]
		if !ok {
			return nil, fmt.Errorf("partition projection: partition %s has layout %q, which has no projection range", part.Name, part.Layout)
		}
		r.Column = part.Name
		cols[i] = r
	}
	maps.Copy(p, awsrules.ProjectionParameters("s3://"+bucket+"/"+tmpl, cols))
	return p, nil
}

// NewCatalog creates the database, the table and, when discovery crawls, the crawler with its
// role, security configuration and log group.
func NewCatalog(ctx *pulumi.Context, name string, args *CatalogArgs, opts ...pulumi.ResourceOption) (*Catalog, error) {
	if args == nil {
		return nil, fmt.Errorf("catalog %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Catalog{}
	if err := ctx.RegisterComponentResource(typePrefix+"Catalog", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	db := args.Database
	if db == nil {
		var err error
		if db, err = glue.NewCatalogDatabase(ctx, name+"-database", &glue.CatalogDatabaseArgs{
			Name:        pulumi.String(args.DatabaseName),
			Description: pulumi.Sprintf("streamlake %s events lake", ctx.Stack()),
		}, parent); err != nil {
			return nil, fmt.Errorf("catalog %s database: %w", name, err)
		}
	}
	table, err := newEventsTable(ctx, name, args, db, parent)
	if err != nil {
		return nil, fmt.Errorf("catalog %s table: %w", name, err)
	}
	c.DatabaseName, c.TableName, c.TableArn, c.Table, c.Database = db.Name, table.Name, table.Arn, table, db
	outputs := pulumi.Map{"databaseName": db.Name, "tableName": table.Name, "tableArn": table.Arn}
	if args.Discovery.Crawls() {
		crawler, crawlerLogs, err := newPartitionCrawler(ctx, name, args, db, table, parent)
		if err != nil {
			return nil, fmt.Errorf("catalog %s %w", name, err)
		}
		c.Crawler = &CatalogCrawler{Name: crawler.Name, LogGroup: crawlerLogs.Name}
		outputs["crawlerName"], outputs["crawlerLogGroup"] = crawler.Name, crawlerLogs.Name
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, err
	}
	return c, nil
}

// newEventsTable declares the Parquet table Firehose converts to: columns and partition keys
// from the schema, location the lake's data prefix, parameters from TableParameters.
func newEventsTable(ctx *pulumi.Context, name string, args *CatalogArgs, db *glue.CatalogDatabase, parent pulumi.ResourceOption) (*glue.CatalogTable, error) {
	columns := glue.CatalogTableStorageDescriptorColumnArray{}
	for _, col := range args.Schema.GlueColumns() {
		columns = append(columns, &glue.CatalogTableStorageDescriptorColumnArgs{
			Name: pulumi.String(col.Name), Type: pulumi.String(col.Type), Comment: pulumi.String(col.Comment),
		})
	}
	partitions := glue.CatalogTablePartitionKeyArray{}
	for _, col := range args.Schema.PartitionColumns() {
		partitions = append(partitions, &glue.CatalogTablePartitionKeyArgs{
			Name: pulumi.String(col.Name), Type: pulumi.String(col.Type), Comment: pulumi.String(col.Comment),
		})
	}
	return glue.NewCatalogTable(ctx, name+"-table", &glue.CatalogTableArgs{
		Name:         pulumi.String(args.TableName),
		DatabaseName: db.Name,
		Description:  pulumi.Sprintf("%s events, Parquet written by Firehose, partitioned by UTC event hour", args.Schema.Name),
		TableType:    pulumi.String("EXTERNAL_TABLE"),
		Parameters: args.BucketName.ToStringOutput().ApplyT(func(bucket string) (map[string]string, error) {
			return TableParameters(datasetOrDefault(args.Dataset), args.Schema, args.Discovery, args.Partitioning, bucket)
		}).(pulumi.StringMapOutput),
		StorageDescriptor: &glue.CatalogTableStorageDescriptorArgs{
			Location:     pulumi.Sprintf("s3://%s/%s", args.BucketName, lakelayout.RootsOf(datasetOrDefault(args.Dataset)).Data),
			InputFormat:  pulumi.String(ParquetInputFormat),
			OutputFormat: pulumi.String(ParquetOutputFormat),
			SerDeInfo: &glue.CatalogTableStorageDescriptorSerDeInfoArgs{
				SerializationLibrary: pulumi.String(ParquetSerDe),
				Parameters:           pulumi.StringMap{"serialization.format": pulumi.String("1")},
			},
			Columns: columns,
		},
		PartitionKeys: partitions,
	}, parent)
}

// newPartitionCrawler creates the crawler, its role, its security configuration and its log
// group. It returns the crawler and the log group.
func newPartitionCrawler(ctx *pulumi.Context, name string, args *CatalogArgs, db *glue.CatalogDatabase, table *glue.CatalogTable, parent pulumi.ResourceOption) (*glue.Crawler, *cloudwatch.LogGroup, error) {
	// The policy is granted once the log group, which is named after the role, exists.
	role, err := newServiceRole(ctx, name+"-crawler-role", args.Env, serviceRole{
		Service:     "glue.amazonaws.com",
		Description: "streamlake crawler: add partitions of the " + args.TableName + " table",
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	secConfig, err := newCrawlerSecurity(ctx, name, args, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("security configuration: %w", err)
	}
	// Without this declaration Glue creates the group on the first run, unencrypted and kept forever.
	crawlerLogs, err := newLogGroup(ctx, name+"-crawler-logs", args.Env,
		pulumi.Sprintf("%s%s-%s", crawlerLogPrefix, role.Name, args.SecurityConfigurationName), parent)
	if err != nil {
		return nil, nil, fmt.Errorf("crawler logs: %w", err)
	}
	if err := role.grant(ctx, crawlerPolicy(args, crawlerLogs.Arn)); err != nil {
		return nil, nil, err
	}
	crawlerConfig, err := jsonString(map[string]any{
		"Version": 1.0,
		"CrawlerOutput": map[string]any{
			// New partitions take the table's schema; the table itself is never changed.
			"Partitions": map[string]string{"AddOrUpdateBehavior": "InheritFromTable"},
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("crawler configuration: %w", err)
	}
	crawler, err := glue.NewCrawler(ctx, name+"-crawler", &glue.CrawlerArgs{
		Name:         pulumi.String(args.CrawlerName),
		DatabaseName: db.Name,
		Role:         role.Arn,
		Description:  pulumi.String(crawlerDescription(args.Discovery, args.TableName)),
		Schedule:     pulumi.String(args.Schedule),
		// The table itself is the source (AWS's "existing catalog tables" crawler, meant for
		// tables created by API): the crawler reads the table's location and only registers
		// partitions. An S3-path target would try to create a table of its own for data/.
		CatalogTargets: glue.CrawlerCatalogTargetArray{&glue.CrawlerCatalogTargetArgs{
			DatabaseName: db.Name,
			Tables:       pulumi.StringArray{table.Name},
		}},
		SchemaChangePolicy: &glue.CrawlerSchemaChangePolicyArgs{
			UpdateBehavior: pulumi.String("LOG"),
			DeleteBehavior: pulumi.String("LOG"),
		},
		// Incremental (new folders only) crawls exist for S3-path sources only; a catalog
		// source is crawled in full, which lists the partitions rather than reading data.
		RecrawlPolicy:         &glue.CrawlerRecrawlPolicyArgs{RecrawlBehavior: pulumi.String("CRAWL_EVERYTHING")},
		Configuration:         pulumi.String(crawlerConfig),
		SecurityConfiguration: secConfig.Name,
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{table, crawlerLogs}, role.Ready...)),
		// databaseName forces replacement under the same name, which create-before-delete
		// cannot do (AlreadyExists). The crawler holds no data: delete it first.
		pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, nil, fmt.Errorf("crawler: %w", err)
	}
	return crawler, crawlerLogs, nil
}

// crawlerDescription says whom the crawler serves: Athena too, or only engines that do not
// read partition projection.
func crawlerDescription(d lakelayout.Discovery, table string) string {
	if d.Projects() {
		return "Registers new hourly partitions of the " + table + " table for engines that do not read Athena's partition projection " +
			"(Spark, Redshift Spectrum); never changes its schema."
	}
	return "Registers new hourly partitions of the " + table + " table; never changes its schema."
}

// crawlerPolicy is the crawler role's policy: a scoped-down AWSGlueServiceRole, the managed
// policy AWS documents for crawler roles ("AWSGlueServiceRole ... or equivalent (or a scoped
// down version of this policy), plus the required inline policies" for the data store:
// https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html). AWSGlueServiceRole grants
// glue:*, s3:GetBucketLocation/ListBucket and logs:CreateLogGroup/CreateLogStream/
// PutLogEvents on /aws-glue/* (https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html);
// a crawler of one catalog table keeps only this table, its data prefix and its log group:
//   - glue: read the database and table, and every partition action a catalog-target crawler
//     uses to register partitions (Get/BatchGet to compare, Create/BatchCreate for new hours,
//     Update/BatchUpdate because AddOrUpdateBehavior=InheritFromTable rewrites existing
//     partitions from the table). Each needs the catalog, database and table ARNs
//     (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html).
//   - No CreateTable, UpdateTable or DeleteTable: the table belongs to this program. With
//     UpdateBehavior and DeleteBehavior LOG a crawler does not write an existing table, "only
//     log that a change was detected" (SchemaChangePolicy,
//     https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-glue-crawler-schemachangepolicy.html;
//     https://docs.aws.amazon.com/glue/latest/dg/crawler-schema-changes-prevent.html), and
//     DeleteBehavior LOG needs no DeletePartition. If a crawl ever failed with AccessDenied on
//     glue:UpdateTable, the crawler-failed rule reports it, and the dev deploy's smoke test
//     (verify, which waits for the crawler) fails before prod.
//   - s3: list and read the table's folder (s3:prefix "data" and "data/*" for the default
//     dataset alone), decrypt through S3; where other datasets' folders lie inside it
//     (SharesDataFolder), only the table's partition folders (crawlScope).
//   - logs: its own log group, /aws-glue/crawlers-role/<role>-<security configuration>;
//     AssociateKmsKey because the security configuration encrypts it
//     (https://docs.aws.amazon.com/glue/latest/dg/set-up-encryption.html).
func crawlerPolicy(args *CatalogArgs, logGroupArn pulumi.StringInput) pulumi.StringOutput {
	env := args.Env
	list, read := crawlScope(args)
	return policy(map[string]pulumi.StringInput{
		"account": env.AccountID, "bucket": args.BucketArn, "key": env.KeyArn, "logs": logGroupArn,
	}, func(v map[string]string) iampolicy.Document {
		acct, bucketArn := v["account"], v["bucket"]
		table := []string{
			env.arn("glue", acct, "catalog"),
			env.arn("glue", acct, "database/"+args.DatabaseName),
			env.arn("glue", acct, "table/"+args.DatabaseName+"/"+args.TableName),
		}
		return iampolicy.New(
			iampolicy.Allow("ReadTable", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetTables"}, table...),
			iampolicy.Allow("AddPartitions", []string{
				"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
				"glue:CreatePartition", "glue:BatchCreatePartition",
				"glue:UpdatePartition", "glue:BatchUpdatePartition",
			}, table...),
			iampolicy.Allow("LocateBucket", []string{"s3:GetBucketLocation"}, bucketArn),
			iampolicy.Allow("ListDataPrefix", []string{"s3:ListBucket"}, bucketArn).When("StringLike", "s3:prefix", list...),
			iampolicy.Allow("ReadData", []string{"s3:GetObject"}, bucketArn+"/"+read),
			iampolicy.Allow("DecryptData", []string{"kms:Decrypt"}, v["key"]).
				When("StringEquals", "kms:ViaService", env.endpoint("s3")),
			// The group itself (CreateLogGroup, AssociateKmsKey) and its streams.
			iampolicy.Allow("CrawlerLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"},
				v["logs"], v["logs"]+":*"),
		)
	})
}

// crawlScope is what the crawler may list (s3:prefix values) and read (an object ARN's key
// pattern): the table's folder, "data" and "data/*" for the default dataset alone (the prefix
// a listing names is "data" or lies under "data/"). Where other datasets' folders lie inside
// the table's (SharesDataFolder), only the folder itself and its first partition's folders
// (data/year=*): the crawler then cannot see the other datasets' files, which it would
// otherwise take for partitions of this table.
func crawlScope(a *CatalogArgs) (list []string, read string) {
	root := lakelayout.RootsOf(datasetOrDefault(a.Dataset)).Data
	if !a.SharesDataFolder {
		return []string{strings.TrimSuffix(root, "/"), root + "*"}, root + "*"
	}
	partitions := root + a.Schema.Partitions[0].Name + "=*"
	return []string{strings.TrimSuffix(root, "/"), root, partitions}, partitions
}

// newCrawlerSecurity encrypts the crawler's CloudWatch logs with the stack key; with it Glue
// writes them to a log group of their own. A security configuration cannot be updated: any
// change (a new key) replaces it under the same name, so it is deleted first; it holds no data
// and the crawler refers to it by name. Keeping the name keeps the crawler's log group.
func newCrawlerSecurity(ctx *pulumi.Context, name string, args *CatalogArgs, parent pulumi.ResourceOption) (*glue.SecurityConfiguration, error) {
	return glue.NewSecurityConfiguration(ctx, name+"-security", &glue.SecurityConfigurationArgs{
		Name: pulumi.String(args.SecurityConfigurationName),
		EncryptionConfiguration: &glue.SecurityConfigurationEncryptionConfigurationArgs{
			CloudwatchEncryption: &glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs{
				CloudwatchEncryptionMode: pulumi.String("SSE-KMS"),
				KmsKeyArn:                args.Env.KeyArn,
			},
			// The crawler writes no job bookmarks or S3 output.
			JobBookmarksEncryption: &glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs{
				JobBookmarksEncryptionMode: pulumi.String("DISABLED"),
			},
			S3Encryption: &glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs{
				S3EncryptionMode: pulumi.String("DISABLED"),
			},
		},
	}, parent, pulumi.DeleteBeforeReplace(true))
}
