package costplan

// PlanJSON is the plan as `streamlake plan --json` prints it: snake_case keys, amounts in
// USD, durations in seconds, lists never null.
type PlanJSON struct {
	monthJSON
	// Dataset is the dataset planned, one of StackDatasets; SharedCounted says whether
	// total_usd and lines count the stack's shared charges (SharedLines, SharedUSD): they do
	// when the stack has this one dataset.
	Dataset          string        `json:"dataset"`
	StackDatasets    int           `json:"stack_datasets"`
	SharedCounted    bool          `json:"shared_counted"`
	SharedUSD        float64       `json:"shared_usd"`
	SharedLines      []Line        `json:"shared_lines"`
	Workload         workloadJSON  `json:"workload"`
	KinesisOtherMode KinesisMode   `json:"kinesis_other_mode"`
	Lines            []Line        `json:"lines"`
	Freshness        freshnessJSON `json:"freshness"`
	Files            filesJSON     `json:"files"`
	BiggestDriver    driverJSON    `json:"biggest_driver"`
	Warnings         []string      `json:"warnings"`
	Prices           []priceJSON   `json:"prices_used"`
}

// monthJSON is what a dataset's plan and a stack's say first: whose month, and its sums.
type monthJSON struct {
	Stack              string         `json:"stack"`
	StackRegion        string         `json:"stack_region"`
	PricesRegion       string         `json:"prices_region"`
	ReportMonth        int            `json:"report_month"`
	HoursPerMonth      int            `json:"hours_per_month"`
	EventsPerMonth     float64        `json:"events_per_month"`
	RequestsPerMonth   float64        `json:"requests_per_month"`
	PeakRequestsPerSec float64        `json:"peak_requests_per_second"`
	TotalUSD           float64        `json:"total_usd"`
	PerMillionEvents   float64        `json:"per_million_events_usd"`
	Services           []ServiceTotal `json:"services"`
}

// priceJSON is one unit price the plan used.
type priceJSON struct {
	ID     string  `json:"id"`
	Unit   string  `json:"unit"`
	USD    float64 `json:"usd"`
	Source string  `json:"source"`
	Read   string  `json:"read"`
}

type workloadJSON struct {
	AvgEPS        float64 `json:"avg_eps"`
	PeakEPS       float64 `json:"peak_eps"`
	EventBytes    float64 `json:"event_bytes"`
	BatchShare    float64 `json:"batch_share"`
	BatchSize     int     `json:"batch_size"`
	QueriesPerDay float64 `json:"queries_per_day"`
	ScanMiB       float64 `json:"scan_mb"`
	ErrorShare    float64 `json:"error_share"`
}

type freshnessJSON struct {
	PartitionDiscovery     string  `json:"partition_discovery"`
	WorstDeliverySeconds   float64 `json:"worst_delivery_seconds"`
	TypicalDeliverySeconds float64 `json:"typical_delivery_seconds"`
	WorstAthenaSeconds     float64 `json:"worst_athena_seconds"`
	TypicalAthenaSeconds   float64 `json:"typical_athena_seconds"`
	// Catalog figures are left out without a crawler: those engines never see new hours.
	WorstCatalogSeconds   *float64 `json:"worst_catalog_seconds,omitempty"`
	TypicalCatalogSeconds *float64 `json:"typical_catalog_seconds,omitempty"`
	CrawlTimeExcluded     bool     `json:"crawl_time_excluded"`
}

type filesJSON struct {
	ParquetPerPartitionHour float64 `json:"parquet_per_partition_hour"`
	ParquetObjectMiB        float64 `json:"parquet_object_mib"`
	FilesPerDayQuery        float64 `json:"files_per_day_query"`
	ActivePartitions        int     `json:"active_partitions"`
	RawObjectsPerHour       float64 `json:"raw_objects_per_hour"`
	ErrorObjectsPerHour     float64 `json:"error_objects_per_hour"`
}

type driverJSON struct {
	Service      string            `json:"service"`
	USD          float64           `json:"usd"`
	Share        float64           `json:"share"`
	Best         *alternativeJSON  `json:"best,omitempty"` // left out when no change cuts it
	Alternatives []alternativeJSON `json:"alternatives"`
}

type alternativeJSON struct {
	Alternative
	WorstAthenaSeconds float64 `json:"worst_athena_seconds"`
}

// JSON returns the plan in --json's form.
func (pl *Plan) JSON(p *Prices) PlanJSON {
	f, fr, fl := pl.Flow, pl.Freshness, pl.Files
	w := pl.Workload
	out := PlanJSON{
		monthJSON: monthJSON{Stack: pl.Stack.Name, StackRegion: pl.Stack.Region, PricesRegion: pl.Region, ReportMonth: ReportMonth, HoursPerMonth: HoursPerMonth,
			EventsPerMonth: f.Events, RequestsPerMonth: f.SingleRequests + f.BatchRequests, PeakRequestsPerSec: f.PeakRequestsPerSecond,
			TotalUSD: pl.TotalUSD, PerMillionEvents: pl.PerMillionEvents, Services: pl.Services},
		Dataset: pl.Stack.Dataset, StackDatasets: pl.StackDatasets(), SharedCounted: pl.SharedCounted(), SharedUSD: pl.SharedUSD, SharedLines: pl.Shared,
		Workload: workloadJSON(w), KinesisOtherMode: pl.KinesisOther, Lines: pl.Lines,
		Freshness: freshnessJSON{PartitionDiscovery: fr.Discovery,
			WorstDeliverySeconds: fr.Worst.Delivery.Seconds(), TypicalDeliverySeconds: fr.TypicalDelivery.Seconds(),
			WorstAthenaSeconds: fr.Worst.Athena.Seconds(), TypicalAthenaSeconds: fr.TypicalAthena.Seconds(), CrawlTimeExcluded: pl.Stack.Crawler()},
		Files: filesJSON{ParquetPerPartitionHour: fl.PerPartitionHour, ParquetObjectMiB: fl.ObjectMiB, FilesPerDayQuery: fl.DayQueryFiles,
			ActivePartitions: fl.ActivePartitions, RawObjectsPerHour: fl.RawPerHour, ErrorObjectsPerHour: fl.ErrorsPerHour},
		BiggestDriver: driverJSON{Service: pl.Driver.Service, USD: pl.Driver.USD, Share: pl.Driver.Share, Alternatives: []alternativeJSON{}},
		Warnings:      pl.Warnings, Prices: pricesUsed(p, pl.Lines, pl.Shared),
	}
	if pl.Stack.Crawler() {
		worst, typ := fr.Worst.Catalog.Seconds(), fr.TypicalCatalog.Seconds()
		out.Freshness.WorstCatalogSeconds, out.Freshness.TypicalCatalogSeconds = &worst, &typ
	}
	for i, a := range pl.Driver.Alternatives {
		aj := alternativeJSON{Alternative: a, WorstAthenaSeconds: a.WorstAthena.Seconds()}
		out.BiggestDriver.Alternatives = append(out.BiggestDriver.Alternatives, aj)
		if i == pl.Driver.BestIndex {
			out.BiggestDriver.Best = &aj
		}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return out
}

// pricesUsed are the unit prices of the charges, each once, in the order first used.
func pricesUsed(p *Prices, charges ...[]Line) []priceJSON {
	out := []priceJSON{}
	seen := map[string]bool{}
	for _, lines := range charges {
		for _, l := range lines {
			if r := p.Row(l.PriceID); !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, priceJSON{ID: r.ID, Unit: r.Unit, USD: p.Unit(r.ID), Source: r.Source, Read: r.Read})
			}
		}
	}
	return out
}
