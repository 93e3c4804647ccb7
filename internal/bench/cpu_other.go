//go:build !unix

package bench

import "time"

// processCPU is 0 where getrusage is missing: the CPU figure is left out.
func processCPU() time.Duration { return 0 }
