// Package devenv runs the whole engine in one process for `motcua dev`: the
// catalog, the embedded Temporal server (internal/devserver) persisting to
// <data>/temporal.db, the SQLite read model <data>/read.db, the agency
// certificate and signed results under <data>, the development stand-ins of
// the national systems (internal/devservices) and the workers of every task
// queue. Stopping it (cancelling the context) stops everything in reverse
// order; starting it again on the same folder resumes every dossier and
// timer where it was.
package devenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// Config configures a development environment.
type Config struct {
	DataDir      string // required
	Definitions  string // the catalog folder (procedures/, calendars/); required
	FrontendPort int    // 0: devserver.DefaultFrontendPort
	UIPort       int    // 0: no Web UI
	Namespace    string // "": devserver.DefaultNamespace
	AgencyName   string // "": worker.DefaultAgencyName

	// External systems; see worker.Config. Payments, checks and postal
	// without a URL are served by the development stand-ins.
	Webhook, Portal, Payments, Checks, Postal integrations.Config

	Worker worker.Options
	// Logger receives the logs of every part; nil means slog.Default().
	Logger *slog.Logger
}

// CatalogError is a catalog that does not load: its message holds every
// positioned diagnostic.
type CatalogError struct{ Err error }

func (e *CatalogError) Error() string { return e.Err.Error() }
func (e *CatalogError) Unwrap() error { return e.Err }

// Env is a running development environment.
type Env struct {
	Server  *devserver.Server
	Client  client.Client
	Built   *worker.Built
	Workers *worker.Workers
	Catalog *definitions.Catalog
	// StartedIn is how long Start took.
	StartedIn time.Duration

	dataDir string
}

// Start brings everything up; on an error, what was started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Env, err error) {
	began := time.Now()
	if cfg.DataDir == "" || cfg.Definitions == "" {
		return nil, errors.New("dev: the data folder and the definitions folder are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cat, err := definitions.LoadCatalog(cfg.Definitions)
	if err != nil {
		return nil, &CatalogError{Err: err}
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	e := &Env{Catalog: cat, dataDir: dir}
	defer func() {
		if err != nil {
			e.Stop()
		}
	}()

	e.Server, err = devserver.Start(ctx, devserver.Options{DataDir: dir, FrontendPort: cfg.FrontendPort,
		UIPort: cfg.UIPort, Namespace: cfg.Namespace, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	e.Client, err = client.Dial(client.Options{HostPort: e.Server.FrontendAddress(), Namespace: e.Server.Namespace(),
		Logger: sdklog.NewStructuredLogger(cfg.Logger.With("component", "worker"))})
	if err != nil {
		return nil, fmt.Errorf("dev: connecting to the embedded server: %w", err)
	}
	e.Built, err = worker.Build(ctx, worker.Config{
		Catalog: cat, DataDir: dir, AgencyName: cfg.AgencyName,
		Webhook: cfg.Webhook, Portal: cfg.Portal, Payments: cfg.Payments, Checks: cfg.Checks, Postal: cfg.Postal,
		DevServices: true, ConfirmPayment: e.confirmPayment, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	e.Workers, err = worker.New(e.Client, worker.Deps{Activities: e.Built.Activities, Catalog: cat}, cfg.Worker)
	if err != nil {
		return nil, err
	}
	if err := e.Workers.Start(); err != nil {
		e.Workers = nil
		return nil, err
	}
	e.StartedIn = time.Since(began)
	return e, nil
}

// confirmPayment tells a dossier its fee was paid, as the payment platform
// would.
func (e *Env) confirmPayment(ctx context.Context, o devservices.Order) error {
	h, err := e.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: o.Request.Code, UpdateName: workflows.UpdatePay, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.PayRequest{Reference: o.Reference, Amount: o.Request.Amount, Online: true}},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// Stop stops the workers, the stand-ins and the read model, then the server.
func (e *Env) Stop() error {
	var errs []error
	if e.Workers != nil {
		e.Workers.Stop()
	}
	if e.Built != nil {
		errs = append(errs, e.Built.Close())
	}
	if e.Client != nil {
		e.Client.Close()
	}
	if e.Server != nil {
		errs = append(errs, e.Server.Stop())
	}
	return errors.Join(errs...)
}

// PrintSummary writes where everything is and how to submit a dossier.
func (e *Env) PrintSummary(w io.Writer) {
	b := e.Built
	ui := e.Server.UIURL()
	if ui == "" {
		ui = "off"
	}
	standIns := "none"
	if b.DevServices != nil {
		standIns = b.DevServices.URL() + " (payments, checks, postal — development stand-ins; orders at " + b.DevServices.URL() + "/orders)"
	}
	codes := make([]string, 0, len(e.Catalog.Plans()))
	for _, p := range e.Catalog.Plans() {
		codes = append(codes, p.Code)
	}
	fmt.Fprintf(w, `motcua dev is running (ready in %s)

  Temporal frontend  %s  (namespace %s)
  Web UI             %s
  Data folder        %s
  Temporal database  %s
  Read model         %s
  Agency certificate %s
  Signed results     %s
  Notifications      %s
  Portal sync        %s
  Stand-ins          %s
  Task queues        %s
  Procedures         %s

Submit a dossier and act on it from another terminal (same --data folder):

  motcua submit --address %[15]s --data %[5]s --procedure 1.001193 \
      --mode full_online --channel online --applicant-id 079090001234 --applicant-name "Nguyễn Văn A" ...
  motcua tasks  --address %[15]s --data %[5]s
  motcua act CODE --address %[15]s --data %[5]s --task TASK --outcome OUTCOME --as ROLE@AGENCY

or from Go: workflow type %[16]q on task queue %[17]q, ID = the dossier code,
input a dossier.Input; officers act with update %[18]q, the state is query %[19]q.
Stopping (Ctrl-C) keeps everything; starting again on the same folder
resumes every dossier and timer.
`,
		e.StartedIn.Round(time.Millisecond),
		e.Server.FrontendAddress(), e.Server.Namespace(), ui, e.dataDir, e.Server.DatabasePath(),
		b.ReadModel, b.Certificate, b.ResultsDir, b.Notifier, b.Portal, standIns,
		strings.Join(e.Workers.TaskQueues(), ", "), strings.Join(codes, ", "),
		e.Server.FrontendAddress(), workflows.DossierWorkflow, workflows.TaskQueue,
		workflows.UpdateAct, workflows.QueryState)
}

// Run starts the environment, prints its summary to out and runs until ctx
// is cancelled, then stops everything.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	e, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	e.PrintSummary(out)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping…")
	if err := e.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(out, "stopped")
	return nil
}
