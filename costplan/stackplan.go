package costplan

import (
	"errors"
	"fmt"
	"strings"
)

// DatasetWorkload is one dataset's configuration (Stack, the dataset named by Stack.Dataset)
// and the workload its producers and analysts give it.
type DatasetWorkload struct {
	Stack    Stack
	Workload Workload
}

// StackPlan is a month of every dataset of a stack: each dataset's own charges (a Plan each),
// the charges they share counted once, and the sums. API Gateway's tiers count every
// dataset's requests together, and each dataset pays its share of them; the API's rate limit
// and quota are checked against every dataset's requests, the peaks taken to coincide.
type StackPlan struct {
	Name, Region string // the stack's
	PricesRegion string
	// Datasets are the datasets' own plans, in the stack's order (the default first).
	Datasets []*Plan
	// Shared are the charges every dataset shares, once.
	Shared    []Line
	SharedUSD float64
	// Services sum the datasets' and the shared charges by service.
	Services                   []ServiceTotal
	Events, Requests           float64 // a month, every dataset's
	PeakRequestsPerSecond      float64 // the datasets' peaks added up
	TotalUSD, PerMillionEvents float64
	Warnings                   []string
}

// NewStack computes the plan of every dataset of a stack, ds in the stack's order. The shared
// keys (the API's, the firewall's, the region) are every dataset's alike; the first
// dataset's are read.
func NewStack(ds []DatasetWorkload, p *Prices) (*StackPlan, error) {
	if len(ds) == 0 {
		return nil, errors.New("a stack plan needs at least one dataset")
	}
	var errs []error
	requests := make([]float64, len(ds))
	all := 0.0
	for i, d := range ds {
		err := errors.Join(d.Workload.Validate(), d.Stack.Validate())
		if err == nil {
			var f Flow
			f, err = newFlow(d.Workload, d.Stack)
			requests[i] = f.SingleRequests + f.BatchRequests
			all += requests[i]
		}
		errs = append(errs, inDataset(d.Stack.Dataset, err)...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	first := ds[0].Stack
	sp := &StackPlan{Name: first.Name, Region: first.Region, PricesRegion: p.Region}
	for i, d := range ds {
		pl, err := build(d.Stack, d.Workload, scope{others: len(ds) - 1, otherRequests: all - requests[i], inStack: true}, p)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", d.Stack.Dataset, err)
		}
		sp.Datasets = append(sp.Datasets, pl)
	}
	sp.Shared, sp.SharedUSD = sp.Datasets[0].Shared, sp.Datasets[0].SharedUSD
	sp.sum()
	sp.warn(first)
	return sp, nil
}

// inDataset names the dataset in each of err's problems.
func inDataset(name string, err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{fmt.Errorf("dataset %s: %w", name, err)}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, inDataset(name, e)...)
	}
	return out
}

// sum adds up the datasets' plans and the shared charges.
func (sp *StackPlan) sum() {
	by := map[string]float64{}
	for _, l := range sp.Shared {
		by[l.Service] += l.USD
	}
	sp.TotalUSD = sp.SharedUSD
	for _, pl := range sp.Datasets {
		for _, t := range pl.Services {
			by[t.Service] += t.USD
		}
		sp.TotalUSD += pl.TotalUSD
		sp.Events += pl.Flow.Events
		sp.Requests += pl.Flow.SingleRequests + pl.Flow.BatchRequests
		sp.PeakRequestsPerSecond += pl.Flow.PeakRequestsPerSecond
	}
	millions := sp.Events / 1e6
	sp.PerMillionEvents = sp.TotalUSD / millions
	for _, svc := range serviceOrder {
		share := 0.0
		if sp.TotalUSD > 0 {
			share = by[svc] / sp.TotalUSD
		}
		sp.Services = append(sp.Services, ServiceTotal{Service: svc, USD: by[svc], PerMillionEvents: by[svc] / millions, Share: share})
	}
}

// warn adds what holds for the stack as a whole; each dataset's plan warns of its own.
func (sp *StackPlan) warn(s Stack) {
	sp.Warnings = []string{}
	add := func(format string, a ...any) { sp.Warnings = append(sp.Warnings, fmt.Sprintf(format, a...)) }
	if sp.PricesRegion != s.Region {
		add("prices are %s's and stack %s is in %s: pass --prices with %s's table", sp.PricesRegion, s.Name, s.Region, s.Region)
	}
	apiLimits(s, sp.PeakRequestsPerSecond, sp.Requests, func(format string, a ...any) {
		add("every dataset's requests: "+format, a...)
	})
}

// Biggest returns the service that costs most, over every dataset and the shared charges.
func (sp *StackPlan) Biggest() ServiceTotal { return biggest(sp.Services) }

// Text renders the stack's plan: the datasets' sums, the shared charges, the services, then
// each dataset's own plan.
func (sp *StackPlan) Text() string {
	var out strings.Builder
	for _, section := range []func(*strings.Builder){sp.writeDatasets, sp.writeShared, sp.writeServices} {
		var b strings.Builder
		section(&b)
		out.WriteString(aligned(b.String()))
	}
	for _, pl := range sp.Datasets {
		out.WriteString("\n" + pl.Text())
	}
	return out.String()
}

func (sp *StackPlan) writeDatasets(w *strings.Builder) {
	fmt.Fprintf(w, "streamlake plan: stack %s (%s), every dataset (%d), prices for %s, month %d of the lake (%d h)\n",
		sp.Name, sp.Region, len(sp.Datasets), sp.PricesRegion, ReportMonth, HoursPerMonth)
	fmt.Fprintln(w, "Monthly cost by dataset, USD\tevents a month\tmonth\tshare\tper million events")
	for _, pl := range sp.Datasets {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%.1f%%\t%s\n", pl.Stack.Dataset, count(pl.Flow.Events), money(pl.TotalUSD), 100*sp.share(pl.TotalUSD), money(pl.PerMillionEvents))
	}
	fmt.Fprintf(w, "  shared, once\t\t%s\t%.1f%%\n", money(sp.SharedUSD), 100*sp.share(sp.SharedUSD))
	fmt.Fprintf(w, "  total\t%s\t%s\t100.0%%\t%s\n", count(sp.Events), money(sp.TotalUSD), money(sp.PerMillionEvents))
}

func (sp *StackPlan) writeShared(w *strings.Builder) {
	fmt.Fprintln(w, "Shared by every dataset, once")
	writeLines(w, sp.Shared)
}

func (sp *StackPlan) writeServices(w *strings.Builder) {
	fmt.Fprintln(w, "By service, every dataset and the shared\tmonth\tshare\tper million events")
	for _, t := range sp.Services {
		fmt.Fprintf(w, "  %s\t%s\t%.1f%%\t%s\n", t.Service, money(t.USD), 100*t.Share, money(t.PerMillionEvents))
	}
	big := sp.Biggest()
	fmt.Fprintf(w, "Biggest cost: %s, %s a month (%.1f%%); each dataset's plan below names its own driver and the change that cuts it most\n",
		big.Service, money(big.USD), 100*big.Share)
	for _, warn := range sp.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// share is usd's share of the stack's total.
func (sp *StackPlan) share(usd float64) float64 {
	if sp.TotalUSD == 0 {
		return 0
	}
	return usd / sp.TotalUSD
}

// StackPlanJSON is the stack's plan as `streamlake plan --dataset all --json` prints it.
type StackPlanJSON struct {
	monthJSON
	SharedUSD   float64 `json:"shared_usd"`
	SharedLines []Line  `json:"shared_lines"`
	// Datasets are each dataset's own plan, as --dataset NAME prints it but with the API's
	// tiers over every dataset's requests and the API's limits checked here.
	Datasets []PlanJSON  `json:"datasets"`
	Warnings []string    `json:"warnings"`
	Prices   []priceJSON `json:"prices_used"`
}

// JSON returns the stack's plan in --json's form.
func (sp *StackPlan) JSON(p *Prices) StackPlanJSON {
	out := StackPlanJSON{
		monthJSON: monthJSON{Stack: sp.Name, StackRegion: sp.Region, PricesRegion: sp.PricesRegion, ReportMonth: ReportMonth, HoursPerMonth: HoursPerMonth,
			EventsPerMonth: sp.Events, RequestsPerMonth: sp.Requests, PeakRequestsPerSec: sp.PeakRequestsPerSecond,
			TotalUSD: sp.TotalUSD, PerMillionEvents: sp.PerMillionEvents, Services: sp.Services},
		SharedUSD: sp.SharedUSD, SharedLines: sp.Shared, Warnings: sp.Warnings, Datasets: []PlanJSON{},
	}
	charges := [][]Line{sp.Shared}
	for _, pl := range sp.Datasets {
		out.Datasets = append(out.Datasets, pl.JSON(p))
		charges = append(charges, pl.Lines)
	}
	out.Prices = pricesUsed(p, charges...)
	return out
}
