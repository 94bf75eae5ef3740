package costplan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/stackconfig"
)

// Shared charges by hand: dev has the key ($1.00), the API's 3 alarms ($0.30) and the
// dashboard ($3.00); prod also the firewall's web ACL ($5.00), its 3 + 2 rules ($5.00) and
// its alarm ($0.10).
const (
	devSharedUSD  = 1.00 + 3*0.10 + 3.00
	prodSharedUSD = 5.00 + 5*1.00 + 1.00 + 4*0.10 + 3.00
)

// quizStack is prod's configuration for a second dataset; quizWorkload its traffic: 100
// events/s of 200 B, 300 at the peak, 90 % in batches of 200.
func quizStack() Stack {
	s := prodStack()
	s.Dataset = "quiz_answers"
	return s
}

var quizWorkload = Workload{AvgEPS: 100, PeakEPS: 300, EventBytes: 200, BatchShare: 0.9, BatchSize: 200, ErrorShare: 0.001}

func sharedOf(lines []Line) (n int, usd float64) {
	for _, l := range lines {
		if l.Shared {
			n++
			usd += l.USD
		}
	}
	return n, usd
}

// A dataset of several counts its own charges: the shared ones are listed apart and left out
// of its total, which is the whole stack's less them (the API priced from the first tier in
// both).
func TestDatasetPlanLeavesTheSharedOut(t *testing.T) {
	p := prices(t)
	for _, tt := range []struct {
		s         Stack
		w         Workload
		sharedUSD float64
		shared    int
	}{{devStack(), devWorkload, devSharedUSD, 3}, {prodStack(), prodWorkload, prodSharedUSD, 5}} {
		tt.s.Dataset = "events"
		whole, err := planOf(tt.s, tt.w, p)
		if err != nil {
			t.Fatal(err)
		}
		own, err := NewDataset(tt.s, tt.w, 2, p)
		if err != nil {
			t.Fatal(err)
		}
		if n, usd := sharedOf(whole.Lines); !whole.SharedCounted() || n != tt.shared || !near(usd, tt.sharedUSD) || !near(whole.SharedUSD, tt.sharedUSD) {
			t.Errorf("%s whole: %d shared lines of $%.2f (SharedUSD $%.2f), want %d of $%.2f", tt.s.Name, n, usd, whole.SharedUSD, tt.shared, tt.sharedUSD)
		}
		if n, _ := sharedOf(own.Lines); own.SharedCounted() || n != 0 || len(own.Shared) != tt.shared || !near(own.SharedUSD, tt.sharedUSD) {
			t.Errorf("%s dataset: %d shared lines counted, %d apart ($%.2f)", tt.s.Name, n, len(own.Shared), own.SharedUSD)
		}
		if !near(own.TotalUSD, whole.TotalUSD-tt.sharedUSD) {
			t.Errorf("%s: the dataset's own $%.2f, want the whole $%.2f less the shared $%.2f", tt.s.Name, own.TotalUSD, whole.TotalUSD, tt.sharedUSD)
		}
		text := own.Text()
		for _, want := range []string{
			tt.s.Name + " (eu-west-1), dataset events (one of 2: its own resources)",
			"Monthly cost of dataset events (its own resources), USD",
			"Shared by the stack's 2 datasets, once, not in this total: " + money(tt.sharedUSD),
			"Biggest cost driver of dataset events:",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: text lacks %q:\n%s", tt.s.Name, want, text)
			}
		}
		for _, a := range own.Driver.Alternatives {
			if a.Kind == "config" && !strings.HasPrefix(a.Change, "datasets.events: ") {
				t.Errorf("%s: alternative %q does not name the dataset's key", tt.s.Name, a.Change)
			}
		}
	}
}

// TestStackPlanByHand: prod with a second dataset (quizWorkload). API Gateway's tiers count
// both datasets' requests: events 411,939,000 (TestProdByHand); quiz 100 x 2,628,000 =
// 262,800,000 events: 26,280,000 single + 0.9 x 262,800,000 / 200 = 1,182,600 batch =
// 27,462,600; together 439.4016 M: 333 x $3.50 + 106.4016 x $3.19 = 1,165.50 + 339.421104 =
// $1,504.921104, each dataset paying its share by requests (priced apart they would cost
// $1,417.31541 + 27.4626 x $3.50 = $1,513.43).
func TestStackPlanByHand(t *testing.T) {
	p := prices(t)
	ev := prodStack()
	ev.Dataset = "events"
	sp, err := NewStack([]DatasetWorkload{{ev, prodWorkload}, {quizStack(), quizWorkload}}, p)
	if err != nil {
		t.Fatal(err)
	}
	api := 1504.921104
	evAPI, qAPI := 411.939/439.4016*api, 27.4626/439.4016*api
	e, q := sp.Datasets[0], sp.Datasets[1]
	if !near(e.ServiceUSD(SvcAPI), evAPI) || !near(q.ServiceUSD(SvcAPI), qAPI) {
		t.Errorf("API: events $%.4f quiz $%.4f, want $%.4f and $%.4f", e.ServiceUSD(SvcAPI), q.ServiceUSD(SvcAPI), evAPI, qAPI)
	}
	whole, err := planOf(ev, prodWorkload, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := whole.TotalUSD - prodSharedUSD - (1417.31541 - evAPI); !near(e.TotalUSD, want) {
		t.Errorf("events' own $%.4f, want prod's whole $%.4f less the shared and its API saving: $%.4f", e.TotalUSD, whole.TotalUSD, want)
	}
	if n, usd := sharedOf(sp.Shared); n != 5 || len(sp.Shared) != 5 || !near(usd, prodSharedUSD) || !near(sp.SharedUSD, prodSharedUSD) {
		t.Errorf("shared: %d lines of $%.2f, want 5 of $%.2f", len(sp.Shared), usd, prodSharedUSD)
	}
	for _, pl := range sp.Datasets {
		if n, _ := sharedOf(pl.Lines); n != 0 {
			t.Errorf("%s counts %d shared lines", pl.Stack.Dataset, n)
		}
	}
	if want := prodSharedUSD + e.TotalUSD + q.TotalUSD; !near(sp.TotalUSD, want) {
		t.Errorf("total $%.4f, want the shared once and both datasets' own: $%.4f", sp.TotalUSD, want)
	}
	sum := 0.0
	for _, s := range sp.Services {
		sum += s.USD
	}
	if !near(sum, sp.TotalUSD) || sp.Events != 3.942e9+262.8e6 || !near(sp.PerMillionEvents, sp.TotalUSD/4204.8) {
		t.Errorf("services sum to $%.4f of $%.4f; %g events, $%.4f per million", sum, sp.TotalUSD, sp.Events, sp.PerMillionEvents)
	}
	// Peaks: 4,000 x (0.1 + 0.9/200) = 418 and 300 x 0.1045 = 31.35 requests/s.
	if !near(sp.PeakRequestsPerSecond, 449.35) {
		t.Errorf("peak %g requests/s, want 449.35", sp.PeakRequestsPerSecond)
	}
	text := sp.Text()
	for _, want := range []string{"stack prod (eu-west-1), every dataset (2)", "shared, once", money(sp.TotalUSD),
		"dataset events (one of 2: its own resources)", "dataset quiz_answers (one of 2: its own resources)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "not in this total") {
		t.Error("the stack's plan lists the shared charges once, not in each dataset's")
	}
}

// A stack of one dataset costs the same planned whole or as a stack.
func TestStackPlanOfOneDatasetIsTheWhole(t *testing.T) {
	p := prices(t)
	for _, tt := range []struct {
		s Stack
		w Workload
	}{{devStack(), devWorkload}, {prodStack(), prodWorkload}} {
		whole, err := planOf(tt.s, tt.w, p)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := NewStack([]DatasetWorkload{{tt.s, tt.w}}, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(sp.TotalUSD, whole.TotalUSD) || len(sp.Services) != len(whole.Services) {
			t.Fatalf("%s: stack $%.4f, whole $%.4f", tt.s.Name, sp.TotalUSD, whole.TotalUSD)
		}
		for i, s := range sp.Services {
			if !near(s.USD, whole.Services[i].USD) {
				t.Errorf("%s %s: stack $%.4f, whole $%.4f", tt.s.Name, s.Service, s.USD, whole.Services[i].USD)
			}
		}
	}
}

// The API's rate limit and quota are the stack's: the stack's plan checks every dataset's
// requests; a dataset's own plan says it counts its requests alone. dev: apiRateLimit 20,
// apiQuotaPerDay 200,000. events (devWorkload): 2.09 requests/s at the peak, 180,576 a day;
// quiz, unbatched: 19 at the peak, 1/s average = 86,400 a day. Together 21.09/s and
// 266,976 a day (133 %).
func TestStackPlanChecksTheAPIsLimitsOnce(t *testing.T) {
	p := prices(t)
	ev, q := devStack(), devStack()
	ev.Dataset, q.Dataset = "events", "quiz_answers"
	qw := Workload{AvgEPS: 1, PeakEPS: 19, EventBytes: 200, BatchSize: 1}
	sp, err := NewStack([]DatasetWorkload{{ev, devWorkload}, {q, qw}}, p)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(sp.Warnings, "\n")
	for _, want := range []string{"every dataset's requests: peak 21 requests/s is above apiRateLimit 20",
		"every dataset's requests: 266,976 requests a day on average is 133% of apiQuotaPerDay 200000"} {
		if !strings.Contains(joined, want) {
			t.Errorf("stack warnings lack %q:\n%s", want, joined)
		}
	}
	for _, pl := range sp.Datasets {
		for _, w := range pl.Warnings {
			if strings.Contains(w, "apiRateLimit") || strings.Contains(w, "apiQuotaPerDay") {
				t.Errorf("%s warns of the stack's API limits: %s", pl.Stack.Dataset, w)
			}
		}
	}
	own, err := NewDataset(ev, devWorkload, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(own.Warnings, "\n"); !strings.Contains(w, "90% of apiQuotaPerDay 200000: the key is refused (429) once it is used up (this dataset's requests alone") {
		t.Errorf("events' own plan: %s", w)
	}
}

func TestStackPlanErrorsNameTheDataset(t *testing.T) {
	q := quizStack()
	q.FirehoseBufferMiB = 0
	_, err := NewStack([]DatasetWorkload{{prodStack(), prodWorkload}, {q, Workload{PeakEPS: 1, EventBytes: 100, BatchSize: 1}}}, prices(t))
	for _, want := range []string{"dataset quiz_answers: --avg-eps 0 is out of range", "dataset quiz_answers: stack prod: buffers"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if _, err := NewDataset(prodStack(), prodWorkload, 0, prices(t)); err == nil {
		t.Error("a dataset of no datasets")
	}
}

// The stack plan's JSON: every dataset's own plan, the shared charges once.
func TestStackPlanJSON(t *testing.T) {
	p := prices(t)
	sp, err := NewStack([]DatasetWorkload{{prodStack(), prodWorkload}, {quizStack(), quizWorkload}}, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sp.JSON(p))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Total    float64 `json:"total_usd"`
		Shared   []Line  `json:"shared_lines"`
		Datasets []struct {
			Dataset       string  `json:"dataset"`
			StackDatasets int     `json:"stack_datasets"`
			SharedCounted bool    `json:"shared_counted"`
			Total         float64 `json:"total_usd"`
			Lines         []Line  `json:"lines"`
		} `json:"datasets"`
		Prices []priceJSON `json:"prices_used"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Datasets) != 2 || doc.Datasets[1].Dataset != "quiz_answers" || doc.Datasets[1].StackDatasets != 2 || doc.Datasets[1].SharedCounted ||
		len(doc.Shared) != 5 || !near(doc.Total, sp.TotalUSD) {
		t.Errorf("%s", b)
	}
	used := map[string]bool{}
	for _, r := range doc.Prices {
		used[r.ID] = true
	}
	for _, l := range append(doc.Shared, doc.Datasets[1].Lines...) {
		if !used[l.PriceID] {
			t.Errorf("price %s of %q is not in prices_used", l.PriceID, l.Item)
		}
	}
}

// Every change the driver proposes to the configuration is to keys a dataset may set itself,
// so a dataset's plan may name them as its own (datasets.<name>: key value).
func TestConfigAlternativesAreDatasetKeys(t *testing.T) {
	perDataset := map[string]bool{}
	for _, k := range stackconfig.Keys() {
		perDataset[k.Name] = k.PerDataset
	}
	onDemand := devStack()
	onDemand.StreamMode, onDemand.ShardCount, onDemand.RetentionHours, onDemand.ShardLevelMetrics = "ON_DEMAND", 0, 48, 2
	seen := 0
	for _, s := range []Stack{prodStack(), devStack(), onDemand} {
		for _, c := range candidates() {
			_, _, alt, ok := c(s, prodWorkload)
			if !ok || alt.Kind != "config" {
				continue
			}
			seen++
			for _, part := range strings.Split(alt.Change, ", ") {
				if key, _, _ := strings.Cut(part, " "); !perDataset[key] {
					t.Errorf("alternative %q: %s is not a per-dataset key", alt.Change, key)
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("%d config alternatives checked", seen)
	}
}

// Set sets each workload flag's own value (Validate reads them back in Limits' order).
func TestWorkloadSet(t *testing.T) {
	for i, name := range LimitFlags() {
		var w Workload
		if err := w.Set(name, 7); err != nil {
			t.Fatal(err)
		}
		for j, v := range w.values() {
			if (i == j) != (v == 7) {
				t.Errorf("Set(%s, 7): value %d (%s) is %g", name, j, Limits[j].Flag, v)
			}
		}
	}
	var w Workload
	if err := w.Set("batch-size", 2.5); err == nil || !strings.Contains(err.Error(), "batch-size 2.5 is not a whole number") {
		t.Errorf("batch-size 2.5: %v", err)
	}
	if err := w.Set("eps", 1); err == nil || !strings.Contains(err.Error(), "eps is not a workload value: one of avg-eps, peak-eps, event-bytes") {
		t.Errorf("eps: %v", err)
	}
}

func prices(t *testing.T) *Prices {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
