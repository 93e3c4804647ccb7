// Package worker builds the Temporal workers of motcua: one on the
// competent agencies' task queue (workflows.TaskQueue), where dossiers run,
// and one on each agency's own queue (workflows.AgencyTaskQueue), where the
// consultations other agencies send it run. Each registers the Dossier and
// Consultation workflows and every activity of an *activities.Activities,
// whose dependencies BuildActivities assembles from a Config.
//
// The package takes values, never flags: cmd/motcua parses, this builds.
package worker

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/workflows"
)

// Deps are what the workers run with.
type Deps struct {
	// Activities is registered by pointer, so every activity method is.
	Activities *activities.Activities
	// Catalog names the agencies that get a task queue of their own:
	// every agency of every plan, and every plan's competent agency.
	Catalog *definitions.Catalog
	// Agencies adds agencies beyond the catalog's.
	Agencies []string
}

// Options tune the workers. Zero values take the SDK's defaults.
type Options struct {
	// MaxConcurrentActivities bounds the activities each worker runs at once.
	MaxConcurrentActivities int
	// MaxConcurrentWorkflowTasks bounds the workflow tasks each worker runs at once.
	MaxConcurrentWorkflowTasks int
	// MaxConcurrentLocalActivities bounds the local activities (due-time
	// computations) each worker runs at once.
	MaxConcurrentLocalActivities int
	// StickyCacheSize is how many workflow executions the process keeps in
	// memory between workflow tasks (the SDK's default is 10,000). It is
	// process-wide in the SDK: it applies only when set before the first
	// worker of the process is created, and is ignored after that.
	StickyCacheSize int
	// StickyScheduleToStartTimeout is how long a task waits for the worker
	// holding its workflow in cache before any worker takes it.
	StickyScheduleToStartTimeout time.Duration
	// DeadlockDetectionTimeout bounds a workflow task's run time (the SDK's
	// default is 1 s; a loaded machine under the race detector needs more).
	DeadlockDetectionTimeout time.Duration
	// Identity names the worker in the server's views; "" lets the SDK
	// choose (pid@host).
	Identity string
	// Queues, when set, are the only task queues this process serves (of
	// those New would create): a deployment may run the dossiers' queue
	// and each agency's on workers of their own. Empty: all of them.
	Queues []string
}

// Workers are the workers of one process, one per task queue.
type Workers struct {
	workers []sdkworker.Worker
	queues  []string
}

// New creates the workers (not started): one on workflows.TaskQueue and
// one on workflows.AgencyTaskQueue(id) for every agency.
func New(c client.Client, deps Deps, opts Options) (*Workers, error) {
	if c == nil {
		return nil, errors.New("worker: no Temporal client")
	}
	if deps.Activities == nil {
		return nil, errors.New("worker: no activities")
	}
	if opts.StickyCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(opts.StickyCacheSize)
	}
	wopts := SDKOptions(opts)
	queues := []string{workflows.TaskQueue}
	for _, a := range Agencies(deps.Catalog, deps.Agencies...) {
		queues = append(queues, workflows.AgencyTaskQueue(a))
	}
	if len(opts.Queues) > 0 {
		for _, q := range opts.Queues {
			if !slices.Contains(queues, q) {
				return nil, fmt.Errorf("worker: task queue %q is not one of this catalog's: %v", q, queues)
			}
		}
		queues = slices.DeleteFunc(queues, func(q string) bool { return !slices.Contains(opts.Queues, q) })
	}
	w := &Workers{queues: queues}
	for _, q := range queues {
		sw := sdkworker.New(c, q, wopts)
		workflows.Register(sw)
		sw.RegisterActivity(deps.Activities)
		w.workers = append(w.workers, sw)
	}
	return w, nil
}

// SDKOptions are the SDK's options New gives each worker: opts translated
// (the sticky cache's size aside, which is process-wide), with the
// interceptor that puts the request ID on the log lines of workflows and
// activities (see internal/reqid). Workers built elsewhere (`motcua
// bench`'s) use it to run as the engine's do.
func SDKOptions(opts Options) sdkworker.Options {
	return sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize:  opts.MaxConcurrentWorkflowTasks,
		MaxConcurrentLocalActivityExecutionSize: opts.MaxConcurrentLocalActivities,
		StickyScheduleToStartTimeout:            opts.StickyScheduleToStartTimeout,
		DeadlockDetectionTimeout:                opts.DeadlockDetectionTimeout,
		Identity:                                opts.Identity,
		Interceptors:                            []interceptor.WorkerInterceptor{reqid.WorkerInterceptor()},
	}
}

// Agencies returns the sorted, distinct agency ids of a catalog and extra.
func Agencies(cat *definitions.Catalog, extra ...string) []string {
	var ids []string
	if cat != nil {
		for _, p := range cat.Plans() {
			ids = append(ids, p.Agency)
			for _, a := range p.Agencies {
				ids = append(ids, a.ID)
			}
		}
	}
	ids = append(ids, extra...)
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	slices.Sort(ids)
	return slices.Compact(ids)
}

// TaskQueues returns the task queues the workers poll, the dossiers' first.
func (w *Workers) TaskQueues() []string { return slices.Clone(w.queues) }

// Start starts every worker; on an error it stops those already started.
func (w *Workers) Start() error {
	for i, sw := range w.workers {
		if err := sw.Start(); err != nil {
			for _, started := range w.workers[:i] {
				started.Stop()
			}
			return fmt.Errorf("worker: starting on task queue %s: %w", w.queues[i], err)
		}
	}
	return nil
}

// Stop stops every worker, waiting for running activities to finish (up
// to the SDK's WorkerStopTimeout); the workers stop in parallel.
func (w *Workers) Stop() {
	var wg sync.WaitGroup
	for _, sw := range w.workers {
		wg.Go(sw.Stop)
	}
	wg.Wait()
}
