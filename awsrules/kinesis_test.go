package awsrules

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckStreamMode(t *testing.T) {
	tests := []struct {
		mode   string
		shards int
		want   string // substring of the error; "" means valid
	}{
		{Provisioned, 1, ""},
		{Provisioned, 500, ""},
		{Provisioned, 0, "shardCount must be between 1 and 500 for streamMode PROVISIONED, got 0"},
		{Provisioned, 501, "got 501"},
		{OnDemand, 0, ""},
		{OnDemand, 2, "shardCount must be unset (0) for streamMode ON_DEMAND"},
		{"provisioned", 1, `streamMode must be PROVISIONED or ON_DEMAND, got "provisioned"`},
	}
	for _, tt := range tests {
		err := CheckStreamMode(tt.mode, tt.shards)
		checkErr(t, tt.mode, err, tt.want)
	}
}

func TestCheckRetentionAndMetrics(t *testing.T) {
	checkErr(t, "24", CheckRetentionHours(24), "")
	checkErr(t, "8760", CheckRetentionHours(8760), "")
	checkErr(t, "23", CheckRetentionHours(23), "retentionHours must be between 24 and 8760, got 23")
	checkErr(t, "8761", CheckRetentionHours(8761), "got 8761")
	checkErr(t, "metrics ok", CheckShardLevelMetrics([]string{"IncomingBytes", "IteratorAgeMilliseconds"}), "")
	checkErr(t, "typo", CheckShardLevelMetrics([]string{"IncomingByte"}), `"IncomingByte" is not a shard-level metric`)
	checkErr(t, "twice", CheckShardLevelMetrics([]string{"IncomingBytes", "IncomingBytes"}), "listed twice")
}

func TestShardStep(t *testing.T) {
	tests := []struct {
		current, target int
		want            string
	}{
		{0, 64, ""}, // new stream: any count
		{4, 4, ""},
		{4, 8, ""},
		{4, 2, ""},
		{3, 2, ""}, // half of 3 rounds up to 2
		{3, 1, "allowed range is 2..6"},
		{4, 9, "shardCount 4 -> 9 is more than one step"},
		{4, 9, "set shardCount to 8, deploy, then continue (path 4 -> 8 -> 9, at most 10 changes per rolling 24 h; `streamlake shards --to 9 --stack <stack>` plans the pull requests)"},
		{16, 1, "set shardCount to 8"},
		{1, 2, ""},
	}
	for _, tt := range tests {
		checkErr(t, "step", CheckShardStep(tt.current, tt.target), tt.want)
	}
}

func TestReshardPath(t *testing.T) {
	tests := []struct {
		current, target int
		want            []int
	}{
		{1, 10, []int{2, 4, 8, 10}},
		{10, 1, []int{5, 3, 2, 1}},
		{4, 6, []int{6}},
		{5, 5, nil},
		{300, 500, []int{500}},
	}
	for _, tt := range tests {
		got := ReshardPath(tt.current, tt.target)
		if !slices.Equal(got, tt.want) {
			t.Errorf("ReshardPath(%d, %d) = %v, want %v", tt.current, tt.target, got, tt.want)
		}
		// Every step must itself be allowed.
		prev := tt.current
		for _, s := range got {
			if err := CheckShardStep(prev, s); err != nil {
				t.Errorf("path step %d -> %d not allowed: %v", prev, s, err)
			}
			prev = s
		}
	}
}

func checkErr(t *testing.T, name string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: unexpected error: %v", name, err)
	case want != "" && err == nil:
		t.Errorf("%s: no error, want one containing %q", name, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: error %q does not contain %q", name, err, want)
	}
}

func TestCheckQuotas(t *testing.T) {
	use := QuotaUse{QuotaFirehoseStreams: 101, QuotaKinesisShards: 1001, QuotaAPIResources: 7}
	err := CheckQuotas("il-central-1", use, nil)
	for _, w := range []string{"firehoseStreamsPerRegion: the stack needs 101, the quota is 100 (the default in il-central-1)",
		"kinesisShardsPerRegion: the stack needs 1001, the quota is 1000", "streamlake:accountQuotas"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got %v, want %q", err, w)
		}
	}
	if err := CheckQuotas("us-east-1", use, nil); err != nil {
		t.Errorf("us-east-1 has 5000 delivery streams and 20000 shards: %v", err)
	}
	if err := CheckQuotas("il-central-1", use, map[string]int{QuotaFirehoseStreams: 200, QuotaKinesisShards: 2000}); err != nil {
		t.Errorf("raised quotas: %v", err)
	}
	for _, n := range QuotaNames {
		if DefaultQuota(n, "eu-west-1") < 1 {
			t.Errorf("quota %s has no default", n)
		}
	}
}
