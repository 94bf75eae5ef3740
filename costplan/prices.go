package costplan

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/shardplan"
)

// pricesJSON is the one price table: every unit price the plan uses, each row with the AWS
// pricing page it comes from, the date it was read and what the stored copy confirmed.
//
//go:embed prices.json
var pricesJSON []byte

// Price ids: what each row of the table prices. The table must have each exactly once.
const (
	APIRequests               = "apigateway.rest_requests"
	WAFWebACLMonth            = "waf.web_acl_month"
	WAFRuleMonth              = "waf.rule_month"
	WAFRequests               = "waf.requests"
	ShardHour                 = "kinesis.shard_hour"
	PutPayloadUnits           = "kinesis.put_payload_units"
	ExtendedRetentionShardH   = "kinesis.extended_retention_shard_hour"
	LongTermRetentionGBMonth  = "kinesis.long_term_retention_gb_month"
	OnDemandStreamHour        = "kinesis.ondemand_stream_hour"
	OnDemandDataInGB          = "kinesis.ondemand_data_in_gb"
	OnDemandDataOutGB         = "kinesis.ondemand_data_out_gb"
	OnDemandExtendedRetention = "kinesis.ondemand_extended_retention_gb_month"
	FirehoseIngestionGB       = "firehose.ingestion_gb"
	FirehoseConversionGB      = "firehose.format_conversion_gb"
	FirehosePartitioningGB    = "firehose.dynamic_partitioning_gb"
	FirehosePartitionObjects  = "firehose.dynamic_partitioning_objects"
	LambdaRequests            = "lambda.requests"
	LambdaGBSecond            = "lambda.arm_gb_second"
	S3PutRequests             = "s3.put_requests"
	KMSKeyMonth               = "kms.key_month"
	KMSRequests               = "kms.requests"
	CrawlerDPUHour            = "glue.crawler_dpu_hour"
	AthenaTBScanned           = "athena.tb_scanned"
	AlarmStandard             = "cloudwatch.alarm_standard"
	AlarmHighResolution       = "cloudwatch.alarm_high_resolution"
	DashboardMonth            = "cloudwatch.dashboard_month"
	MetricMonth               = "cloudwatch.metric_month"
	LogsIngestGB              = "cloudwatch.logs_ingest_gb"
	LogsStorageGBMonth        = "cloudwatch.logs_storage_gb_month"
)

// storageClasses maps an S3 storage class to its storage and lifecycle-transition price ids.
var storageClasses = map[string]struct{ storage, transition string }{
	"STANDARD":            {"s3.standard_gb_month", ""},
	"STANDARD_IA":         {"s3.standard_ia_gb_month", "s3.transition_standard_ia"},
	"ONEZONE_IA":          {"s3.onezone_ia_gb_month", "s3.transition_onezone_ia"},
	"INTELLIGENT_TIERING": {"s3.intelligent_tiering_gb_month", "s3.transition_intelligent_tiering"},
	"GLACIER_IR":          {"s3.glacier_ir_gb_month", "s3.transition_glacier_ir"},
	"GLACIER":             {"s3.glacier_gb_month", "s3.transition_glacier"},
	"DEEP_ARCHIVE":        {"s3.deep_archive_gb_month", "s3.transition_deep_archive"},
}

// units is the unit each price id must be quoted in: a --prices file in another unit is
// refused rather than silently misread.
func units() map[string]string {
	u := map[string]string{
		APIRequests: "1M requests", WAFWebACLMonth: "web-ACL-month", WAFRuleMonth: "rule-month", WAFRequests: "1M requests", ShardHour: "shard-hour", PutPayloadUnits: "1M PUT payload units",
		ExtendedRetentionShardH: "shard-hour", LongTermRetentionGBMonth: "GB-month", OnDemandStreamHour: "stream-hour",
		OnDemandDataInGB: "GB", OnDemandDataOutGB: "GB", OnDemandExtendedRetention: "GB-month",
		FirehoseIngestionGB: "GB", FirehoseConversionGB: "GB", FirehosePartitioningGB: "GB",
		FirehosePartitionObjects: "1,000 objects", LambdaRequests: "1M requests", LambdaGBSecond: "GB-second",
		S3PutRequests: "1,000 requests", KMSKeyMonth: "key-month", KMSRequests: "10,000 requests",
		CrawlerDPUHour: "DPU-hour", AthenaTBScanned: "TB", AlarmStandard: "alarm-month",
		AlarmHighResolution: "alarm-month", DashboardMonth: "dashboard-month", MetricMonth: "metric-month",
		LogsIngestGB: "GB", LogsStorageGBMonth: "GB-month",
	}
	for _, c := range storageClasses {
		u[c.storage] = "GB-month"
		if c.transition != "" {
			u[c.transition] = "1,000 requests"
		}
	}
	return u
}

// Tier is one step of a tiered price: USD per unit for the units up to UpTo (cumulative,
// counted from zero each month); UpTo 0 on the last tier means everything above.
type Tier struct {
	UpTo float64 `json:"up_to"`
	USD  float64 `json:"usd"`
}

// Price is one row of the table.
type Price struct {
	ID     string  `json:"id"`
	Unit   string  `json:"unit"`
	USD    float64 `json:"usd,omitempty"`
	Tiers  []Tier  `json:"tiers,omitempty"`
	Source string  `json:"source"`
	Read   string  `json:"read"`
	Note   string  `json:"note"`
	// ConfirmedBy names the stored copy of a pricing page that shows the row's value. Empty:
	// none does (the note says "unverified"), and the value must be checked against Source
	// before a plan is relied on.
	ConfirmedBy string `json:"confirmed_by,omitempty"`
}

// Prices is the price table of one region.
type Prices struct {
	Region   string  `json:"region"`
	Currency string  `json:"currency"`
	ReadWith string  `json:"read_with,omitempty"`
	Rows     []Price `json:"prices"`
	byID     map[string]Price
}

// DefaultPrices returns the embedded table (eu-west-1, the region of both stack files).
func DefaultPrices() (*Prices, error) {
	p, err := ParsePrices(pricesJSON)
	if err != nil {
		return nil, fmt.Errorf("embedded prices.json: %w", err)
	}
	return p, nil
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ParsePrices reads a table in prices.json's format and checks every row, reporting all
// problems at once: unknown fields, unknown, missing or repeated ids, units other than the
// id's, negative or non-finite prices, tiers out of order, rows without a source or date.
func ParsePrices(b []byte) (*Prices, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Prices
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	var errs []error
	if p.Region == "" {
		errs = append(errs, errors.New("prices: region is required (e.g. eu-west-1)"))
	}
	if p.Currency != "USD" {
		errs = append(errs, fmt.Errorf("prices: currency must be USD, got %q", p.Currency))
	}
	want := units()
	p.byID = map[string]Price{}
	for i, r := range p.Rows {
		errs = append(errs, checkRow(i, r, want, p.byID))
		p.byID[r.ID] = r
	}
	var missing []string
	for id := range want {
		if _, ok := p.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		errs = append(errs, fmt.Errorf("prices: missing rows %s", strings.Join(missing, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &p, nil
}

func checkRow(i int, r Price, want map[string]string, seen map[string]Price) error {
	at := fmt.Sprintf("prices[%d] (%s)", i, r.ID)
	unit, known := want[r.ID]
	var errs []error
	switch _, dup := seen[r.ID]; {
	case !known:
		return fmt.Errorf("%s: unknown id; known ids are those of the embedded prices.json", at)
	case dup:
		errs = append(errs, fmt.Errorf("%s: id listed twice", at))
	}
	if r.Unit != unit {
		errs = append(errs, fmt.Errorf("%s: unit must be %q, got %q", at, unit, r.Unit))
	}
	if !strings.HasPrefix(r.Source, "https://") || !dateRE.MatchString(r.Read) {
		errs = append(errs, fmt.Errorf("%s: source must be an https:// pricing page and read a date YYYY-MM-DD, got %q and %q", at, r.Source, r.Read))
	}
	errs = append(errs, checkAmounts(at, r))
	return errors.Join(errs...)
}

func checkAmounts(at string, r Price) error {
	bad := func(x float64) bool { return x < 0 || math.IsNaN(x) || math.IsInf(x, 0) }
	if len(r.Tiers) == 0 {
		if bad(r.USD) {
			return fmt.Errorf("%s: usd must be a number >= 0, got %g", at, r.USD)
		}
		return nil
	}
	if r.USD != 0 {
		return fmt.Errorf("%s: give usd or tiers, not both", at)
	}
	prev := 0.0
	for j, t := range r.Tiers {
		last := j == len(r.Tiers)-1
		switch {
		case bad(t.USD) || bad(t.UpTo):
			return fmt.Errorf("%s: tier %d: up_to and usd must be numbers >= 0", at, j+1)
		case last && t.UpTo != 0:
			return fmt.Errorf("%s: the last tier must have up_to 0 (everything above), got %g", at, t.UpTo)
		case !last && t.UpTo <= prev:
			return fmt.Errorf("%s: tier %d: up_to %g must be above the previous tier's %g", at, j+1, t.UpTo, prev)
		}
		prev = t.UpTo
	}
	return nil
}

// Row returns the row of id; ids are checked when the table is parsed.
func (p *Prices) Row(id string) Price { return p.byID[id] }

// Cost is the price of quantity units of id, applying tiers from zero.
func (p *Prices) Cost(id string, quantity float64) float64 {
	r := p.byID[id]
	if len(r.Tiers) == 0 {
		return quantity * r.USD
	}
	cost, from := 0.0, 0.0
	for _, t := range r.Tiers {
		to := t.UpTo
		if to == 0 || quantity < to {
			to = quantity
		}
		if to > from {
			cost += (to - from) * t.USD
		}
		if t.UpTo == 0 || quantity <= t.UpTo {
			break
		}
		from = t.UpTo
	}
	return cost
}

// Kinesis are the table's Kinesis Data Streams prices as shardplan takes them (`streamlake
// shards` and the plan's Kinesis lines price from here).
func (p *Prices) Kinesis() shardplan.Prices {
	return shardplan.Prices{
		ShardHour: p.Unit(ShardHour), PutUnitsPerMillion: p.Unit(PutPayloadUnits),
		OnDemandStreamHour: p.Unit(OnDemandStreamHour), OnDemandWriteGB: p.Unit(OnDemandDataInGB), OnDemandReadGB: p.Unit(OnDemandDataOutGB),
	}
}

// Unit returns the first-tier (or only) price of id, for display.
func (p *Prices) Unit(id string) float64 {
	r := p.byID[id]
	if len(r.Tiers) > 0 {
		return r.Tiers[0].USD
	}
	return r.USD
}
