package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/devenv"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/httpserver"
)

func newDevCmd(s streams) *cobra.Command {
	var (
		cfg      devenv.Config
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole engine in one process: embedded Temporal server, Web UI, read model and workers",
		Long: `dev runs, in one process and with nothing to install:

  - a Temporal server (go.temporal.io/server) persisting to DATA/temporal.db (SQLite),
    its frontend on 127.0.0.1:PORT and the Temporal Web UI on 127.0.0.1:UI-PORT;
  - the read model, a SQLite file DATA/read.db;
  - the agency's signing certificate in DATA/keys and signed results in DATA/results;
  - the HTTP API (/v1, /openapi.json, /metrics) and the officers' web console
    (/console/) on 127.0.0.1:8080, authenticating with DATA/tokens.yaml — written
    on the first start with sample accounts, whose tokens it prints;
  - local stand-ins for the payment platform, automated checks and postal service
    (development only), and the workers of every task queue.

The catalog (DEFINITIONS/procedures, DEFINITIONS/calendars) is checked first:
any error stops it with exit status 1 and every problem as file:line:col.
Ctrl-C or SIGTERM stops everything cleanly; starting again on the same data
folder resumes every dossier and timer where it was, even after kill -9.`,
		Example: `  motcua dev
  motcua dev --data /tmp/motcua --port 7300 --ui-port 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(s.err, logLevel, false)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = devenv.Run(ctx, cfg, s.out)
			var ce *devenv.CatalogError
			if errors.As(err, &ce) {
				fmt.Fprintln(s.err, ce.Error())
				return exitError{code: 1}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", ".motcua", "data folder: Temporal database, read model, keys, results")
	f.IntVar(&cfg.FrontendPort, "port", devserver.DefaultFrontendPort, "Temporal frontend (gRPC) port on 127.0.0.1")
	f.IntVar(&cfg.UIPort, "ui-port", devserver.DefaultUIPort, "Temporal Web UI port on 127.0.0.1 (0: no UI)")
	f.StringVar(&cfg.Definitions, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&cfg.APIListen, "listen", httpserver.DefaultListen, `HTTP API and web console host:port ("off": none)`)
	f.StringVar(&cfg.Auth.Tokens, "tokens", "", "tokens file of the API (default DATA/tokens.yaml, written with sample accounts on the first start)")
	return cmd
}
