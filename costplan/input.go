package costplan

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/awsrules"
)

// Workload is what producers and analysts do: the command's flags.
type Workload struct {
	// AvgEPS is the month's average events per second (the cost); PeakEPS the busiest
	// sustained rate (throttling, shard sizing).
	AvgEPS, PeakEPS float64
	// EventBytes is one event's JSON as Kinesis and Firehose count it.
	EventBytes float64
	// BatchShare is the share of events sent through POST /v1/events/batch, BatchSize events
	// per batch request; the rest go one per request to POST /v1/events.
	BatchShare float64
	BatchSize  int
	// QueriesPerDay Athena queries scanning ScanMiB MiB each.
	QueriesPerDay, ScanMiB float64
	// ErrorShare is the share of events the transform rejects (to errors/).
	ErrorShare float64
}

// DefaultWorkload has the command's defaults for what producers rarely know exactly: 90 % of
// events in batches of 200, one in a thousand rejected by the transform.
func DefaultWorkload() Workload {
	return Workload{BatchShare: 0.9, BatchSize: 200, ErrorShare: 0.001}
}

// Limit is the allowed range of one workload value, named by its flag.
type Limit struct {
	Flag     string
	Min, Max float64
	// MinOpen: the value must be above Min, not equal to it.
	MinOpen bool
}

// Text is the range as the command's help and errors print it: "0..1", or "above 0 and at
// most 1000000" when Min itself is not allowed.
func (l Limit) Text() string {
	if l.MinOpen {
		return fmt.Sprintf("above %s and at most %s", num(l.Min), num(l.Max))
	}
	return num(l.Min) + ".." + num(l.Max)
}

// num prints a number without exponent notation: 1000000, not 1e+06.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Limits are the ranges of the workload values, in flag order. The command registers its
// flags' ranges from here, so a value the model refuses is refused as a usage error.
var Limits = []Limit{
	{Flag: "avg-eps", Min: 0, Max: MaxEPS, MinOpen: true},
	{Flag: "peak-eps", Min: 0, Max: MaxEPS, MinOpen: true},
	{Flag: "event-bytes", Min: 1, Max: awsrules.MaxRecordBytes},
	{Flag: "batch-share", Min: 0, Max: 1},
	{Flag: "batch-size", Min: 1, Max: MaxBatchRecords},
	{Flag: "queries-per-day", Min: 0, Max: 1e6},
	{Flag: "scan-mb", Min: 0, Max: 1 << 30},
	{Flag: "error-share", Min: 0, Max: 1},
}

// Request and account limits the workload is checked against.
const (
	// MaxEPS bounds the rates to what one stack's API and stream could take.
	MaxEPS = 1e6
	// MaxBatchRecords is the batch route's limit (PutRecords takes 500 records).
	MaxBatchRecords = 500
	// MaxPutRecordsBytes is PutRecords' limit for one request: 5 MiB.
	MaxPutRecordsBytes = 5 << 20
)

// Set sets the value of the workload flag name (one of Limits' flags), as --workload gives a
// dataset's; Validate checks the range.
func (w *Workload) Set(name string, v float64) error {
	switch name {
	case "avg-eps":
		w.AvgEPS = v
	case "peak-eps":
		w.PeakEPS = v
	case "event-bytes":
		w.EventBytes = v
	case "batch-share":
		w.BatchShare = v
	case "batch-size":
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return fmt.Errorf("batch-size %s is not a whole number", num(v))
		}
		w.BatchSize = int(v)
	case "queries-per-day":
		w.QueriesPerDay = v
	case "scan-mb":
		w.ScanMiB = v
	case "error-share":
		w.ErrorShare = v
	default:
		return fmt.Errorf("%s is not a workload value: one of %s", name, strings.Join(LimitFlags(), ", "))
	}
	return nil
}

// LimitFlags are the workload values' flag names, in Limits' order.
func LimitFlags() []string {
	out := make([]string, len(Limits))
	for i, l := range Limits {
		out[i] = l.Flag
	}
	return out
}

func (w Workload) values() []float64 {
	return []float64{w.AvgEPS, w.PeakEPS, w.EventBytes, w.BatchShare, float64(w.BatchSize), w.QueriesPerDay, w.ScanMiB, w.ErrorShare}
}

// Validate checks every value against Limits and the rules between them, all at once; each
// message names the flag, the value and the allowed range.
func (w Workload) Validate() error {
	var errs []error
	for i, v := range w.values() {
		l := Limits[i]
		if math.IsNaN(v) || v > l.Max || v < l.Min || (l.MinOpen && v == l.Min) {
			errs = append(errs, fmt.Errorf("--%s %s is out of range: allowed %s", l.Flag, num(v), l.Text()))
		}
	}
	if w.PeakEPS < w.AvgEPS {
		errs = append(errs, fmt.Errorf("--peak-eps %g is below --avg-eps %g: the peak is at least the average", w.PeakEPS, w.AvgEPS))
	}
	if w.BatchShare > 0 && float64(w.BatchSize)*w.EventBytes > MaxPutRecordsBytes {
		errs = append(errs, fmt.Errorf("--batch-size %d x --event-bytes %g is %g bytes, above PutRecords' %d bytes per request: allowed --batch-size 1..%d",
			w.BatchSize, w.EventBytes, float64(w.BatchSize)*w.EventBytes, MaxPutRecordsBytes, int(MaxPutRecordsBytes/w.EventBytes)))
	}
	if (w.QueriesPerDay > 0) != (w.ScanMiB > 0) {
		errs = append(errs, fmt.Errorf("--queries-per-day %g and --scan-mb %g go together: give both, or neither", w.QueriesPerDay, w.ScanMiB))
	}
	return errors.Join(errs...)
}

// Stack is every configuration value of a stack the plan reads, as plain values: one
// dataset's (stackconfig's per-dataset values over the stack's), the shared keys alike in all.
type Stack struct {
	Name, Region string
	// Dataset names the dataset whose stream, delivery stream, function and table are planned
	// ("" in a Stack of the stack's own values, FromConfig).
	Dataset string

	// Stream
	StreamMode        string // awsrules.Provisioned or awsrules.OnDemand
	ShardCount        int    // 0 with ON_DEMAND
	RetentionHours    int
	ShardLevelMetrics int // how many enhanced metrics are enabled

	// API
	APIRateLimit   float64
	APIQuotaPerDay int // 0: no quota
	// WAF: a web ACL on the stage, with WAFManagedRules managed rule groups besides its own
	// WAFCustomRules.
	WAF             bool
	WAFManagedRules int

	// Catalog: the partitionDiscovery mode's name, whether Athena projects partitions, and
	// the crawler's schedule ("" without a crawler).
	Discovery       string
	Projection      bool
	CrawlerSchedule string

	// Delivery
	EventTimePartitioning  bool
	FirehoseBufferMiB      int
	FirehoseBufferSeconds  int
	ProcessorBufferMiB     float64
	ProcessorBufferSeconds int
	RawBackup              bool
	LambdaMemoryMiB        int

	// Lake lifecycle
	RawTransitionDays        int
	RawStorageClass          string
	RawExpirationDays        int // 0: never
	ErrorsExpirationDays     int
	Versioning               bool
	NoncurrentExpirationDays int
	BytesScannedCutoffMiB    int

	// Operations
	LogRetentionDays int
	// SilentAlarm: alarmSilentMinutes > 0 adds the stream-silent alarm.
	SilentAlarm bool
}

// Crawler reports whether the stack has a crawler.
func (s Stack) Crawler() bool { return s.CrawlerSchedule != "" }

// Validate checks what the plan relies on; the stack configuration's own validation has
// checked the rest.
func (s Stack) Validate() error {
	var errs []error
	switch {
	case s.StreamMode == awsrules.Provisioned && s.ShardCount < 1:
		errs = append(errs, fmt.Errorf("stack %s: shardCount must be at least 1 with PROVISIONED, got %d", s.Name, s.ShardCount))
	case s.StreamMode != awsrules.Provisioned && s.StreamMode != awsrules.OnDemand:
		errs = append(errs, fmt.Errorf("stack %s: streamMode must be PROVISIONED or ON_DEMAND, got %q", s.Name, s.StreamMode))
	}
	if _, ok := storageClasses[s.RawStorageClass]; !ok && s.RawTransitionDays > 0 {
		errs = append(errs, fmt.Errorf("stack %s: rawStorageClass %q has no price", s.Name, s.RawStorageClass))
	}
	if s.FirehoseBufferMiB < 1 || s.FirehoseBufferSeconds < 1 || s.ProcessorBufferMiB <= 0 || s.ProcessorBufferSeconds < 1 || s.LambdaMemoryMiB < 128 {
		errs = append(errs, fmt.Errorf("stack %s: buffers, buffer intervals and Lambda memory must be positive", s.Name))
	}
	if !s.Projection && !s.Crawler() {
		errs = append(errs, fmt.Errorf("stack %s: neither partition projection nor a crawler: nothing would be queryable", s.Name))
	}
	return errors.Join(errs...)
}
