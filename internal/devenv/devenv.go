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
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/httpserver"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/reqid"
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
	// APIListen is where the HTTP API and the web console listen;
	// "" means httpserver.DefaultListen, "off" serves none.
	APIListen string
	// Auth authenticates API and console requests; the zero value uses
	// the tokens file DATA/tokens.yaml, written with sample principals
	// of the catalog on the first start.
	Auth auth.Config
	// CodecKeys is the key file of the payload codec (internal/codec);
	// "" means DATA/codec-keys.yaml, created with a new key on the first
	// start. Every payload the engine hands to Temporal is sealed with it.
	CodecKeys string
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
	// HTTP is the API and console, nil when off.
	HTTP *httpserver.Server
	// TokensFile is the tokens file in use ("" with OIDC), and Samples
	// the principals written to it on this start (none when it existed).
	TokensFile string
	Samples    []auth.SampleEntry
	// CodecKeysFile is the codec's key file, and CodecKeyCreated the id
	// of the key created in it on this start ("" when it existed).
	CodecKeysFile   string
	CodecKeyCreated string
	// Codec seals the payloads; the API's /codec endpoint uses it too.
	Codec *codec.Codec
	// StartedIn is how long Start took.
	StartedIn time.Duration

	dataDir       string
	paymentSecret []byte
	codecOrigins  []string
}

// uiCodec returns the codec endpoint the Web UI decodes payloads with (the
// API's, when it listens on a fixed port) and the UI's origins the API
// lets call it.
func uiCodec(cfg Config) (endpoint string, origins []string) {
	listen := cfg.APIListen
	if listen == "" {
		listen = httpserver.DefaultListen
	}
	_, port, err := net.SplitHostPort(listen)
	if cfg.UIPort == 0 || listen == "off" || err != nil || port == "0" {
		return "", nil
	}
	ui := strconv.Itoa(cfg.UIPort)
	return "http://" + listen + "/codec", []string{"http://127.0.0.1:" + ui, "http://localhost:" + ui}
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
	e := &Env{Catalog: cat, dataDir: dir, paymentSecret: randomSecret()}
	defer func() {
		if err != nil {
			e.Stop()
		}
	}()

	codecEndpoint, codecOrigins := uiCodec(cfg)
	e.codecOrigins = codecOrigins
	e.Server, err = devserver.Start(ctx, devserver.Options{DataDir: dir, FrontendPort: cfg.FrontendPort,
		UIPort: cfg.UIPort, Namespace: cfg.Namespace, CodecEndpoint: codecEndpoint, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	ring, err := e.codecKeys(cfg)
	if err != nil {
		return nil, err
	}
	e.Codec = codec.New(ring)
	e.Client, err = client.Dial(client.Options{HostPort: e.Server.FrontendAddress(), Namespace: e.Server.Namespace(),
		Logger:             sdklog.NewStructuredLogger(cfg.Logger.With("component", "worker")),
		ContextPropagators: []workflow.ContextPropagator{reqid.Propagator()},
		DataConverter:      codec.DataConverter(ring),
		ConnectionOptions:  devserver.LoopbackConnection()})
	if err != nil {
		return nil, fmt.Errorf("dev: connecting to the embedded server: %w", err)
	}
	e.Built, err = worker.Build(ctx, worker.Config{
		Catalog: cat, DataDir: dir, AgencyName: cfg.AgencyName, Blobs: worker.BlobsFolder, // dev keeps the folder
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
	if cfg.APIListen != "off" {
		if err := e.startHTTP(ctx, cfg); err != nil {
			return nil, err
		}
	}
	e.StartedIn = time.Since(began)
	return e, nil
}

// CodecKeysFile is the codec's key file inside the data folder.
const CodecKeysFile = "codec-keys.yaml"

// codecKeys loads the codec's key file, creating DATA/codec-keys.yaml with
// a new key on the first start.
func (e *Env) codecKeys(cfg Config) (*codec.KeyRing, error) {
	path := cfg.CodecKeys
	if path == "" {
		path = filepath.Join(e.dataDir, CodecKeysFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			id, err := codec.WriteKeyFile(path)
			if err != nil {
				return nil, fmt.Errorf("dev: %w", err)
			}
			e.CodecKeyCreated = id
		}
	}
	ring, err := codec.LoadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	e.CodecKeysFile = path
	return ring, nil
}

// startHTTP starts the API and console, with a sample tokens file on the
// first start.
func (e *Env) startHTTP(ctx context.Context, cfg Config) error {
	ac := cfg.Auth
	if ac.Mode == "" && ac.Tokens == "" {
		ac.Tokens = filepath.Join(e.dataDir, TokensFile)
		if _, err := os.Stat(ac.Tokens); errors.Is(err, fs.ErrNotExist) {
			e.Samples, err = auth.WriteSample(ac.Tokens, SamplePrincipals(e.Catalog))
			if err != nil {
				return fmt.Errorf("dev: writing the sample tokens file: %w", err)
			}
		}
	}
	if ac.Mode == "" || ac.Mode == "tokens" {
		e.TokensFile = ac.Tokens
	}
	var err error
	e.HTTP, err = httpserver.Start(ctx, httpserver.Config{
		Listen: cfg.APIListen, Auth: ac, Secrets: api.Secrets{Payments: e.paymentSecret},
		FilesDir: filepath.Join(e.dataDir, "files"), ResultsDir: e.Built.ResultsDir,
		Catalog: e.Catalog, Client: e.Client, Store: e.Built.Store, Codec: e.Codec, CodecOrigins: e.codecOrigins, Logger: cfg.Logger.With("component", "api"),
	})
	if err != nil {
		return err
	}
	e.Built.Activities.ObserveProjection = e.HTTP.Metrics.ObserveProjection
	return nil
}

// TokensFile is the sample tokens file inside the data folder.
const TokensFile = "tokens.yaml"

// SamplePrincipals are the development accounts of a catalog: one officer
// per role of every agency (subject <role>.<agency>), one with every role
// of each competent agency, a citizen, an analyst and an administrator.
func SamplePrincipals(cat *definitions.Catalog) []auth.Principal {
	type key struct{ role, agency string }
	seen := map[key]bool{}
	byAgency := map[string][]string{}
	var out []auth.Principal
	for _, p := range cat.Plans() {
		for _, r := range p.Roles {
			k := key{r.ID, r.Agency}
			if seen[k] {
				continue
			}
			seen[k] = true
			byAgency[r.Agency] = append(byAgency[r.Agency], r.ID)
			out = append(out, auth.Principal{Subject: r.ID + "." + r.Agency, Name: r.Name, Kind: auth.KindOfficer,
				Roles: []string{r.ID}, Agency: r.Agency})
		}
	}
	agencies := slices.Sorted(maps.Keys(byAgency))
	for _, a := range agencies {
		out = append(out, auth.Principal{Subject: "can-bo." + a, Name: "Cán bộ " + a, Kind: auth.KindOfficer,
			Roles: byAgency[a], Agency: a})
	}
	return append(out,
		auth.Principal{Subject: "079090001234", Name: "Nguyễn Văn A", Kind: auth.KindCitizen, ApplicantID: "079090001234"},
		auth.Principal{Subject: "phan-tich", Name: "Chuyên viên phân tích", Kind: auth.KindAnalyst},
		auth.Principal{Subject: "quan-tri", Name: "Quản trị hệ thống", Kind: auth.KindAdmin},
	)
}

// confirmPayment tells the API the fee of a dossier was paid, as the
// payment platform does: a signed POST to /v1/callbacks/payments.
func (e *Env) confirmPayment(ctx context.Context, o devservices.Order) error {
	if e.HTTP == nil {
		h, err := e.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: o.Request.Code, UpdateName: workflows.UpdatePay, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.PayRequest{Reference: o.Reference, Amount: o.Request.Amount, Online: true}},
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	}
	body, err := json.Marshal(api.PaymentCallback{Code: o.Request.Code, Reference: o.Reference, Amount: o.Request.Amount,
		Status: "paid", PaidAt: time.Now().UTC()})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.HTTP.URL()+"/v1/callbacks/payments", bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(integrations.HeaderTimestamp, ts)
	req.Header.Set(integrations.HeaderSignature, integrations.Sign(e.paymentSecret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("payment callback: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

func randomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// Stop stops the workers, the stand-ins and the read model, then the server.
func (e *Env) Stop() error {
	var errs []error
	if e.HTTP != nil {
		errs = append(errs, e.HTTP.Stop())
	}
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
	apiURL, consoleURL := "off", "off"
	if e.HTTP != nil {
		apiURL = e.HTTP.URL() + "/v1  (OpenAPI " + e.HTTP.URL() + "/openapi.json, metrics " + e.HTTP.URL() + "/metrics)"
		consoleURL = e.HTTP.URL() + "/console/"
	}
	fmt.Fprintf(w, `motcua dev is running (ready in %s)

  HTTP API           %s
  Web console        %s
  Temporal frontend  %s  (namespace %s)
  Temporal Web UI    %s
  Data folder        %s
  Temporal database  %s
  Read model         %s
  Agency certificate %s
  Payload keys       %s
  Signed results     %s
  Notifications      %s
  Portal sync        %s
  Stand-ins          %s
  Task queues        %s
  Procedures         %s
`,
		e.StartedIn.Round(time.Millisecond), apiURL, consoleURL,
		e.Server.FrontendAddress(), e.Server.Namespace(), ui, e.dataDir, e.Server.DatabasePath(),
		b.ReadModel, b.Certificate, e.codecSummary(), b.ResultsDir, b.Notifier, b.Portal, standIns,
		strings.Join(e.Workers.TaskQueues(), ", "), strings.Join(codes, ", "))
	if e.HTTP != nil && e.TokensFile != "" {
		e.printTokens(w)
	}
	fmt.Fprintf(w, `
Or straight through Temporal (same --data folder), as an operator:

  motcua submit --address %[1]s --data %[2]s --procedure 1.001193 \
      --mode full_online --channel online --applicant-id 079090001234 --applicant-name "Nguyễn Văn A" ...
  motcua tasks  --address %[1]s --data %[2]s
  motcua act CODE --address %[1]s --data %[2]s --task TASK --outcome OUTCOME --as ROLE@AGENCY

or from Go: workflow type %[3]q on task queue %[4]q, ID = the dossier code,
input a dossier.Input; officers act with update %[5]q, the state is query %[6]q.
Stopping (Ctrl-C) keeps everything; starting again on the same folder
resumes every dossier and timer.
`,
		e.Server.FrontendAddress(), e.dataDir, workflows.DossierWorkflow, workflows.TaskQueue,
		workflows.UpdateAct, workflows.QueryState)
}

// codecSummary says where the payload codec's keys are.
func (e *Env) codecSummary() string {
	out := e.CodecKeysFile + " (AES-256-GCM; every Temporal payload is sealed"
	if e.CodecKeyCreated != "" {
		out += "; key " + e.CodecKeyCreated + " created now: back it up, a lost key loses the histories it sealed"
	}
	return out + ")"
}

// printTokens says how to sign in: the sample accounts when just written.
func (e *Env) printTokens(w io.Writer) {
	url := e.HTTP.URL()
	if len(e.Samples) == 0 {
		fmt.Fprintf(w, `
Sign in with a token of %s (development accounts; edit it to add your own):

  curl -H "Authorization: Bearer TOKEN" %s/v1/me
  motcua tasks --server %s --token TOKEN
  web console: %s/console/login
`, e.TokensFile, url, url, url)
		return
	}
	fmt.Fprintf(w, "\nDevelopment accounts, written to %s (keep it private; edit it to add your own):\n\n", e.TokensFile)
	var citizen, officer string
	for _, s := range e.Samples {
		who := string(s.Principal.Kind)
		if s.Principal.Kind == auth.KindOfficer {
			who = strings.Join(s.Principal.Roles, ",") + "@" + s.Principal.Agency
			if officer == "" {
				officer = s.Token
			}
		}
		if s.Principal.Kind == auth.KindCitizen && citizen == "" {
			citizen = s.Token
		}
		fmt.Fprintf(w, "  %-34s %-44s %s\n", s.Principal.Subject, who, s.Token)
	}
	fmt.Fprintf(w, `
Sign in to the web console at %[1]s/console/login with an officer's token, or:

  curl -H "Authorization: Bearer %[2]s" %[1]s/v1/dossiers
  motcua tasks --server %[1]s --token %[3]s
  motcua submit --server %[1]s --token %[2]s --procedure 1.001193 --mode full_online --channel online ...
`, url, citizen, officer)
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
