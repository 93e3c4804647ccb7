package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/blobstore"
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
	ResultsDir   = "results" // signed results: <result code>.json and .sig.json (BlobsFolder)
	FilesDir     = "files"   // uploaded files, content-addressed (BlobsFolder)
	StagingDir   = "tmp"     // uploads being received, before they go to the database (BlobsDatabase)
	ReadModelDB  = "read.db" // the SQLite read model when Config.ReadModel is empty
	dataDirPerms = 0o750
)

// Where uploaded files and signed results are kept: the values of
// Config.Blobs and of the --blobs flag.
const (
	// BlobsFolder keeps them in the data folder (DataDir/files,
	// DataDir/results): one machine, or a folder every node shares.
	BlobsFolder = "folder"
	// BlobsDatabase keeps them in the read model (its blobs, blob_chunks
	// and results tables), which every worker and API node reaches.
	BlobsDatabase = "database"
)

// BlobsFor checks a choice of where files and results are kept (Config.Blobs,
// --blobs) and returns it; an empty one is the default for the read model
// dsn: BlobsDatabase for PostgreSQL, BlobsFolder for SQLite.
func BlobsFor(blobs, dsn string) (string, error) {
	switch blobs {
	case BlobsFolder, BlobsDatabase:
		return blobs, nil
	case "":
		if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
			return BlobsDatabase, nil
		}
		return BlobsFolder, nil
	}
	return "", unknownBlobs(blobs)
}

func unknownBlobs(blobs string) error {
	return fmt.Errorf("unknown storage %q for files and results: want %q or %q", blobs, BlobsFolder, BlobsDatabase)
}

// FileStore returns the store of uploaded files of blobs (BlobsFor): a
// blobstore.FS in DataDir/files, or a blobstore.DB over the read model
// st, staging in DataDir/tmp. where says where the files are, for a log.
func FileStore(blobs, dataDir string, st *store.Store) (files blobstore.Store, where string, err error) {
	switch blobs {
	case BlobsFolder:
		dir := filepath.Join(dataDir, FilesDir)
		fs, err := blobstore.NewFS(dir)
		if err != nil {
			return nil, "", fmt.Errorf("the folder of uploaded files: %w", err)
		}
		return fs, dir, nil
	case BlobsDatabase:
		if st == nil {
			return nil, "", errors.New("uploaded files in the database: no read model")
		}
		db, err := blobstore.NewDB(st, filepath.Join(dataDir, StagingDir))
		if err != nil {
			return nil, "", fmt.Errorf("uploaded files in the database: %w", err)
		}
		return db, inReadModel, nil
	}
	return nil, "", unknownBlobs(blobs)
}

// ResultStore returns the store of signed results of blobs (BlobsFor): a
// signing.ResultFolder in DataDir/results, or a signing.ResultDB over the
// read model st. where says where the results are, for a log.
func ResultStore(blobs, dataDir string, st *store.Store) (results signing.ResultStore, where string, err error) {
	switch blobs {
	case BlobsFolder:
		dir := filepath.Join(dataDir, ResultsDir)
		return signing.NewResultFolder(dir), dir, nil
	case BlobsDatabase:
		if st == nil {
			return nil, "", errors.New("signed results in the database: no read model")
		}
		return signing.NewResultDB(st), inReadModel, nil
	}
	return nil, "", unknownBlobs(blobs)
}

// inReadModel is where BlobsDatabase keeps files and results, for a log.
const inReadModel = "the read model database"

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
	// Blobs is where the signed results are kept: BlobsFolder or
	// BlobsDatabase; "" is the default of BlobsFor (the database when the
	// read model is on PostgreSQL).
	Blobs string
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
	// Blobs is where files and results are kept: BlobsFolder or
	// BlobsDatabase.
	Blobs string
	// Results keeps the signed results, which the issuer writes;
	// ResultsWhere says where, for a log: the folder, or the read model.
	Results      signing.ResultStore
	ResultsWhere string
	// ResultsDir is the folder of the signed results; "" when they are
	// kept in the database.
	ResultsDir string
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
	blobs, err := BlobsFor(cfg.Blobs, cfg.ReadModel)
	if err != nil {
		return nil, fmt.Errorf("worker: Config.Blobs: %w", err)
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
	b := &Built{ReadModel: cfg.ReadModel, Blobs: blobs}
	built = b
	defer func() {
		if err != nil { // `return nil, err` has already set built to nil
			_ = b.Close()
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
	if built.Results, built.ResultsWhere, err = ResultStore(blobs, cfg.DataDir, st); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if blobs == BlobsFolder {
		built.ResultsDir = built.ResultsWhere
		if err := os.MkdirAll(built.ResultsDir, dataDirPerms); err != nil {
			return nil, fmt.Errorf("worker: creating the results folder: %w", err)
		}
	}
	issuer, err := signing.NewIssuerWith(built.Results, signer)
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
