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

	// PROVISIONED, shardCount set: the stack file's value.
	if s := one(t, run(t, "prod", nil), tStream); s.Num("shardCount") != 4 {
		t.Errorf("prod: shardCount %v, want 4 from Pulumi.prod.yaml", s.In("shardCount"))
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
