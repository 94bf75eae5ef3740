package lakelayout

// Discovery is how a new hour's partition becomes known to queries (partitionDiscovery).
type Discovery string

// Partition discovery modes.
const (
	// ProjectionAndCrawler: Athena projects the partitions, so an object is queryable as soon
	// as Firehose writes it; the crawler also registers them in the catalog for engines that
	// do not read projection (Spark on EMR or Glue ETL, Redshift Spectrum).
	ProjectionAndCrawler Discovery = "projection+crawler"
	// ProjectionOnly: Athena projects the partitions; there is no crawler, and the catalog
	// lists no partitions.
	ProjectionOnly Discovery = "projection"
	// CrawlerOnly: the crawler registers new partitions on its schedule; Athena reads them
	// from the catalog.
	CrawlerOnly Discovery = "crawler"
)

// Discoveries are the partition discovery modes, the default first.
var Discoveries = []Discovery{ProjectionAndCrawler, ProjectionOnly, CrawlerOnly}

// Projects reports whether the table carries partition projection.
func (d Discovery) Projects() bool { return d == ProjectionAndCrawler || d == ProjectionOnly }

// Crawls reports whether a crawler registers partitions in the catalog.
func (d Discovery) Crawls() bool { return d == ProjectionAndCrawler || d == CrawlerOnly }
