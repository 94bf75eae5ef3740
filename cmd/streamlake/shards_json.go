package main

import "time"

// shardsJSON is the plan as --json prints it: snake_case keys, [] for empty lists, and the
// sizing objects only when a workload was sized.
type shardsJSON struct {
	Mode               string           `json:"mode"` // "size" or "reshard"
	Workload           *workloadJSON    `json:"workload,omitempty"`
	Metrics            *metricsJSON     `json:"metrics,omitempty"`
	AvgEPS             float64          `json:"avg_eps,omitempty"`
	MeasuredEventBytes bool             `json:"measured_event_bytes"`
	Limits             *limitsJSON      `json:"limits,omitempty"`
	Needs              *shardNeedsJSON  `json:"needs,omitempty"`
	Shards             int              `json:"shards,omitempty"`
	Binding            string           `json:"binding,omitempty"`
	MonthlyCostUSD     *monthlyCostJSON `json:"monthly_cost_usd,omitempty"`
	Prices             *pricesJSON      `json:"prices,omitempty"`
	API                *apiJSON         `json:"api,omitempty"`
	Current            int              `json:"current"`
	CurrentSource      string           `json:"current_source"`
	StackFile          *stackFileJSON   `json:"stack_file,omitempty"`
	Stream             string           `json:"stream"`
	LiveOpenShards     int              `json:"live_open_shards"`
	OnDemand           bool             `json:"on_demand"`
	Target             int              `json:"target"`
	Steps              []stepJSON       `json:"steps"`
	Next               *nextJSON        `json:"next,omitempty"`
	Written            bool             `json:"written"`
	Refused            string           `json:"refused,omitempty"`
	Warnings           []string         `json:"warnings"`
}

type workloadJSON struct {
	PeakEPS     float64 `json:"peak_eps"`
	EventBytes  float64 `json:"event_bytes"`
	Consumers   int     `json:"consumers"`
	HeadroomPct float64 `json:"headroom_pct"`
}

type metricsJSON struct {
	Stream            string  `json:"stream"`
	From              string  `json:"from"`
	To                string  `json:"to"`
	Statistic         string  `json:"statistic"`
	PeriodSec         int     `json:"period_sec"`
	MinutesWithData   int     `json:"minutes_with_data"`
	PeakRecordsPerSec float64 `json:"peak_records_per_sec"`
	PeakRecordsAt     string  `json:"peak_records_at"`
	PeakBytesPerSec   float64 `json:"peak_bytes_per_sec"`
	PeakBytesAt       string  `json:"peak_bytes_at"`
	AvgRecordsPerSec  float64 `json:"avg_records_per_sec"`
}

type limitsJSON struct {
	WriteBytesPerSec   float64 `json:"write_bytes_per_sec"`
	WriteRecordsPerSec float64 `json:"write_records_per_sec"`
	ReadBytesPerSec    float64 `json:"read_bytes_per_sec"`
}

type shardNeedsJSON struct {
	ReadBytes    int `json:"read_bytes"`
	WriteBytes   int `json:"write_bytes"`
	WriteRecords int `json:"write_records"`
}

type monthlyCostJSON struct {
	OnDemandRough float64 `json:"on_demand_rough"`
	Provisioned   float64 `json:"provisioned"`
}

type pricesJSON struct {
	Region             string  `json:"region"`
	Table              string  `json:"table"`
	ShardHour          float64 `json:"shard_hour"`
	PutUnitsPerMillion float64 `json:"put_units_per_million"`
	OnDemandStreamHour float64 `json:"on_demand_stream_hour"`
	OnDemandWriteGB    float64 `json:"on_demand_write_gb"`
	OnDemandReadGB     float64 `json:"on_demand_read_gb"`
}

type apiJSON struct {
	StackFile          string  `json:"stack_file"`
	RateLimit          float64 `json:"rate_limit"`
	BatchSize          int     `json:"batch_size"`
	SingleRouteEPS     float64 `json:"single_route_eps"`
	BatchRouteEPS      float64 `json:"batch_route_eps"`
	PlannedEPS         float64 `json:"planned_eps"`
	SingleRouteCarries bool    `json:"single_route_carries"`
	BatchRouteCarries  bool    `json:"batch_route_carries"`
}

type stackFileJSON struct {
	File       string `json:"file"`
	ShardCount int    `json:"shard_count"`
	Set        bool   `json:"set"`
	StreamMode string `json:"stream_mode"`
}

type stepJSON struct {
	From   int `json:"from"`
	To     int `json:"to"`
	Window int `json:"window"`
}

type nextJSON struct {
	File    string `json:"file"`
	Key     string `json:"key"`
	From    int    `json:"from"`
	To      int    `json:"to"`
	Comment string `json:"comment"`
	Command string `json:"command"`
}

func (p *shardsPlan) json() shardsJSON {
	r, c := p.reshard, p.reshard.current
	out := shardsJSON{Mode: "reshard", Current: c.count, CurrentSource: c.source, OnDemand: c.onDemand, Target: r.target,
		Written: r.written, Refused: r.refused, Steps: []stepJSON{}, Warnings: nonNil(p.allWarnings())}
	if c.count == 0 {
		out.CurrentSource = ""
	}
	if c.liveRead {
		out.Stream, out.LiveOpenShards = c.live.name, c.live.open
	}
	if c.file != nil {
		out.StackFile = &stackFileJSON{File: c.file.File, ShardCount: c.file.ShardCount, Set: c.file.ShardCountSet, StreamMode: c.file.StreamMode}
	}
	for _, s := range r.steps {
		out.Steps = append(out.Steps, stepJSON(s))
	}
	if n := r.next; n != nil {
		out.Next = &nextJSON{File: n.file, Key: n.name(), From: n.from, To: n.to, Comment: n.comment, Command: n.command}
	}
	if p.sized {
		p.sizingJSON(&out)
	}
	return out
}

// sizingJSON adds the sized workload, its plan and its cost.
func (p *shardsPlan) sizingJSON(out *shardsJSON) {
	wl, l, pr := p.plan.Workload, p.plan.Limits, p.prices
	out.Mode, out.AvgEPS, out.MeasuredEventBytes, out.Shards, out.Binding = "size", round2(p.avg), p.measured, p.plan.Shards, p.plan.Binding
	out.Workload = &workloadJSON{PeakEPS: round2(wl.PeakEventsPerSec), EventBytes: round2(wl.AvgRecordBytes), Consumers: wl.Consumers, HeadroomPct: wl.HeadroomPct}
	out.Limits = &limitsJSON{WriteBytesPerSec: l.WriteBytesPerSec, WriteRecordsPerSec: l.WriteRecordsPerSec, ReadBytesPerSec: l.ReadBytesPerSec}
	out.Needs = &shardNeedsJSON{ReadBytes: p.plan.ForRead, WriteBytes: p.plan.ForWriteBytes, WriteRecords: p.plan.ForWriteRecords}
	out.MonthlyCostUSD = &monthlyCostJSON{OnDemandRough: round2(p.cost.OnDemand), Provisioned: round2(p.cost.Provisioned)}
	out.Prices = &pricesJSON{Region: p.pricesRegion, Table: p.pricesSource, ShardHour: pr.ShardHour, PutUnitsPerMillion: pr.PutUnitsPerMillion, OnDemandStreamHour: pr.OnDemandStreamHour, OnDemandWriteGB: pr.OnDemandWriteGB, OnDemandReadGB: pr.OnDemandReadGB}
	if a := p.api; a != nil {
		out.API = &apiJSON{StackFile: a.file, RateLimit: a.rateLimit, BatchSize: a.batchSize, SingleRouteEPS: a.singleEPS, BatchRouteEPS: a.batchEPS,
			PlannedEPS: round2(a.planned), SingleRouteCarries: !a.singleShort, BatchRouteCarries: a.batchOK}
	}
	if m := p.metrics; m != nil {
		out.Metrics = &metricsJSON{Stream: m.Stream, From: m.From.Format(time.RFC3339), To: m.To.Format(time.RFC3339), Statistic: "Sum", PeriodSec: minute,
			MinutesWithData: m.Minutes, PeakRecordsPerSec: round2(m.PeakRecordsPerSec), PeakRecordsAt: m.PeakRecordsAt.UTC().Format(time.RFC3339),
			PeakBytesPerSec: round2(m.PeakBytesPerSec), PeakBytesAt: m.PeakBytesAt.UTC().Format(time.RFC3339), AvgRecordsPerSec: round2(m.AvgRecordsPerSec)}
	}
}
