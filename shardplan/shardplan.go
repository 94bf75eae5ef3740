// Package shardplan sizes a provisioned Kinesis stream: how many shards a workload needs under
// the per-shard limits, what they cost per month, a rough on-demand comparison, and the path of
// UpdateShardCount steps from the live count to the plan. Everything is pure arithmetic over
// the limits in awsrules, so `streamlake shards` and its tests share one definition.
package shardplan

import (
	"errors"
	"fmt"
	"math"

	"github.com/streamlake/streamlake/awsrules"
)

// Limits are the per-shard throughput limits a plan is sized against.
type Limits struct {
	// WriteBytesPerSec and WriteRecordsPerSec bound what producers may put into one shard
	// (data blob plus partition key).
	WriteBytesPerSec   float64
	WriteRecordsPerSec float64
	// ReadBytesPerSec is one shard's read throughput, shared by all standard (polling)
	// consumers. Enhanced fan-out consumers get their own and are not counted here.
	ReadBytesPerSec float64
}

// DefaultLimits are AWS's provisioned-mode limits (awsrules).
func DefaultLimits() Limits {
	return Limits{
		WriteBytesPerSec:   awsrules.ShardWriteBytesPerSec,
		WriteRecordsPerSec: awsrules.ShardWriteRecordsPerSec,
		ReadBytesPerSec:    awsrules.ShardReadBytesPerSec,
	}
}

// Workload is the traffic a stream must carry at its busiest.
type Workload struct {
	// PeakEventsPerSec is the highest sustained rate producers put, in records per second.
	PeakEventsPerSec float64
	// AvgRecordBytes is the average record size as Kinesis counts it: the event's JSON plus
	// its partition key.
	AvgRecordBytes float64
	// Consumers is how many standard consumers read every record (Firehose is one).
	Consumers int
	// HeadroomPct is the spare capacity to keep above the peak, in percent (25 = 1.25x peak).
	HeadroomPct float64
}

// Validate reports every problem with the workload at once, naming the field.
func (w Workload) Validate() error {
	var errs []error
	if !(w.PeakEventsPerSec > 0) || math.IsInf(w.PeakEventsPerSec, 0) {
		errs = append(errs, fmt.Errorf("peak events/s must be a positive number, got %g", w.PeakEventsPerSec))
	}
	if !(w.AvgRecordBytes >= 1) || w.AvgRecordBytes > awsrules.MaxRecordBytes {
		errs = append(errs, fmt.Errorf("average record size must be 1..%d bytes (a record's limit), got %g", awsrules.MaxRecordBytes, w.AvgRecordBytes))
	}
	if w.Consumers < 0 {
		errs = append(errs, fmt.Errorf("consumers must be 0 or more, got %d", w.Consumers))
	}
	if !(w.HeadroomPct >= 0) || w.HeadroomPct > 1000 {
		errs = append(errs, fmt.Errorf("headroom must be 0..1000 percent, got %g", w.HeadroomPct))
	}
	return errors.Join(errs...)
}

// Plan is a shard recommendation and the numbers behind it.
type Plan struct {
	Workload Workload
	Limits   Limits
	// Planned rates: the peak times (1 + headroom).
	WriteBytesPerSec, WriteRecordsPerSec, ReadBytesPerSec float64
	// Shards each limit needs on its own.
	ForWriteBytes, ForWriteRecords, ForRead int
	// Shards is the recommendation: the largest of the three, at least 1.
	Shards int
	// Binding names the limit that decides: "write bytes", "write records" or "read bytes".
	Binding string
	// Utilisation of each limit at the recommended count under the peak without headroom
	// (0.8 = 80 %).
	WriteBytesUse, WriteRecordsUse, ReadUse float64
	// Warnings are facts an operator should know before applying the plan.
	Warnings []string
}

// Recommend sizes a provisioned stream for w under l.
func Recommend(w Workload, l Limits) (Plan, error) {
	if err := w.Validate(); err != nil {
		return Plan{}, err
	}
	if !(l.WriteBytesPerSec > 0 && l.WriteRecordsPerSec > 0 && l.ReadBytesPerSec > 0) {
		return Plan{}, fmt.Errorf("shard limits must be positive, got %g B/s and %g records/s in, %g B/s out", l.WriteBytesPerSec, l.WriteRecordsPerSec, l.ReadBytesPerSec)
	}
	f := 1 + w.HeadroomPct/100
	p := Plan{Workload: w, Limits: l}
	peakBytes := w.PeakEventsPerSec * w.AvgRecordBytes
	p.WriteBytesPerSec = peakBytes * f
	p.WriteRecordsPerSec = w.PeakEventsPerSec * f
	p.ReadBytesPerSec = peakBytes * float64(w.Consumers) * f
	p.ForWriteBytes = ceil(p.WriteBytesPerSec / l.WriteBytesPerSec)
	p.ForWriteRecords = ceil(p.WriteRecordsPerSec / l.WriteRecordsPerSec)
	p.ForRead = ceil(p.ReadBytesPerSec / l.ReadBytesPerSec)
	p.Shards, p.Binding = 1, "write bytes"
	for _, c := range []struct {
		n    int
		name string
	}{{p.ForWriteBytes, "write bytes"}, {p.ForWriteRecords, "write records"}, {p.ForRead, "read bytes"}} {
		if c.n > p.Shards {
			p.Shards, p.Binding = c.n, c.name
		}
	}
	n := float64(p.Shards)
	p.WriteBytesUse = peakBytes / (n * l.WriteBytesPerSec)
	p.WriteRecordsUse = w.PeakEventsPerSec / (n * l.WriteRecordsPerSec)
	p.ReadUse = peakBytes * float64(w.Consumers) / (n * l.ReadBytesPerSec)

	if p.Shards > awsrules.MaxShards {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d shards is above the default quota of %d shards per account in the largest regions: request a quota increase first (and streamlake's shardCount check allows at most %d)", p.Shards, awsrules.MaxShards, awsrules.MaxShards))
	}
	if w.Consumers > 5 {
		// GetRecords allows 5 calls per second per shard, shared by standard consumers.
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d standard consumers share 5 GetRecords calls/s per shard: each polls less than once a second; consider enhanced fan-out", w.Consumers))
	}
	if w.Consumers == 0 {
		p.Warnings = append(p.Warnings, "0 consumers: streamlake's Firehose reads the stream, so the real pipeline has at least 1")
	}
	return p, nil
}

func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }

// Capacity is the highest peak, in whole events per second, for which Recommend keeps shards
// shards enough: the inverse of Recommend for a workload of w's record size, consumers and
// headroom (w's peak is ignored). It is what a stack file's shard count is documented with.
func Capacity(shards int, w Workload, l Limits) (int, error) {
	w.PeakEventsPerSec = 1
	if err := w.Validate(); err != nil {
		return 0, err
	}
	if shards < 1 {
		return 0, fmt.Errorf("capacity needs at least 1 shard, got %d", shards)
	}
	f, n := 1+w.HeadroomPct/100, float64(shards)
	limit := n * l.WriteRecordsPerSec / f
	limit = min(limit, n*l.WriteBytesPerSec/(w.AvgRecordBytes*f))
	if w.Consumers > 0 {
		limit = min(limit, n*l.ReadBytesPerSec/(w.AvgRecordBytes*float64(w.Consumers)*f))
	}
	// Rounding may put the boundary a hair either side: settle it with Recommend itself.
	eps := int(math.Floor(limit + 1e-6))
	for eps > 0 {
		w.PeakEventsPerSec = float64(eps)
		if p, err := Recommend(w, l); err == nil && p.Shards <= shards {
			break
		}
		eps--
	}
	for {
		w.PeakEventsPerSec = float64(eps + 1)
		p, err := Recommend(w, l)
		if err != nil {
			return 0, err
		}
		if p.Shards > shards {
			return eps, nil
		}
		eps++
	}
}

// HoursPerMonth is the month AWS price pages use (365 * 24 / 12).
const HoursPerMonth = 730

// PutPayloadUnitBytes is the 25 KB chunk a provisioned stream's PUT payload units count: a
// record of up to 25 KB is one unit.
const PutPayloadUnitBytes = 25 * 1024

// OnDemandRecordRounding is how on-demand mode meters data in: each record rounded up to 1 KB.
const OnDemandRecordRounding = 1024

// GiB is how per-GB prices are metered.
const GiB = 1 << 30

// Prices are the unit prices a cost estimate uses (USD), for the stream's region: the caller
// gives them (costplan's price table, Prices.Kinesis, holds them with their sources).
type Prices struct {
	ShardHour          float64 // provisioned: per shard-hour
	PutUnitsPerMillion float64 // provisioned: per million PUT payload units
	// On-demand (standard) mode: per stream-hour, per GB written, per GB read by standard consumers.
	OnDemandStreamHour float64
	OnDemandWriteGB    float64
	OnDemandReadGB     float64
}

// Cost is a monthly estimate. Retention beyond 24 h, enhanced fan-out and data transfer are
// not included.
type Cost struct {
	// Provisioned mode.
	ShardHours, ShardCost float64
	PutUnits, PutUnitCost float64
	Provisioned           float64
	// On-demand mode (standard).
	StreamHourCost     float64
	WriteGB, WriteCost float64
	ReadGB, ReadCost   float64
	OnDemand           float64
}

// MonthlyCost estimates a month of traffic at avgEventsPerSec (the month's average, not its
// peak) on shards provisioned shards, and the same traffic in on-demand mode.
func MonthlyCost(shards int, avgEventsPerSec, avgRecordBytes float64, consumers int, p Prices) (Cost, error) {
	if shards < 1 || !(avgEventsPerSec >= 0) || !(avgRecordBytes >= 1) || consumers < 0 {
		return Cost{}, fmt.Errorf("cost needs shards >= 1, average events/s >= 0, record size >= 1 and consumers >= 0; got %d, %g, %g, %d", shards, avgEventsPerSec, avgRecordBytes, consumers)
	}
	var c Cost
	records := avgEventsPerSec * HoursPerMonth * 3600
	c.ShardHours = float64(shards) * HoursPerMonth
	c.ShardCost = c.ShardHours * p.ShardHour
	c.PutUnits = records * math.Ceil(avgRecordBytes/PutPayloadUnitBytes)
	c.PutUnitCost = c.PutUnits / 1e6 * p.PutUnitsPerMillion
	c.Provisioned = c.ShardCost + c.PutUnitCost

	c.StreamHourCost = HoursPerMonth * p.OnDemandStreamHour
	c.WriteGB = records * math.Ceil(avgRecordBytes/OnDemandRecordRounding) * OnDemandRecordRounding / GiB
	c.WriteCost = c.WriteGB * p.OnDemandWriteGB
	c.ReadGB = records * avgRecordBytes * float64(consumers) / GiB
	c.ReadCost = c.ReadGB * p.OnDemandReadGB
	c.OnDemand = c.StreamHourCost + c.WriteCost + c.ReadCost
	return c, nil
}

// Step is one UpdateShardCount call: one `pulumi up` with shardCount set to To.
type Step struct {
	From, To int
	// Window is the rolling 24-hour window the step falls in (1 for the first
	// awsrules.MaxReshardsPerDay steps).
	Window int
}

// Reshard returns the steps from current to target shards, each within AWS's one-step limits
// (at most double, at least half of the open shards), numbered into 24-hour windows of at most
// awsrules.MaxReshardsPerDay changes. It is empty when current equals target.
func Reshard(current, target int) ([]Step, error) {
	switch {
	case current < 1:
		return nil, fmt.Errorf("current shard count must be at least 1, got %d", current)
	case target < 1 || target > awsrules.MaxShards:
		return nil, fmt.Errorf("target shard count must be 1..%d, got %d", awsrules.MaxShards, target)
	}
	var steps []Step
	from := current
	for i, to := range awsrules.ReshardPath(current, target) {
		if err := awsrules.CheckShardStep(from, to); err != nil {
			return nil, fmt.Errorf("internal: planned step %d -> %d breaks the one-step rule: %w", from, to, err)
		}
		steps = append(steps, Step{From: from, To: to, Window: i/awsrules.MaxReshardsPerDay + 1})
		from = to
	}
	return steps, nil
}
