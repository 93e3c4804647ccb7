package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// DefaultAgencyName names the agency on a certificate created without a
// configured name.
const DefaultAgencyName = "Cơ quan giải quyết thủ tục hành chính (motcua)"

// Folders and files inside Config.DataDir.
const (
	KeysDir      = "keys"    // the agency's key and certificate (signing.CertFile, signing.KeyFile)
	ResultsDir   = "results" // signed results: <result code>.json and .sig.json
	ReadModelDB  = "read.db" // the SQLite read model when Config.ReadModel is empty
	dataDirPerms = 0o750
)

// Config is what BuildActivities needs. Only Catalog and DataDir are
// required.
type Config struct {
	// Catalog supplies the working calendars.
	Catalog *definitions.Catalog
	// DataDir holds keys/, results/ and, by default, read.db.
	DataDir string
	// ReadModel is the read model's DSN (a postgres:// URL or a SQLite
	// path); "" means DataDir/read.db.
	ReadModel string
	// AgencyName names the agency on the certificate created on the first
	// start (and must match it afterwards); "" means DefaultAgencyName.
	AgencyName string

	// Webhook delivers notifications; without a URL they are logged.
	Webhook integrations.Config
	// Portal receives status pushes; without a URL portal sync is off.
	Portal integrations.Config
	// Payments, Checks and Postal are the national systems. Without a URL
	// the activities that need them fail with a clear error — unless
	// DevServices is set.
	Payments, Checks, Postal integrations.Config
	// DevServices starts, for each of Payments, Checks and Postal without
	// a URL, the local stand-in of internal/devservices (development only)
	// and points the real client at it.
	DevServices bool
	// ConfirmPayment is handed to the stand-in payment platform (see
	// devservices.Options.ConfirmPayment).
	ConfirmPayment func(ctx context.Context, o devservices.Order) error

	// Logger is for notifications (the log notifier) and the stand-ins;
	// nil means slog.Default().
	Logger *slog.Logger
}

// Built is what Build set up: the activities and, for the caller to
// print or use, where everything is.
type Built struct {
	Activities  *activities.Activities
	ReadModel   string // the DSN or file
	Store       *store.Store
	Certificate string // the agency certificate's file
	ResultsDir  string
	// DevServices is the running stand-in server, or nil.
	DevServices *devservices.Services
	Notifier    string // "log" or the webhook URL
	Portal      string // "off" or the URL

	closers []func() error
}

// Close releases what Build opened (the read model, the stand-ins), in
// reverse order; call it after the workers stopped.
func (b *Built) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	return errors.Join(errs...)
}

// BuildActivities opens the read model, loads the calendar, creates or
// loads the agency certificate and builds the integrations; cleanup
// releases what it opened. Build does the same and also says where
// everything is.
func BuildActivities(ctx context.Context, cfg Config) (*activities.Activities, func() error, error) {
	b, err := Build(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return b.Activities, b.Close, nil
}

// Build: see BuildActivities.
func Build(ctx context.Context, cfg Config) (built *Built, err error) {
	if cfg.Catalog == nil {
		return nil, errors.New("worker: no catalog")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("worker: no data folder")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AgencyName == "" {
		cfg.AgencyName = DefaultAgencyName
	}
	if err := os.MkdirAll(cfg.DataDir, dataDirPerms); err != nil {
		return nil, fmt.Errorf("worker: creating the data folder: %w", err)
	}
	built = &Built{ReadModel: cfg.ReadModel}
	defer func() {
		if err != nil {
			_ = built.Close()
			built = nil
		}
	}()

	cal, err := workcal.FromCatalog(cfg.Catalog)
	if err != nil {
		return nil, fmt.Errorf("worker: working calendar: %w", err)
	}
	if built.ReadModel == "" {
		built.ReadModel = filepath.Join(cfg.DataDir, ReadModelDB)
	}
	st, err := store.Open(ctx, built.ReadModel)
	if err != nil {
		return nil, err
	}
	built.closers = append(built.closers, st.Close)
	built.Store = st

	keys := filepath.Join(cfg.DataDir, KeysDir)
	signer, err := signing.EnsureAgencyCertificate(keys, cfg.AgencyName)
	if err != nil {
		return nil, err
	}
	built.Certificate = filepath.Join(keys, signing.CertFile)
	built.ResultsDir = filepath.Join(cfg.DataDir, ResultsDir)
	issuer, err := signing.NewIssuer(built.ResultsDir, signer)
	if err != nil {
		return nil, err
	}

	acts := &activities.Activities{Calendar: cal, Store: st, Issuer: issuer}
	built.Activities = acts
	if cfg.Webhook.URL != "" {
		if acts.Notifier, err = integrations.NewWebhookNotifier(cfg.Webhook); err != nil {
			return nil, err
		}
		built.Notifier = cfg.Webhook.URL
	} else {
		acts.Notifier = integrations.NewLogNotifier(cfg.Logger)
		built.Notifier = "log"
	}
	built.Portal = "off"
	if cfg.Portal.URL != "" {
		if acts.Portal, err = integrations.NewPortalClient(cfg.Portal); err != nil {
			return nil, err
		}
		built.Portal = cfg.Portal.URL
	}

	if cfg.DevServices && (cfg.Payments.URL == "" || cfg.Checks.URL == "" || cfg.Postal.URL == "") {
		ds, err := devservices.Start(devservices.Options{Logger: cfg.Logger, ConfirmPayment: cfg.ConfirmPayment})
		if err != nil {
			return nil, err
		}
		built.closers = append(built.closers, ds.Close)
		built.DevServices = ds
		if cfg.Payments.URL == "" {
			cfg.Payments = ds.PaymentsConfig()
		}
		if cfg.Checks.URL == "" {
			cfg.Checks = ds.ChecksConfig()
		}
		if cfg.Postal.URL == "" {
			cfg.Postal = ds.PostalConfig()
		}
	}
	if cfg.Payments.URL != "" {
		if acts.Payments, err = integrations.NewPaymentsClient(cfg.Payments); err != nil {
			return nil, err
		}
	}
	if cfg.Checks.URL != "" {
		if acts.Checker, err = integrations.NewChecksClient(cfg.Checks); err != nil {
			return nil, err
		}
	}
	if cfg.Postal.URL != "" {
		if acts.Postal, err = integrations.NewPostalClient(cfg.Postal); err != nil {
			return nil, err
		}
	}
	return built, nil
}
