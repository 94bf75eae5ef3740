package stackconfig

import "github.com/streamlake/streamlake/awsrules"

// Names are the physical names the stack chooses itself (Glue and Athena names appear in SQL;
// the stream's name lets preview read its live shard count). All include project and stack.
type Names struct {
	Stream, Database, Table, Crawler, CrawlerSecurity, Workgroup, Dashboard string
	// WebACL names the API's firewall and its CloudWatch metrics; WAFLogs is its log group.
	WebACL, WAFLogs string
}

// NamesFor derives the physical names of a stack.
func NamesFor(project, stack string) Names {
	return Names{
		Stream:   awsrules.PhysicalName("-", project, stack, "events"),
		Database: awsrules.PhysicalName("_", project, stack),
		Table:    "events",
		Crawler:  awsrules.PhysicalName("-", project, stack, "partitions"),
		// Kept short: it is part of the crawler's log group name.
		CrawlerSecurity: awsrules.PhysicalName("-", project, stack, "crawler"),
		Workgroup:       awsrules.PhysicalName("-", project, stack),
		Dashboard:       awsrules.PhysicalName("-", project, stack),
		WebACL:          awsrules.PhysicalName("-", project, stack, "ingest"),
		WAFLogs:         awsrules.WAFLogGroupPrefix + awsrules.PhysicalName("-", project, stack),
	}
}
