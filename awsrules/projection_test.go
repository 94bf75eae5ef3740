package awsrules

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestProjectionTemplate(t *testing.T) {
	tests := []struct{ prefix, want, err string }{
		{"data/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/",
			"data/year=${year}/month=${month}/day=${day}/hour=${hour}/", ""},
		{"data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
			"data/year=${year}/month=${month}/day=${day}/hour=${hour}/", ""},
		{"a/b/dt=!{timestamp:yyyy-MM-dd}/", "a/b/dt=${dt}/", ""},
		{"static/", "static/", ""},
		{"data/year=!{timestamp:yyyy}", "", "must end with /"},
		{"data/!{timestamp:yyyy}/", "", `folder "!{timestamp:yyyy}" must be k=<one expression>`},
		{"data/ym=!{timestamp:yyyy}-!{timestamp:MM}/", "", "must be k=<one expression>"},
		{"data/year=y!{timestamp:yyyy}/", "", "must be k=<one expression>"},
	}
	for _, tt := range tests {
		got, err := ProjectionTemplate(tt.prefix)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.prefix, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.prefix, got, err, tt.want)
		}
	}
}

func TestCheckProjection(t *testing.T) {
	keys := []string{"year", "month"}
	valid := func() map[string]string {
		return ProjectionParameters("s3://b/data/year=${year}/month=${month}/", []IntegerProjection{
			{Column: "year", Min: 2000, Max: 2099, Digits: 4}, {Column: "month", Min: 1, Max: 12, Digits: 2},
		})
	}
	tests := []struct {
		name   string
		mutate func(map[string]string)
		want   string
	}{
		{"valid", func(map[string]string) {}, ""},
		{"no projection at all", func(p map[string]string) { clear(p) }, ""},
		{"disabled", func(p map[string]string) { p[ProjectionEnabled] = "yes" }, `projection.enabled is "yes"`},
		{"placeholder missing", func(p map[string]string) { p[LocationTemplate] = "s3://b/data/year=${year}/" }, "no placeholder ${month}"},
		{"no trailing slash", func(p map[string]string) { p[LocationTemplate] = "s3://b/data/year=${year}/month=${month}" }, "ending in /"},
		{"not s3", func(p map[string]string) { p[LocationTemplate] = "data/year=${year}/month=${month}/" }, "must be an s3:// location"},
		{"type missing", func(p map[string]string) { delete(p, "projection.month.type") }, `projection.month.type is ""`},
		{"type unknown", func(p map[string]string) { p["projection.month.type"] = "number" }, "want one of enum, integer, date, injected"},
		{"range backwards", func(p map[string]string) { p["projection.month.range"] = "12,1" }, `projection.month.range is "12,1"`},
		{"range one value", func(p map[string]string) { p["projection.year.range"] = "2000" }, `projection.year.range is "2000"`},
		{"digits zero", func(p map[string]string) { p["projection.month.digits"] = "0" }, "projection.month.digits is \"0\""},
		{"injected needs no range", func(p map[string]string) {
			p["projection.month.type"] = "injected"
			delete(p, "projection.month.range")
		}, ""},
	}
	for _, tt := range tests {
		p := valid()
		tt.mutate(p)
		checkErr(t, tt.name, CheckProjection(p, keys), tt.want)
	}
	if got := valid(); got["projection.month.digits"] != "2" || got["projection.year.range"] != "2000,2099" || got["projection.month.type"] != "integer" {
		t.Errorf("parameters %v", got)
	}
}

func TestScheduleGap(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
		err  string
	}{
		{"cron(15 * * * ? *)", time.Hour, ""},
		{"cron(5 * * * ? *)", time.Hour, ""},
		{"cron(15 0 * * ? *)", 24 * time.Hour, ""},
		{"cron(0/5 * * * ? *)", 5 * time.Minute, ""},
		{"cron(0,20 * * * ? *)", 40 * time.Minute, ""},
		{"cron(0 8-17 ? * MON-FRI *)", 15*time.Hour + 48*time.Hour, ""}, // Friday 17:00 to Monday 08:00
		{"cron(0 0 1 * ? *)", 31 * 24 * time.Hour, ""},                  // the longest month
		{"cron(0 0 L * ? *)", 31 * 24 * time.Hour, ""},
		{"cron(0 0 1 JAN ? *)", 366 * 24 * time.Hour, ""}, // across a leap year
		{"cron(0 */6 * * ? *)", 6 * time.Hour, ""},
		{"cron(30 2 ? * 1 *)", 7 * 24 * time.Hour, ""}, // Sundays
		{"cron(0 0 ? * 2#1 *)", 0, "not modelled"},
		{"cron(0 0 15W * ? *)", 0, "not modelled"},
		{"cron(0 0 * * ? 2030)", 0, "longest gap is unbounded"},
		{"cron(0 25 * * ? *)", 0, `hours "25"`},
		{"cron(0 0 * * ? *", 0, "must be cron("},
		{"rate(1 hour)", 0, "cron(...) only"},
	}
	for _, tt := range tests {
		got, err := ScheduleGap(tt.expr)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.expr, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: gap %s, %v; want %s", tt.expr, got, err, tt.want)
		}
	}
}

func TestScheduleRunsPerDay(t *testing.T) {
	// 2028-2035: 8 years, two of them leap years, 8 x 365 + 2 = 2922 days.
	tests := []struct {
		expr string
		want float64
	}{
		{"cron(15 * * * ? *)", 24},
		{"cron(5 * * * ? *)", 24},
		{"cron(15 0 * * ? *)", 1},
		{"cron(0/5 * * * ? *)", 288},
		{"cron(0 */6 * * ? *)", 4},
		{"cron(0 0 1 * ? *)", 96.0 / 2922}, // 12 months x 8 years
		{"cron(0 0 1 JAN ? *)", 8.0 / 2922},
	}
	for _, tt := range tests {
		got, err := ScheduleRunsPerDay(tt.expr)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: %v runs/day, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
	if _, err := ScheduleRunsPerDay("rate(1 hour)"); err == nil || !strings.Contains(err.Error(), "cron(...) only") {
		t.Errorf("rate(): error %v", err)
	}
}

func TestWorstCaseFreshness(t *testing.T) {
	tests := []struct {
		name                     string
		c                        FreshnessConfig
		athena, catalog, crawler time.Duration
		err                      string
	}{
		{"projection only", FreshnessConfig{ProcessorBufferSeconds: 60, BufferSeconds: 300, Projection: true},
			6 * time.Minute, 0, 0, ""},
		{"projection and a daily crawler", FreshnessConfig{ProcessorBufferSeconds: 60, BufferSeconds: 60, Projection: true, CrawlerSchedule: "cron(15 0 * * ? *)"},
			2 * time.Minute, 24*time.Hour + 2*time.Minute, 24 * time.Hour, ""},
		{"crawler only", FreshnessConfig{ProcessorBufferSeconds: 60, BufferSeconds: 300, CrawlerSchedule: "cron(5 * * * ? *)"},
			66 * time.Minute, 66 * time.Minute, time.Hour, ""},
		{"largest intervals", FreshnessConfig{ProcessorBufferSeconds: 900, BufferSeconds: 900, Projection: true},
			30 * time.Minute, 0, 0, ""},
		{"neither", FreshnessConfig{ProcessorBufferSeconds: 60, BufferSeconds: 60}, 0, 0, 0, "never be queryable"},
		{"bad schedule", FreshnessConfig{ProcessorBufferSeconds: 60, CrawlerSchedule: "rate(1 hour)"}, 0, 0, 0, "crawler schedule"},
		{"negative", FreshnessConfig{ProcessorBufferSeconds: -1, Projection: true}, 0, 0, 0, "must not be negative"},
	}
	for _, tt := range tests {
		f, err := WorstCaseFreshness(tt.c)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || f.Athena != tt.athena || f.Catalog != tt.catalog || f.CrawlerGap != tt.crawler {
			t.Errorf("%s: %+v, %v; want athena %s catalog %s crawler gap %s", tt.name, f, err, tt.athena, tt.catalog, tt.crawler)
		}
	}
}
