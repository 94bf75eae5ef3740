// Package costplan is what a month of a workload costs on a stack's configuration, service
// by service, how fresh the data is, how small its files are, and which change would cut the
// bill most. It is pure arithmetic over a plain Stack (every configuration value it needs),
// a Workload (the producers and analysts) and Prices (prices.json, one row per unit price,
// each citing its AWS pricing page); `streamlake plan` renders it.
package costplan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/streamlake/streamlake/awsrules"
)

// Services, in the order the plan lists them.
const (
	SvcAPI        = "API Gateway"
	SvcWAF        = "WAF"
	SvcKinesis    = "Kinesis"
	SvcFirehose   = "Firehose"
	SvcLambda     = "Lambda"
	SvcS3         = "S3"
	SvcKMS        = "KMS"
	SvcGlue       = "Glue"
	SvcAthena     = "Athena"
	SvcCloudWatch = "CloudWatch"
)

var serviceOrder = []string{SvcAPI, SvcWAF, SvcKinesis, SvcFirehose, SvcLambda, SvcS3, SvcKMS, SvcGlue, SvcAthena, SvcCloudWatch}

// Line is one charge: a quantity of a priced unit.
type Line struct {
	Service  string  `json:"service"`
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
	PriceID  string  `json:"price_id"`
	USD      float64 `json:"usd"`
	// Note says how the quantity was derived.
	Note string `json:"note"`
}

// ServiceTotal is one service's monthly cost.
type ServiceTotal struct {
	Service          string  `json:"service"`
	USD              float64 `json:"usd"`
	PerMillionEvents float64 `json:"per_million_events"`
	Share            float64 `json:"share"`
}

// Plan is everything `streamlake plan` reports.
type Plan struct {
	Stack    Stack
	Workload Workload
	Region   string // the prices' region
	Flow     Flow
	Lines    []Line
	Services []ServiceTotal
	TotalUSD float64
	// PerMillionEvents is TotalUSD per million events of the month.
	PerMillionEvents float64
	Freshness        Freshness
	Files            Files
	// KinesisOther is the stream's cost in the other capacity mode, for comparison.
	KinesisOther KinesisMode
	Driver       Driver
	Warnings     []string
}

// New computes the plan of workload w on stack s at prices p.
func New(s Stack, w Workload, p *Prices) (*Plan, error) {
	if err := errors.Join(w.Validate(), s.Validate()); err != nil {
		return nil, err
	}
	pl, err := compute(s, w, p)
	if err != nil {
		return nil, err
	}
	if pl.KinesisOther, err = otherMode(pl, p); err != nil {
		return nil, err
	}
	if pl.Driver, err = findDriver(pl, p); err != nil {
		return nil, err
	}
	pl.warn(p)
	return pl, nil
}

// compute prices the month; findDriver calls it again for each alternative.
func compute(s Stack, w Workload, p *Prices) (*Plan, error) {
	f, err := newFlow(w, s)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.Name, err)
	}
	pl := &Plan{Stack: s, Workload: w, Region: p.Region, Flow: f}
	c := &coster{p: p, s: s, w: w, f: f}
	c.api()
	c.waf()
	c.kinesis()
	c.firehose()
	c.lambda()
	c.s3()
	c.kms()
	c.glue()
	c.athena()
	c.cloudwatch()
	if c.err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.Name, c.err)
	}
	pl.Lines = c.lines
	pl.total()
	if pl.Freshness, err = freshness(s, f); err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.Name, err)
	}
	pl.Files = files(s, f)
	return pl, nil
}

// total sums the lines per service.
func (pl *Plan) total() {
	by := map[string]float64{}
	for _, l := range pl.Lines {
		by[l.Service] += l.USD
		pl.TotalUSD += l.USD
	}
	millions := pl.Flow.Events / 1e6
	pl.PerMillionEvents = pl.TotalUSD / millions
	pl.Services = []ServiceTotal{}
	for _, svc := range serviceOrder {
		share := 0.0
		if pl.TotalUSD > 0 {
			share = by[svc] / pl.TotalUSD
		}
		pl.Services = append(pl.Services, ServiceTotal{Service: svc, USD: by[svc], PerMillionEvents: by[svc] / millions, Share: share})
	}
}

// Biggest returns the service that costs most.
func (pl *Plan) Biggest() ServiceTotal {
	return slices.MaxFunc(pl.Services, func(a, b ServiceTotal) int { return cmp.Compare(a.USD, b.USD) })
}

// ServiceUSD is one service's total.
func (pl *Plan) ServiceUSD(svc string) float64 {
	for _, t := range pl.Services {
		if t.Service == svc {
			return t.USD
		}
	}
	return 0
}

// KinesisMode is the stream's monthly cost in one capacity mode.
type KinesisMode struct {
	Mode   string  `json:"mode"`
	Shards int     `json:"shards"` // provisioned: the count priced; on-demand: 0
	USD    float64 `json:"usd"`
}

// otherMode prices the stream in the capacity mode the stack does not use: on-demand, or
// provisioned with shardplan's count for the peak.
func otherMode(pl *Plan, p *Prices) (KinesisMode, error) {
	s := pl.Stack
	if s.provisioned() {
		s.StreamMode, s.ShardCount = awsrules.OnDemand, 0
	} else {
		s.StreamMode, s.ShardCount = awsrules.Provisioned, pl.Flow.RecommendedShards
	}
	other, err := compute(s, pl.Workload, p)
	if err != nil {
		return KinesisMode{}, err
	}
	return KinesisMode{Mode: s.StreamMode, Shards: s.ShardCount, USD: other.ServiceUSD(SvcKinesis)}, nil
}

// provisioned reports whether the stack's stream has provisioned shards.
func (s Stack) provisioned() bool { return s.StreamMode == awsrules.Provisioned }
