package stackconfig

import (
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
)

// Names are the physical names the stack chooses itself (Glue and Athena names appear in SQL;
// the stream's name lets preview read its live shard count). All include project and stack.
type Names struct {
	Stream, Database, Table, Crawler, CrawlerSecurity, Workgroup, Dashboard string
	// WebACL names the API's firewall and its CloudWatch metrics; WAFLogs is its log group.
	WebACL, WAFLogs string
}

// NamesFor derives the physical names of a stack: the shared ones and the default dataset's.
func NamesFor(project, stack string) Names {
	return Names{
		Stream:   awsrules.PhysicalName("-", project, stack, schema.DefaultDataset),
		Database: awsrules.PhysicalName("_", project, stack),
		Table:    schema.DefaultDataset,
		Crawler:  awsrules.PhysicalName("-", project, stack, "partitions"),
		// Kept short: it is part of the crawler's log group name.
		CrawlerSecurity: awsrules.PhysicalName("-", project, stack, "crawler"),
		Workgroup:       awsrules.PhysicalName("-", project, stack),
		Dashboard:       awsrules.PhysicalName("-", project, stack),
		WebACL:          awsrules.PhysicalName("-", project, stack, "ingest"),
		WAFLogs:         awsrules.WAFLogGroupPrefix + awsrules.PhysicalName("-", project, stack),
	}
}

// NamesOf derives the physical names of one dataset of a stack: the shared names of NamesFor
// and the dataset's own stream, table, crawler and crawler security configuration. The default
// dataset's are NamesFor's. Another dataset's are <project>-<stack>-<name>,
// <project>-<stack>-<name>_partitions and <project>-<stack>-<name>_crawler, its table <name>:
// the project and stack parts are '-'-joined words without '_', and a dataset's name has no
// '-', so the part after the last '-' is the dataset's, and no two datasets of one stack or of
// two stacks share a name (the default's name cannot be taken, its names end in a word
// without '_').
func NamesOf(project, stack, dataset string) Names {
	n := NamesFor(project, stack)
	if dataset == schema.DefaultDataset {
		return n
	}
	base := DatasetNamePrefix(project, stack) + dataset
	n.Stream = base
	n.Table = dataset
	n.Crawler = base + "_partitions"
	n.CrawlerSecurity = base + "_crawler"
	return n
}

// Log stream names Firehose writes delivery errors to, in each delivery stream's log group:
// the components create exactly these, and CI's deploy role may create and delete only them.
const (
	DestinationLogStream = "DestinationDelivery"
	BackupLogStream      = "BackupDelivery"
)

// DatasetNamePrefix is how every physical name a stack chooses for one of its datasets
// begins, <project>-<stack>-: what follows (events, partitions and crawler for the default
// dataset; the dataset's name, <name>_partitions and <name>_crawler for another) has no '-'.
// CI's roles are scoped to it (bootstrap/ciaccess), so a dataset added later needs no new
// grant, and a '-' after it marks another stack's name (dev-eu's for dev).
func DatasetNamePrefix(project, stack string) string {
	return awsrules.PhysicalName("-", project, stack) + "-"
}

// The stack outputs of each dataset, which the program exports under datasets.<name> (and,
// for the default dataset, also at the top level, as before there were datasets) and the ops
// CLI reads.
const (
	OutputDatasets          = "datasets"
	OutputEventsURL         = "eventsUrl"
	OutputBatchURL          = "batchUrl"
	OutputStreamName        = "streamName"
	OutputStreamArn         = "streamArn"
	OutputGlueTable         = "glueTable"
	OutputDiscovery         = "partitionDiscovery"
	OutputTransformFunction = "transformFunction"
	OutputDeliveryStream    = "deliveryStreamName"
	OutputCrawlerName       = "crawlerName"
	OutputCrawlerLogGroup   = "crawlerLogGroup"
	OutputDataPrefix        = "dataPrefix"
	OutputRawPrefix         = "rawPrefix"
	OutputErrorsPrefix      = "errorsPrefix"
)

// DatasetOutputs are the outputs every dataset has (the crawler's only with a crawler).
var DatasetOutputs = []string{OutputEventsURL, OutputBatchURL, OutputStreamName, OutputStreamArn, OutputGlueTable, OutputDiscovery,
	OutputTransformFunction, OutputDeliveryStream, OutputCrawlerName, OutputCrawlerLogGroup, OutputDataPrefix, OutputRawPrefix, OutputErrorsPrefix}
