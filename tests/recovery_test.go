package tests

import (
	"testing"

	"github.com/streamlake/streamlake/internal/recovery"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

// The ops CLI's recovery commands read a dataset's error and raw prefixes without knowing
// the stack's partitioning: recovery.DatasetPrefixes must be what the delivery stream writes,
// in both partitioning modes.
func TestRecoveryPrefixesAreTheDeliveryStreams(t *testing.T) {
	for _, mode := range []string{lakelayout.EventTime, lakelayout.ArrivalTime} {
		p := lakelayout.DeliveryPrefixes(schema.Default(), mode)
		if got := recovery.DatasetPrefixes(schema.DefaultDataset, schema.Default()); got.Errors != p.Errors || got.Raw != p.Raw {
			t.Errorf("%s: recovery reads errors %q and raw %q; the delivery stream writes %q and %q", mode, got.Errors, got.Raw, p.Errors, p.Raw)
		}
	}
}
