package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/apiclient"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devenv"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// engineFlags are the flags every command that talks to the engine shares:
// where Temporal is and where the data folder is.
type engineFlags struct {
	server      string
	token       string
	address     string
	namespace   string
	data        string
	readModel   string
	blobs       string
	definitions string
	codecKeys   string
	timeout     time.Duration
}

// engineHelp is appended to the long help of the engine commands.
const engineHelp = `

The engine must be running: start it with 'motcua dev' (it serves Temporal
on 127.0.0.1:7233 and keeps its data in ./.motcua) and run this command from
the same folder, or point --address, --namespace and --data at it.`

func (f *engineFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "go through the HTTP API at this URL (e.g. http://127.0.0.1:8080) instead of Temporal; env MOTCUA_SERVER")
	fl.StringVar(&f.token, "token", "", "bearer token for --server (a token of the tokens file, or a JWT); env MOTCUA_TOKEN")
	fl.StringVar(&f.address, "address", "127.0.0.1:7233", "Temporal frontend host:port")
	fl.StringVar(&f.namespace, "namespace", "default", "Temporal namespace")
	fl.StringVar(&f.data, "data", ".motcua", "data folder of the engine: read model DATA/read.db, uploaded files DATA/files, results DATA/results")
	fl.StringVar(&f.readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file); default DATA/read.db")
	fl.StringVar(&f.blobs, "blobs", "", blobsUsage)
	fl.StringVar(&f.definitions, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	fl.StringVar(&f.codecKeys, "codec-keys", "", "key file of the payload codec (default DATA/codec-keys.yaml, which 'motcua dev' writes); env MOTCUA_CODEC_KEYS")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "how long to wait for the engine")
}

// dataConverter returns the data converter of the engine's payloads: the
// codec of --codec-keys (or MOTCUA_CODEC_KEYS, or the data folder's key
// file when there is one), else Temporal's default.
func (f *engineFlags) dataConverter() (converter.DataConverter, error) {
	path := f.codecKeys
	if path == "" {
		path = os.Getenv("MOTCUA_CODEC_KEYS")
	}
	if path == "" {
		path = filepath.Join(f.data, devenv.CodecKeysFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return converter.GetDefaultDataConverter(), nil
		}
	}
	ring, err := codec.LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return codec.DataConverter(ring), nil
}

// dossiers is what the dossier commands do: straight through the
// service (Temporal and the read model) or through the HTTP API.
type dossiers interface {
	Submit(ctx context.Context, req service.SubmitRequest) (dossier.State, error)
	Status(ctx context.Context, code string) (dossier.State, error)
	Tasks(ctx context.Context, req service.TasksRequest) ([]store.TaskRow, error)
	Act(ctx context.Context, code string, req workflows.ActRequest) (dossier.State, error)
	Supplement(ctx context.Context, code string, req service.SupplementRequest) (dossier.State, error)
	Withdraw(ctx context.Context, code string, req workflows.WithdrawRequest) (dossier.State, error)
	Rate(ctx context.Context, code string, req workflows.RateRequest) (dossier.State, error)
	Extend(ctx context.Context, code string, req workflows.ExtendRequest) (dossier.State, error)
}

// engine is an open connection to the engine.
type engine struct {
	svc     dossiers
	catalog *definitions.Catalog
	// direct is the service when not going through --server.
	direct *service.Service
	// viaAPI is set when going through --server.
	viaAPI bool
	close  func()
}

// open connects to Temporal (lazily: nothing is dialled before the first
// call) and opens the read model. needCatalog makes a catalog that does
// not load an error; otherwise the commands that do not need it run with
// an empty one.
func (f *engineFlags) open(ctx context.Context, needCatalog bool) (*engine, error) {
	if f.server == "" {
		f.server = os.Getenv("MOTCUA_SERVER")
	}
	if f.server != "" {
		return f.openAPI()
	}
	if fi, err := os.Stat(f.data); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("data folder %s does not exist: start the engine with 'motcua dev --data %s', or give --data", f.data, f.data)
	}
	cat, err := definitions.LoadCatalog(f.definitions)
	if err != nil {
		if needCatalog {
			return nil, fmt.Errorf("loading the catalog from %s (give --definitions): %w", f.definitions, err)
		}
		cat = &definitions.Catalog{}
	}
	dsn := f.readModel
	if dsn == "" {
		dsn = filepath.Join(f.data, worker.ReadModelDB)
	}
	kind, err := worker.BlobsFor(f.blobs, dsn)
	if err != nil {
		return nil, usageError{fmt.Errorf("--blobs: %w", err)}
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	files, _, err := worker.FileStore(kind, f.data, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	results, _, err := worker.ResultStore(kind, f.data, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	dc, err := f.dataConverter()
	if err != nil {
		st.Close()
		return nil, err
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.NewLazyClient(client.Options{HostPort: f.address, Namespace: f.namespace, Logger: quiet, DataConverter: dc})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("temporal client for %s: %w", f.address, err)
	}
	svc, err := service.New(service.Options{Client: c, Store: st, Catalog: cat, Files: files, Results: results})
	if err != nil {
		c.Close()
		st.Close()
		return nil, err
	}
	return &engine{svc: svc, direct: svc, catalog: cat, close: func() { c.Close(); st.Close() }}, nil
}

// openAPI goes through the HTTP API: the token says who acts.
func (f *engineFlags) openAPI() (*engine, error) {
	token := f.token
	if token == "" {
		token = os.Getenv("MOTCUA_TOKEN")
	}
	if token == "" {
		return nil, usageError{errors.New("--server needs a token: give --token or set MOTCUA_TOKEN ('motcua dev' prints sample tokens)")}
	}
	c, err := apiclient.New(f.server, token)
	if err != nil {
		return nil, usageError{err}
	}
	cat, err := definitions.LoadCatalog(f.definitions)
	if err != nil {
		cat = &definitions.Catalog{} // names only: the server has the catalog
	}
	return &engine{svc: c, catalog: cat, viaAPI: true, close: func() {}}, nil
}

// viaServer reports whether the command goes through the HTTP API, where
// the token, not --as or --applicant-id, says who acts.
func (f *engineFlags) viaServer() bool {
	return f.server != "" || os.Getenv("MOTCUA_SERVER") != ""
}

// context bounds a command by --timeout.
func (f *engineFlags) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, f.timeout)
}

// report turns the service's errors into what the user reads: one line per
// problem of a *ValidationError, the workflow's message for a rejected
// action; both exit 1.
func (f *engineFlags) report(s streams, err error) error {
	if err == nil {
		return nil
	}
	var verr *service.ValidationError
	var rej *service.RejectedError
	var unavailable *serviceerror.Unavailable
	switch {
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			fmt.Fprintln(s.err, p.String())
		}
		return exitError{code: 1}
	case errors.As(err, &rej):
		fmt.Fprintf(s.err, "motcua: rejected: %s\n", rej.Message)
		return exitError{code: 1}
	case f.server != "" && strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("%w\n(is the API running at %s? start it with 'motcua dev' or 'motcua api')", err, f.server)
	case errors.As(err, &unavailable), errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("%w\n(is the engine running at %s, namespace %s? start it with 'motcua dev')", err, f.address, f.namespace)
	}
	return err
}

// parseActor reads ROLE@AGENCY.
func parseActor(as, officer string) (dossier.Actor, error) {
	i := strings.LastIndex(as, "@")
	if as == "" {
		return dossier.Actor{}, usageError{errors.New("--as ROLE@AGENCY is required, e.g. --as mot_cua@ubnd_xa")}
	}
	if i <= 0 || i == len(as)-1 {
		return dossier.Actor{}, usageError{fmt.Errorf("--as %q: write ROLE@AGENCY, e.g. mot_cua@ubnd_xa", as)}
	}
	if officer == "" {
		officer = defaultOfficer()
	}
	return dossier.Actor{ID: officer, Role: as[:i], Agency: as[i+1:]}, nil
}

// defaultOfficer is the officer id recorded when --officer is not given:
// the user name of the operating system.
func defaultOfficer() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

// keyValues parses repeated KEY=VALUE flags.
func keyValues(flag string, values []string) (map[string]string, []string, error) {
	out := map[string]string{}
	var order []string
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, usageError{fmt.Errorf("--%s %q: write KEY=VALUE", flag, kv)}
		}
		if _, dup := out[k]; dup {
			return nil, nil, usageError{fmt.Errorf("--%s %s is given twice", flag, k)}
		}
		out[k] = v
		order = append(order, k)
	}
	return out, order, nil
}

// formAndFiles reads repeated --field FIELD=VALUE and --file COMPONENT=PATH
// flags. release closes the opened files and is safe to call on error.
func formAndFiles(fields, files []string) (form map[string]string, ups []service.Upload, release func(), err error) {
	form, _, err = keyValues("field", fields)
	if err != nil {
		return nil, nil, func() {}, err
	}
	ups, release, err = uploads(files)
	return form, ups, release, err
}

// uploads opens the files of repeated --file COMPONENT=PATH flags. A file
// that cannot be read is a problem of its component.
func uploads(values []string) ([]service.Upload, func(), error) {
	files, order, err := keyValues("file", values)
	if err != nil {
		return nil, func() {}, err
	}
	var (
		out      []service.Upload
		opened   []*os.File
		problems []service.Problem
	)
	closeAll := func() {
		for _, f := range opened {
			f.Close()
		}
	}
	for _, id := range order {
		path := files[id]
		fh, err := os.Open(path)
		if err == nil {
			var fi os.FileInfo
			if fi, err = fh.Stat(); err == nil && fi.IsDir() {
				err = errors.New("it is a folder")
			}
			if err != nil {
				fh.Close()
			}
		}
		if err != nil {
			problems = append(problems, service.Problem{Field: id, Message: fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err))})
			continue
		}
		opened = append(opened, fh)
		out = append(out, service.Upload{ID: id, FileName: filepath.Base(path), Data: fh})
	}
	if len(problems) > 0 {
		closeAll()
		return nil, func() {}, &service.ValidationError{Problems: problems}
	}
	return out, closeAll, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// stateOutput writes a dossier's state as text or JSON.
func writeState(s streams, format string, st dossier.State, cat *definitions.Catalog) error {
	if format == "json" {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printState(s.out, st, cat, time.Now())
	return nil
}

// formatFlag adds --format text|json.
func formatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "text", "output format: text or json")
}

// notFound words a dossier the engine does not know.
func notFound(err error, code string) error {
	if errors.Is(err, service.ErrNotFound) {
		return fmt.Errorf("no dossier %s: neither the engine nor the read model knows it", code)
	}
	return err
}

// stateAction checks --format, opens the engine, runs an action on dossier
// code through the service and prints the state it answers with.
func (f *engineFlags) stateAction(cmd *cobra.Command, s streams, format, code string,
	action func(ctx context.Context, eng *engine) (dossier.State, error)) error {
	if err := checkFormat(format, "text", "json"); err != nil {
		return err
	}
	ctx, cancel := f.context(cmd)
	defer cancel()
	eng, err := f.open(ctx, false)
	if err != nil {
		return err
	}
	defer eng.close()
	st, err := action(ctx, eng)
	if err != nil {
		return f.report(s, notFound(err, code))
	}
	return writeState(s, format, st, eng.catalog)
}
