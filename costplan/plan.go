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
	// Shared: the charge is the stack's, once whatever its datasets (the key, the firewall's
	// web ACL and rules, the API's alarms, the dashboard); the others are the dataset's own.
	Shared bool `json:"shared"`
}

// ServiceTotal is one service's monthly cost.
type ServiceTotal struct {
	Service          string  `json:"service"`
	USD              float64 `json:"usd"`
	PerMillionEvents float64 `json:"per_million_events"`
	Share            float64 `json:"share"`
}

// Plan is everything `streamlake plan` reports for one dataset.
type Plan struct {
	Stack    Stack
	Workload Workload
	Region   string // the prices' region
	Flow     Flow
	// Lines are the charges the plan counts: every one of a stack with this one dataset,
	// the dataset's own of a stack with several (NewDataset, NewStack).
	Lines []Line
	// Shared are the stack's charges shared by every dataset, priced once: in Lines when the
	// plan counts them (SharedCounted), else listed apart and out of the total.
	Shared    []Line
	SharedUSD float64
	Services  []ServiceTotal
	TotalUSD  float64
	// PerMillionEvents is TotalUSD per million events of the month.
	PerMillionEvents float64
	Freshness        Freshness
	Files            Files
	// KinesisOther is the stream's cost in the other capacity mode, for comparison.
	KinesisOther KinesisMode
	Driver       Driver
	Warnings     []string
	sc           scope
}

// scope is where a dataset's plan stands in its stack.
type scope struct {
	// others is how many other datasets the stack has; with none the plan is the stack's,
	// shared charges counted.
	others int
	// otherRequests are the other datasets' API requests a month, which API Gateway's tiers
	// count with this dataset's (0: not known, priced from the first tier).
	otherRequests float64
	// inStack: the plan is a dataset's part of a StackPlan, which counts the shared charges
	// once and checks the API's limits against every dataset's requests.
	inStack bool
}

// counted reports whether the plan counts the shared charges.
func (sc scope) counted() bool { return sc.others == 0 && !sc.inStack }

// NewDataset computes the plan of dataset s (s.Dataset) of a stack with datasets datasets:
// with one, the whole stack's; with several, the dataset's own charges (its stream, delivery stream,
// function, table, crawler, queries, alarms and its requests to the shared API, priced from
// API Gateway's first tier), the shared ones listed apart (Shared) and out of the total.
func NewDataset(s Stack, w Workload, datasets int, p *Prices) (*Plan, error) {
	if datasets < 1 {
		return nil, fmt.Errorf("stack %s: dataset %s of %d datasets", s.Name, s.Dataset, datasets)
	}
	return build(s, w, scope{others: datasets - 1}, p)
}

// SharedCounted reports whether the plan's total counts the stack's shared charges.
func (pl *Plan) SharedCounted() bool { return pl.sc.counted() }

// StackDatasets is how many datasets the plan's stack has.
func (pl *Plan) StackDatasets() int { return pl.sc.others + 1 }

func build(s Stack, w Workload, sc scope, p *Prices) (*Plan, error) {
	if err := errors.Join(w.Validate(), s.Validate()); err != nil {
		return nil, err
	}
	pl, err := compute(s, w, sc, p)
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
func compute(s Stack, w Workload, sc scope, p *Prices) (*Plan, error) {
	f, err := newFlow(w, s)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.Name, err)
	}
	pl := &Plan{Stack: s, Workload: w, Region: p.Region, Flow: f, sc: sc}
	c := &coster{p: p, s: s, w: w, f: f, sc: sc}
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
	pl.Lines, pl.Shared = []Line{}, []Line{}
	for _, l := range c.lines {
		if l.Shared {
			pl.Shared = append(pl.Shared, l)
			pl.SharedUSD += l.USD
		}
		if !l.Shared || sc.counted() {
			pl.Lines = append(pl.Lines, l)
		}
	}
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
func (pl *Plan) Biggest() ServiceTotal { return biggest(pl.Services) }

func biggest(services []ServiceTotal) ServiceTotal {
	return slices.MaxFunc(services, func(a, b ServiceTotal) int { return cmp.Compare(a.USD, b.USD) })
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
	other, err := compute(s, pl.Workload, pl.sc, p)
	if err != nil {
		return KinesisMode{}, err
	}
	return KinesisMode{Mode: s.StreamMode, Shards: s.ShardCount, USD: other.ServiceUSD(SvcKinesis)}, nil
}

// provisioned reports whether the stack's stream has provisioned shards.
func (s Stack) provisioned() bool { return s.StreamMode == awsrules.Provisioned }
