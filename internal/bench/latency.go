package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/internal/bench/handwritten"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/workflows"
)

// LatencyRound is one round of the officer action's latency, in
// milliseconds.
type LatencyRound struct {
	Round   int `json:"round"`
	Samples int `json:"samples"`
	// Service is the officer's acceptance at reception through the
	// service layer (service.Act: the task's workflow from the read model,
	// then the Update, whose answer is the settled state), as the HTTP API
	// and the CLI send it.
	ServiceP50 float64 `json:"service_p50_ms"`
	ServiceP99 float64 `json:"service_p99_ms"`
	// Raw is a raw Temporal Update on a workflow whose update does
	// nothing, on the same server.
	RawP50 float64 `json:"raw_p50_ms"`
	RawP99 float64 `json:"raw_p99_ms"`
	// Update is the same acceptance sent as a raw Update straight to
	// another dossier's workflow: the workflow's own share.
	UpdateP50 float64 `json:"update_p50_ms"`
	UpdateP99 float64 `json:"update_p99_ms"`
}

// latencyRound measures samples acceptances through the service layer,
// alternating with raw updates on the no-op workflow and raw acceptances
// on other dossiers, one at a time.
func (e *engine) latencyRound(ctx context.Context, round, samples, concurrency int, progress func(string, ...any)) (LatencyRound, error) {
	r := LatencyRound{Round: round, Samples: samples}
	// No uploads: the submissions re-use the identity papers and fill in
	// the e-form, so the service needs no file store.
	// A loaded machine may take a while to run a new dossier's first
	// workflow task: wait for it longer than the API would.
	svc, err := service.New(service.Options{Client: e.client, Store: e.built.Store, Catalog: e.catalog, QueryWait: 5 * time.Minute})
	if err != nil {
		return r, err
	}
	noopID := fmt.Sprintf("bench-noop-%d", round)
	if _, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: noopID, TaskQueue: NoopQueue}, handwritten.NoopWorkflowName); err != nil {
		return r, fmt.Errorf("starting the no-op workflow: %w", err)
	}
	progress("latency round %d: submitting %d dossiers through the service layer", round, 2*samples)
	codes, err := e.submitWaiting(ctx, svc, 2*samples, concurrency)
	defer e.terminate(context.WithoutCancel(ctx), append(codes, noopID), concurrency)
	if err != nil {
		return r, err
	}
	viaService, direct := codes[:samples], codes[samples:]

	raw := func(i int) error {
		h, err := e.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: noopID, UpdateName: handwritten.NoopUpdate,
			Args: []any{i}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			var n int
			err = h.Get(ctx, &n)
		}
		if err != nil {
			return fmt.Errorf("no-op update: %w", err)
		}
		return nil
	}
	if err := raw(-1); err != nil { // the workflow is in the worker's cache
		return r, err
	}
	accept := workflows.ActRequest{Task: handwritten.StepReception, Outcome: workflows.OutcomeAccept, Actor: officers[handwritten.RoleOneStop]}
	var svcTimes, rawTimes, updTimes []time.Duration
	progress("latency round %d: %d officer actions, each with a raw update", round, samples)
	for i := range samples {
		began := time.Now()
		if _, err := svc.Act(ctx, viaService[i], accept); err != nil {
			return r, fmt.Errorf("accepting %s through the service layer: %w", viaService[i], err)
		}
		svcTimes = append(svcTimes, time.Since(began))
		began = time.Now()
		if err := raw(i); err != nil {
			return r, err
		}
		rawTimes = append(rawTimes, time.Since(began))
		began = time.Now()
		if err := e.update(ctx, direct[i], workflows.UpdateAct, accept); err != nil {
			return r, err
		}
		updTimes = append(updTimes, time.Since(began))
	}
	r.ServiceP50, r.ServiceP99 = quantileMS(svcTimes, .5), quantileMS(svcTimes, .99)
	r.RawP50, r.RawP99 = quantileMS(rawTimes, .5), quantileMS(rawTimes, .99)
	r.UpdateP50, r.UpdateP99 = quantileMS(updTimes, .5), quantileMS(updTimes, .99)
	return r, nil
}

// submitWaiting submits n dossiers through the service layer and waits
// until each shows its reception task in the read model.
func (e *engine) submitWaiting(ctx context.Context, svc *service.Service, n, concurrency int) ([]string, error) {
	req := service.SubmitRequest{Procedure: handwritten.ProcedureCode, Mode: handwritten.Mode, Channel: "online", Delivery: "counter",
		Applicant: applicant, Form: map[string]string{"noi_dung": "Xác nhận nơi cư trú"}, Reused: []string{"giay_to_tuy_than"}}
	codes := make([]string, n)
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st, err := svc.Submit(ctx, req)
			if err == nil {
				codes[i] = st.Code
				_, err = e.board.waitTask(ctx, st.Code, handwritten.StepReception)
			}
			if err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, fmt.Errorf("submitting through the service layer: %w", err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return slices.DeleteFunc(codes, func(c string) bool { return c == "" }), firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// terminate ends workflows a measurement left open.
func (e *engine) terminate(ctx context.Context, ids []string, concurrency int) {
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = e.client.TerminateWorkflow(ctx, id, "", "benchmark over")
			e.board.forget(id)
		})
	}
	wg.Wait()
}

// quantileMS is the p-quantile of durations in milliseconds (the nearest
// rank above).
func quantileMS(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
}
