package costplan

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestEmbeddedPricesCiteTheirSource(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "eu-west-1" {
		t.Errorf("region %q: both stack files are in eu-west-1", p.Region)
	}
	for _, r := range p.Rows {
		if !strings.HasPrefix(r.Source, "https://aws.amazon.com/") || r.Note == "" {
			t.Errorf("%s: source %q must be an AWS pricing page and the note must say what the stored copy confirmed", r.ID, r.Source)
		}
	}
}

func TestTieredCost(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		millions, want float64
	}{
		{0, 0},
		{100, 100 * 3.50},
		{333, 333 * 3.50},
		{500, 333*3.50 + 167*3.19},
		{1000, 333*3.50 + 667*3.19},
		{25000, 333*3.50 + 667*3.19 + 19000*2.71 + 5000*1.72},
	}
	for _, tt := range tests {
		if got := p.Cost(APIRequests, tt.millions); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%g M requests: $%.2f, want $%.2f", tt.millions, got, tt.want)
		}
	}
}

// mutate parses the embedded table after changing it.
func mutate(t *testing.T, change func(*Prices)) error {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	change(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParsePrices(b)
	return err
}

func TestParsePricesNamesEveryProblem(t *testing.T) {
	row := func(p *Prices, id string) *Price {
		for i := range p.Rows {
			if p.Rows[i].ID == id {
				return &p.Rows[i]
			}
		}
		t.Fatalf("no row %s", id)
		return nil
	}
	tests := []struct {
		name   string
		change func(*Prices)
		want   []string
	}{
		{"unit", func(p *Prices) { row(p, ShardHour).Unit = "hour" }, []string{`(kinesis.shard_hour): unit must be "shard-hour", got "hour"`}},
		{"negative", func(p *Prices) { row(p, ShardHour).USD = -1 }, []string{"(kinesis.shard_hour): usd must be a number >= 0, got -1"}},
		{"missing", func(p *Prices) { p.Rows = p.Rows[1:] }, []string{"missing rows apigateway.rest_requests"}},
		{"unknown", func(p *Prices) { p.Rows = append(p.Rows, Price{ID: "ec2.hour"}) }, []string{"(ec2.hour): unknown id"}},
		{"twice", func(p *Prices) { p.Rows = append(p.Rows, *row(p, ShardHour)) }, []string{"(kinesis.shard_hour): id listed twice"}},
		{"tier order", func(p *Prices) { row(p, APIRequests).Tiers[1].UpTo = 100 }, []string{"tier 2: up_to 100 must be above the previous tier's 333"}},
		{"open tier", func(p *Prices) { row(p, APIRequests).Tiers[3].UpTo = 9e9 }, []string{"the last tier must have up_to 0"}},
		{"both", func(p *Prices) { row(p, APIRequests).USD = 3 }, []string{"give usd or tiers, not both"}},
		{"source", func(p *Prices) { row(p, KMSKeyMonth).Read = "yesterday" }, []string{`(kms.key_month): source must be an https:// pricing page and read a date YYYY-MM-DD, got "https://aws.amazon.com/kms/pricing/" and "yesterday"`}},
		{"region and currency", func(p *Prices) { p.Region, p.Currency = "", "EUR" }, []string{"region is required", `currency must be USD, got "EUR"`}},
		{"all at once", func(p *Prices) { row(p, ShardHour).USD = -1; row(p, KMSRequests).Unit = "request" },
			[]string{"kinesis.shard_hour", "kms.requests"}},
	}
	for _, tt := range tests {
		err := mutate(t, tt.change)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", tt.name, err, w)
			}
		}
	}
	if _, err := ParsePrices([]byte(`{"region":"eu-west-1","currency":"USD","prices":[],"extra":1}`)); err == nil || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Errorf("unknown field: %v", err)
	}
}

// TestEveryPriceSaysWhetherItIsVerified: a row names the stored copy that shows its value
// (confirmed_by) exactly when its note does not call it unverified.
func TestEveryPriceSaysWhetherItIsVerified(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rows {
		if says := strings.Contains(r.Note, "unverified"); says != (r.ConfirmedBy == "") {
			t.Errorf("%s: note says unverified: %v, but confirmed_by is %q", r.ID, says, r.ConfirmedBy)
		}
	}
}
