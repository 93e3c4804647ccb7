package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Round is one throughput round of one variant.
type Round struct {
	Variant  string  `json:"variant"`
	Round    int     `json:"round"`
	Dossiers int     `json:"dossiers"`
	Seconds  float64 `json:"seconds"`
	// PerSecond is dossiers per second from the first submission to the
	// last workflow's end.
	PerSecond float64 `json:"per_second"`
	// CPUSeconds is the CPU time this process (server, workers and
	// driver) spent during the round, user and system: unlike the wall
	// time, other processes on the machine do not change it much.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Activities counts the activities the variant's worker ran in the
	// round, by type ("Type (local)" for local activities).
	Activities map[string]int `json:"activities"`
	codes      []string
}

// throughputRound runs n dossiers of a variant, at most concurrency at a
// time, each from its submission to the end of its workflow.
func (e *engine) throughputRound(ctx context.Context, v *variant, round, n, concurrency int, progress func(string, ...any)) (Round, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := Round{Variant: v.name, Round: round, Dossiers: n}
	r.codes = make([]string, n)
	for i := range r.codes {
		r.codes[i] = fmt.Sprintf("BENCH-%s-R%d-%05d", v.short, round, i+1)
	}
	v.counter.take()
	var done atomic.Int64
	stopTicker := ticker(func() {
		progress("throughput round %d, %s: %d/%d dossiers", round, v.name, done.Load(), n)
	})
	began, cpuBegan := time.Now(), processCPU()
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for _, code := range r.codes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := e.runDossier(ctx, v, code); err != nil {
				cancel(err)
				return
			}
			done.Add(1)
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(began), processCPU()-cpuBegan
	stopTicker()
	if err := context.Cause(ctx); err != nil {
		return r, fmt.Errorf("throughput round %d of %s: %w", round, v.name, err)
	}
	r.Seconds = elapsed.Seconds()
	r.PerSecond = float64(n) / elapsed.Seconds()
	r.CPUSeconds = cpu.Seconds()
	r.Activities = v.counter.take()
	return r, nil
}

// ticker calls f every two seconds until the returned stop is called.
func ticker(f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
