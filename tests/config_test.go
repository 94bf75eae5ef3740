package tests

import (
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
)

// TestShardCountDefaultsOnlyForProvisioned: ON_DEMAND needs nothing but streamMode; the
// default of one shard applies to a provisioned stream only; a shard count on an on-demand
// stream is refused, naming both keys. All four through the real stack files.
func TestShardCountDefaultsOnlyForProvisioned(t *testing.T) {
	// ON_DEMAND, shardCount unset (dev's stack file sets 1; removed as `pulumi config rm` would).
	res, err := stacktest.Run(stacktest.Options{Stack: "dev", Config: map[string]string{"streamMode": "ON_DEMAND"}, Unset: []string{"shardCount"}})
	if err != nil {
		t.Fatalf("ON_DEMAND without shardCount: %v", err)
	}
	s := one(t, res, tStream)
	if s.In("shardCount") != nil || s.Str("streamModeDetails.streamMode") != "ON_DEMAND" {
		t.Errorf("on-demand stream: shardCount %v mode %v", s.In("shardCount"), s.In("streamModeDetails"))
	}

	// ON_DEMAND, shardCount set (dev's 1).
	_, err = stacktest.Run(stacktest.Options{Stack: "dev", Config: map[string]string{"streamMode": "ON_DEMAND"}})
	if err == nil || !strings.Contains(err.Error(), "shardCount must be unset (0) for streamMode ON_DEMAND, got 1") {
		t.Errorf("ON_DEMAND with shardCount 1: got %v, want an error naming shardCount and streamMode", err)
	}

	// PROVISIONED, shardCount unset: one shard (prod's stack file sets 4; no live stream yet).
	res, err = stacktest.Run(stacktest.Options{Stack: "prod", Unset: []string{"shardCount"}})
	if err != nil {
		t.Fatalf("PROVISIONED without shardCount: %v", err)
	}
	if s := one(t, res, tStream); s.Num("shardCount") != 1 || s.Str("streamModeDetails.streamMode") != "PROVISIONED" {
		t.Errorf("provisioned default: shardCount %v mode %v, want 1 PROVISIONED", s.In("shardCount"), s.In("streamModeDetails"))
	}

	// PROVISIONED, shardCount set: the stack file's value (4 today; resharding changes it).
	want := fileShards(t, "prod")
	if s := one(t, run(t, "prod", nil), tStream); want == 1 || s.Num("shardCount") != float64(want) {
		t.Errorf("prod: shardCount %v, want %d from Pulumi.prod.yaml (and not the default 1)", s.In("shardCount"), want)
	}
}

// TestUnknownKeysFailPreview: a misspelled key fails the preview with every unknown key named
// and the key it probably meant.
func TestUnknownKeysFailPreview(t *testing.T) {
	tests := []struct {
		cfg  map[string]string
		want []string
	}{
		{map[string]string{"shardcount": "8"}, []string{"streamlake:shardcount: did you mean streamlake:shardCount?"}},
		{map[string]string{"shard_count": "8"}, []string{"streamlake:shard_count: did you mean streamlake:shardCount?"}},
		{map[string]string{"aws:regoin": "eu-west-1"}, []string{"aws:regoin: did you mean aws:region?"}},
		{map[string]string{"aws:Region": "eu-west-1"}, []string{"aws:Region: did you mean aws:region?"}},
		{map[string]string{"region": "eu-west-1"}, []string{"streamlake:region: did you mean aws:region?"}},
		{map[string]string{"shardcount": "8", "aws:regoin": "eu-west-1", "firehoseBufferMB": "64", "colour": "blue"}, []string{
			"streamlake:shardcount: did you mean streamlake:shardCount?",
			"aws:regoin: did you mean aws:region?",
			"streamlake:firehoseBufferMB: did you mean streamlake:firehoseBufferMb?",
			"streamlake:colour: no key is like it",
		}},
	}
	for _, tt := range tests {
		_, err := runErr("dev", tt.cfg)
		if err == nil {
			t.Errorf("%v: accepted", tt.cfg)
			continue
		}
		if strings.Count(err.Error(), "unknown configuration keys") != 1 {
			t.Errorf("%v: want one error listing the unknown keys, got %v", tt.cfg, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: got %v\nwant it to contain %q", tt.cfg, err, w)
			}
		}
	}
}

// TestProviderKeysAreNotFlagged: valid AWS provider settings, and aws: keys too far from any
// known key to be a typo, are left alone.
func TestProviderKeysAreNotFlagged(t *testing.T) {
	cfg := map[string]string{
		"aws:profile":                   "ops",
		"aws:assumeRole":                `{"roleArn":"arn:aws:iam::123456789012:role/deploy"}`,
		"aws:defaultTags":               `{"tags":{"team":"data"}}`,
		"aws:skipCredentialsValidation": "true",
		"aws:maxRetries":                "5",
		"aws:someFutureProviderSetting": "x",
	}
	if _, err := runErr("dev", cfg); err != nil {
		t.Errorf("provider keys: %v", err)
	}
}

// TestTypoInProdNamesTheKeyNotTheShardStep: with shardCount misspelled, prod used to fall back
// to one shard and fail with a baffling "shardCount 4 -> 1"; the unknown key is reported first.
func TestTypoInProdNamesTheKeyNotTheShardStep(t *testing.T) {
	_, err := stacktest.Run(stacktest.Options{Stack: "prod", LiveShards: 4,
		Config: map[string]string{"shardcount": "8"}, Unset: []string{"shardCount"}})
	if err == nil {
		t.Fatal("accepted")
	}
	if !strings.Contains(err.Error(), "streamlake:shardcount: did you mean streamlake:shardCount?") {
		t.Errorf("got %v, want the unknown key named", err)
	}
	if strings.Contains(err.Error(), "4 -> 1") {
		t.Errorf("got the shard-step error instead of the unknown key: %v", err)
	}
}

// TestScanCapBoundary: bytesScannedCutoffMb is in MiB, so the smallest value validation
// accepts is exactly the provider's minimum of 10485760 bytes, and one less fails preview.
func TestScanCapBoundary(t *testing.T) {
	if _, err := runErr("dev", map[string]string{"bytesScannedCutoffMb": "9"}); err == nil ||
		!strings.Contains(err.Error(), "bytesScannedCutoffMb must be at least 10 (Athena's minimum is 10 MiB, 10485760 bytes), got 9") {
		t.Errorf("9 MiB: got %v", err)
	}
	wg := one(t, run(t, "dev", map[string]string{"bytesScannedCutoffMb": "10"}), tWorkgroup)
	if got := wg.Num("configuration.bytesScannedCutoffPerQuery"); got != 10_485_760 {
		t.Errorf("10 MiB renders %v bytes, want 10485760", got)
	}
}
