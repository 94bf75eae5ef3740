package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/schema"
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

// CatalogArgs configures the Glue database, the events table and its crawler.
type CatalogArgs struct {
	Env    *Env
	Schema *schema.Schema
	// DatabaseName, TableName and CrawlerName are physical names; Athena SQL uses the first two.
	DatabaseName, TableName, CrawlerName string
	// SecurityConfigurationName names the Glue security configuration that encrypts the
	// crawler's logs with the stack key and gives them their own log group.
	SecurityConfigurationName string
	BucketName                pulumi.StringInput
	BucketArn                 pulumi.StringInput
	// Schedule is the crawler's cron(...) expression.
	Schedule string
}

// Validate checks names, schema and schedule.
func (a *CatalogArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if a.Schema == nil || a.BucketName == nil || a.BucketArn == nil {
		return fmt.Errorf("catalog: Schema, BucketName and BucketArn are required")
	}
	if err := a.Schema.Validate(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	for typ, n := range map[string]string{
		"aws:glue/catalogDatabase:CatalogDatabase":             a.DatabaseName,
		"aws:glue/catalogTable:CatalogTable":                   a.TableName,
		"aws:glue/crawler:Crawler":                             a.CrawlerName,
		"aws:glue/securityConfiguration:SecurityConfiguration": a.SecurityConfigurationName,
	} {
		if err := awsrules.CheckName(typ, n, false); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	if err := awsrules.CheckSchedule(a.Schedule); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// Catalog is the Glue database and the events table, whose columns come from the event schema,
// and a crawler that only adds new partitions: the table's schema belongs to this program.
type Catalog struct {
	pulumi.ResourceState
	DatabaseName pulumi.StringOutput `pulumi:"databaseName"`
	TableName    pulumi.StringOutput `pulumi:"tableName"`
	TableArn     pulumi.StringOutput `pulumi:"tableArn"`
	CrawlerName  pulumi.StringOutput `pulumi:"crawlerName"`
	// CrawlerLogGroup is where failed crawler runs explain themselves.
	CrawlerLogGroup pulumi.StringOutput `pulumi:"crawlerLogGroup"`
}

// NewCatalog creates the database, table, crawler role and crawler.
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
	db, err := glue.NewCatalogDatabase(ctx, name+"-database", &glue.CatalogDatabaseArgs{
		Name:        pulumi.String(args.DatabaseName),
		Description: pulumi.Sprintf("streamlake %s events lake", ctx.Stack()),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("catalog %s database: %w", name, err)
	}
	table, err := newEventsTable(ctx, name, args, db, parent)
	if err != nil {
		return nil, fmt.Errorf("catalog %s table: %w", name, err)
	}
	crawler, crawlerLogs, err := newPartitionCrawler(ctx, name, args, db, table, parent)
	if err != nil {
		return nil, fmt.Errorf("catalog %s %w", name, err)
	}
	c.DatabaseName, c.TableName, c.TableArn, c.CrawlerName, c.CrawlerLogGroup = db.Name, table.Name, table.Arn, crawler.Name, crawlerLogs.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"databaseName": db.Name, "tableName": table.Name, "tableArn": table.Arn, "crawlerName": crawler.Name,
		"crawlerLogGroup": crawlerLogs.Name,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// newEventsTable declares the Parquet table Firehose converts to: columns and partition keys
// from the schema, location the lake's data prefix.
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
		Parameters: pulumi.StringMap{
			"EXTERNAL":            pulumi.String("TRUE"),
			"classification":      pulumi.String("parquet"),
			"parquet.compression": pulumi.String("SNAPPY"),
		},
		StorageDescriptor: &glue.CatalogTableStorageDescriptorArgs{
			Location:     pulumi.Sprintf("s3://%s/%s", args.BucketName, DataPrefix),
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
	role, err := newServiceRole(ctx, name+"-crawler-role", args.Env, serviceRole{
		Service:     "glue.amazonaws.com",
		Description: "streamlake crawler: add partitions of the events table",
		Policy:      crawlerPolicy(args),
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
		Description:  pulumi.String("Registers new hourly partitions of the events table; never changes its schema."),
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
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{table, crawlerLogs}, role.Ready...)))
	if err != nil {
		return nil, nil, fmt.Errorf("crawler: %w", err)
	}
	return crawler, crawlerLogs, nil
}

// crawlerPolicy lets the crawler read the table and the data under it and add partitions.
func crawlerPolicy(args *CatalogArgs) pulumi.StringOutput {
	env := args.Env
	return policy(map[string]pulumi.StringInput{
		"account": env.AccountID, "bucket": args.BucketArn, "key": env.KeyArn,
	}, func(v map[string]string) iampolicy.Document {
		acct, bucketArn := v["account"], v["bucket"]
		return iampolicy.New(
			// Partitions only: no CreateTable/UpdateTable/DeleteTable, so the crawler cannot
			// rewrite the schema even if its configuration were changed by hand.
			iampolicy.Allow("ReadTableAddPartitions", []string{
				"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions",
				"glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition",
				"glue:UpdatePartition", "glue:BatchUpdatePartition",
			},
				env.arn("glue", acct, "catalog"),
				env.arn("glue", acct, "database/"+args.DatabaseName),
				env.arn("glue", acct, "table/"+args.DatabaseName+"/"+args.TableName),
			),
			iampolicy.Allow("LocateBucket", []string{"s3:GetBucketLocation"}, bucketArn),
			iampolicy.Allow("ListDataPrefix", []string{"s3:ListBucket"}, bucketArn).
				When("StringLike", "s3:prefix", DataPrefix, DataPrefix+"*"),
			iampolicy.Allow("ReadData", []string{"s3:GetObject"}, bucketArn+"/"+DataPrefix+"*"),
			iampolicy.Allow("DecryptData", []string{"kms:Decrypt"}, v["key"]).
				When("StringEquals", "kms:ViaService", env.endpoint("s3")),
			// With the security configuration, Glue logs to /aws-glue/crawlers-role/<role>-<config>,
			// declared below with retention and the stack key.
			iampolicy.Allow("CrawlerLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"},
				env.arn("logs", acct, "log-group:"+crawlerLogPrefix+"*-"+args.SecurityConfigurationName+":*")),
		)
	})
}

// newCrawlerSecurity encrypts the crawler's CloudWatch logs with the stack key; with it Glue
// writes them to a log group of their own.
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
	}, parent)
}
