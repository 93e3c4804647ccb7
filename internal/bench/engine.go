package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/bench/handwritten"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// Task queues of the benchmark. The interpreted dossiers run on the
// engine's own queue, where the service layer starts them.
const (
	HandwrittenQueue = "motcua-bench-handwritten"
	NoopQueue        = "motcua-bench-noop"
)

// Names of the two variants in figures and progress lines.
const (
	Interpreted = "motcua"
	Handwritten = "hand-written"
)

// variant is one way of running the procedure.
type variant struct {
	name         string
	short        string // in workflow ids
	queue        string
	workflowType string
	plan         *definitions.Plan // travels in the input; nil for the hand-written workflow
	counter      *activityCounter
}

// engine is `motcua dev`'s engine for the benchmark, in this process: the
// embedded Temporal server on its SQLite file, the read model, the signing
// issuer, the development stand-ins of the national systems, and a worker
// per variant with the engine's worker options.
type engine struct {
	dir         string
	definitions string
	catalog     *definitions.Catalog
	plan        *definitions.Plan
	server      *devserver.Server
	client      client.Client
	codecKeys   string
	built       *worker.Built
	acts        *activities.Activities
	board       *board
	workers     []sdkworker.Worker
	logFile     *os.File
	http        *http.Client // the citizen's browser
	opts        worker.Options

	interpreted, handwritten *variant
}

// startEngine starts everything in dir.
func startEngine(ctx context.Context, definitionsDir, dir string, opts worker.Options) (_ *engine, err error) {
	e := &engine{dir: dir, definitions: definitionsDir, opts: opts,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: time.Minute}}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	if e.logFile, err = os.Create(filepath.Join(dir, "bench.log")); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(e.logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if e.catalog, err = LoadCatalog(definitionsDir, filepath.Join(dir, "definitions")); err != nil {
		return nil, err
	}
	e.plan = e.catalog.Plan(handwritten.ProcedureCode)
	port, err := devserver.FreePort()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if e.server, err = devserver.Start(ctx, devserver.Options{DataDir: filepath.Join(dir, "temporal"), FrontendPort: port, Logger: logger}); err != nil {
		return nil, err
	}
	e.codecKeys = filepath.Join(dir, "codec-keys.yaml")
	if _, err := codec.WriteKeyFile(e.codecKeys); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if e.client, err = dial(e.server.FrontendAddress(), e.server.Namespace(), e.codecKeys, logger); err != nil {
		return nil, err
	}
	if e.built, err = worker.Build(ctx, worker.Config{Catalog: e.catalog, DataDir: filepath.Join(dir, "engine"),
		DevServices: true, ConfirmPayment: e.confirmPayment, Logger: logger}); err != nil {
		return nil, err
	}
	e.board = newBoard(e.built.Store)
	acts := *e.built.Activities
	acts.Store = e.board
	e.acts = &acts

	if opts.StickyCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(opts.StickyCacheSize)
	}
	e.interpreted = &variant{name: Interpreted, short: "I", queue: workflows.TaskQueue, workflowType: workflows.DossierWorkflow,
		plan: e.plan, counter: newActivityCounter()}
	e.handwritten = &variant{name: Handwritten, short: "H", queue: HandwrittenQueue, workflowType: handwritten.WorkflowName,
		counter: newActivityCounter()}
	if err := e.startWorker(e.interpreted.queue, e.interpreted.counter, func(w sdkworker.Worker) { workflows.Register(w) }); err != nil {
		return nil, err
	}
	if err := e.startWorker(e.handwritten.queue, e.handwritten.counter, func(w sdkworker.Worker) { handwritten.Register(w) }); err != nil {
		return nil, err
	}
	if err := e.startWorker(NoopQueue, nil, func(w sdkworker.Worker) { handwritten.Register(w) }); err != nil {
		return nil, err
	}
	return e, nil
}

// dial connects to the server as the engine's processes do: payloads sealed
// by the codec, request IDs in headers.
func dial(address, namespace, codecKeys string, logger *slog.Logger) (client.Client, error) {
	ring, err := codec.LoadKeyFile(codecKeys)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace,
		Logger:             sdklog.NewStructuredLogger(logger),
		ContextPropagators: []workflow.ContextPropagator{reqid.Propagator()},
		DataConverter:      codec.DataConverter(ring),
		ConnectionOptions:  devserver.LoopbackConnection()})
	if err != nil {
		return nil, fmt.Errorf("bench: connecting to the embedded server: %w", err)
	}
	return c, nil
}

// startWorker starts a worker on a queue with the engine's options, the
// activities, and a counter of the activities it runs (when not nil).
func (e *engine) startWorker(queue string, counter *activityCounter, register func(sdkworker.Worker)) error {
	o := worker.SDKOptions(e.opts)
	if counter != nil {
		o.Interceptors = append(o.Interceptors, counter)
	}
	w := sdkworker.New(e.client, queue, o)
	register(w)
	w.RegisterActivity(e.acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("bench: starting the worker of task queue %s: %w", queue, err)
	}
	e.workers = append(e.workers, w)
	return nil
}

// stop stops everything started, in reverse order.
func (e *engine) stop() error {
	var errs []error
	for _, w := range e.workers {
		w.Stop()
	}
	if e.built != nil {
		errs = append(errs, e.built.Close())
	}
	if e.client != nil {
		e.client.Close()
	}
	if e.server != nil {
		errs = append(errs, e.server.Stop())
	}
	if e.logFile != nil {
		errs = append(errs, e.logFile.Close())
	}
	return errors.Join(errs...)
}

// confirmPayment is the payment platform's callback, as the stand-in
// makes it: the pay update on the dossier.
func (e *engine) confirmPayment(ctx context.Context, o devservices.Order) error {
	h, err := e.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: o.Request.Code, UpdateName: workflows.UpdatePay, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.PayRequest{Reference: o.Reference, Amount: o.Request.Amount, Online: true}},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// start starts a dossier of a variant.
func (e *engine) start(ctx context.Context, v *variant, code string) (client.WorkflowRun, error) {
	run, err := e.client.ExecuteWorkflow(ctx, startOptions(code, v.queue), v.workflowType, input(code, v.plan))
	if err != nil {
		return nil, fmt.Errorf("starting %s dossier %s: %w", v.name, code, err)
	}
	return run, nil
}

// startOptions start a dossier's workflow as the service layer does.
func startOptions(code, queue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: code, TaskQueue: queue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}
}

// runDossier plays the people of one dossier from its submission to the
// end of its workflow: officers act when their task shows in the read
// model, the citizen pays through the payment platform's stand-in and
// rates the result.
func (e *engine) runDossier(ctx context.Context, v *variant, code string) error {
	run, err := e.start(ctx, v, code)
	if err != nil {
		return err
	}
	defer e.board.forget(code)
	for _, s := range script {
		ref, err := e.board.waitTask(ctx, code, s.task)
		if err != nil {
			return err
		}
		if s.role == "" {
			if err := e.payAtStandIn(ctx, code, ref); err != nil {
				return err
			}
			continue
		}
		if err := e.update(ctx, code, workflows.UpdateAct, workflows.ActRequest{Task: s.task, Outcome: s.outcome, Actor: officers[s.role]}); err != nil {
			return err
		}
	}
	if err := e.board.waitStatus(ctx, code, dossier.StatusReturned); err != nil {
		return err
	}
	if err := e.update(ctx, code, workflows.UpdateRate, workflows.RateRequest{
		Actor: dossier.Actor{ID: applicant.ID, Role: dossier.RoleApplicant}, Satisfied: true, Comment: "Nhanh, đúng hẹn"}); err != nil {
		return err
	}
	var st dossier.State
	if err := run.Get(ctx, &st); err != nil {
		return fmt.Errorf("%s dossier %s: %w", v.name, code, err)
	}
	if st.Status != dossier.StatusReturned || st.Rating == nil || st.Result == nil || st.Result.Signature == "" {
		return fmt.Errorf("%s dossier %s ended %s (rated %t, result %v): want returned, signed and rated",
			v.name, code, st.Status, st.Rating != nil, st.Result)
	}
	return nil
}

// update sends an update to a dossier and waits for it to complete.
func (e *engine) update(ctx context.Context, code, name string, arg any) error {
	h, err := e.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: code, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("update %s on %s: %w", name, code, err)
	}
	return nil
}

// payAtStandIn pays the fee as the citizen does: on the payment
// platform's page, whose confirmation calls back the engine.
func (e *engine) payAtStandIn(ctx context.Context, code, reference string) error {
	if reference == "" {
		return fmt.Errorf("dossier %s waits for a payment but shows no payment order", code)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.built.DevServices.URL()+"/pay/"+reference, nil)
	if err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("paying %s: %w", code, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("paying %s at the payment stand-in: HTTP %d: %s", code, resp.StatusCode, body)
	}
	return nil
}

// settle pauses between measurements, so that one pays less for the
// previous one's tail (visibility updates, the last projections); it
// returns early when ctx ends.
func settle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
