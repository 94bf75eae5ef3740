//go:build !unix

package transform

import "time"

// processCPU is not measured here; the benchmarks leave out cpu-ns/record.
func processCPU() time.Duration { return 0 }
