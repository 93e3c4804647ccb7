package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/devserver"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// integrationFlags are the URL and secret file of an external system.
type integrationFlags struct {
	name, url, secretFile string
}

func (f *integrationFlags) config() (integrations.Config, error) {
	cfg := integrations.Config{URL: f.url}
	if f.secretFile != "" {
		secret, err := readSecret(f.name+"-secret-file", f.secretFile)
		if err != nil {
			return cfg, err
		}
		cfg.Secret = strings.TrimSpace(string(secret))
	}
	return cfg, nil
}

func newWorkerCmd(s streams) *cobra.Command {
	var (
		tf                                      temporalFlags
		db, data, defs, agencyName, logLevel    string
		blobs                                   string
		config, identity                        string
		queues                                  []string
		maxActivities, maxWorkflowTasks         int
		registerSearchAttributes                bool
		webhook, portal, payments, checks, post = integrationFlags{name: "webhook"}, integrationFlags{name: "portal"},
			integrationFlags{name: "payments"}, integrationFlags{name: "checks"}, integrationFlags{name: "postal"}
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal workers against a Temporal cluster (cluster mode)",
		Long: `worker runs the workers of the dossier and consultation workflows and their
activities against an external Temporal frontend, writing the read model to
PostgreSQL (--db). Run as many as the load needs, on as many machines: they
share the task queues. --queues restricts a process to some of them: the
dossiers' queue ("dossiers") and each agency's own (its id), so an agency's
consultations can be served by workers of its own.

The data folder (--data) holds the agency's signing certificate (keys/,
created by the first worker): every worker must hold the same one (share
the folder, or copy keys/). The signed results are kept where --blobs says:
"database", the default with a PostgreSQL read model, keeps them in the read
model, which every worker and API node reads; "folder" keeps them in
results/ of the data folder, which must then be shared storage.

Every flag can also be set by an environment variable MOTCUA_<FLAG> (e.g.
MOTCUA_TEMPORAL_ADDRESS) or in the YAML file of --config, whose keys are the
flag names; the command line wins, then the environment, then the file.

It refuses to start with unsafe settings — a remote Temporal without TLS, no
payload codec key — unless --allow-insecure.`,
		Example: `  motcua worker --temporal-address temporal.internal:7233 --tls-ca /etc/motcua/ca.pem \
      --db postgres://motcua@db/motcua --data /srv/motcua --codec-keys /etc/motcua/codec-keys.yaml
  motcua worker --config /etc/motcua/worker.yaml --queues ubnd_xa`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := flagDefaults(cmd.Flags()); err != nil {
				return usageError{err}
			}
			kind, err := worker.BlobsFor(blobs, db)
			if err != nil {
				return usageError{fmt.Errorf("--blobs: %w", err)}
			}
			log, err := newLogger(s.err, logLevel, true)
			if err != nil {
				return err
			}
			if err := refuseUnsafe("motcua worker", tf.unsafe(), tf.allowInsecure, log); err != nil {
				return err
			}
			cat, err := definitions.LoadCatalog(defs)
			if err != nil {
				fmt.Fprintln(s.err, err)
				return exitError{code: 1}
			}
			taskQueues, err := queueNames(cat, queues)
			if err != nil {
				return err
			}
			cfg := worker.Config{Catalog: cat, DataDir: data, ReadModel: db, Blobs: kind, AgencyName: agencyName, Logger: log}
			for _, it := range []struct {
				f   *integrationFlags
				dst *integrations.Config
			}{{&webhook, &cfg.Webhook}, {&portal, &cfg.Portal}, {&payments, &cfg.Payments}, {&checks, &cfg.Checks}, {&post, &cfg.Postal}} {
				if *it.dst, err = it.f.config(); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			c, _, err := tf.dial(log)
			if err != nil {
				return err
			}
			defer c.Close()
			if registerSearchAttributes {
				added, err := devserver.RegisterSearchAttributes(ctx, c, tf.namespace, workflows.SearchAttributes)
				if err != nil {
					return err
				}
				if len(added) > 0 {
					log.Info("registered search attributes", "names", added)
				}
			}
			built, err := worker.Build(ctx, cfg)
			if err != nil {
				return err
			}
			defer built.Close()
			ws, err := worker.New(c, worker.Deps{Activities: built.Activities, Catalog: cat}, worker.Options{
				MaxConcurrentActivities: maxActivities, MaxConcurrentWorkflowTasks: maxWorkflowTasks,
				Identity: identity, Queues: taskQueues})
			if err != nil {
				return err
			}
			if err := ws.Start(); err != nil {
				return err
			}
			log.Info("motcua worker running", "temporal", tf.address, "namespace", tf.namespace, "queues", ws.TaskQueues(),
				"read_model", redact(built.ReadModel), "blobs", built.Blobs, "results", built.ResultsWhere,
				"notifications", built.Notifier, "portal", built.Portal)
			fmt.Fprintf(s.out, "motcua worker running: %s\n", strings.Join(ws.TaskQueues(), ", "))
			<-ctx.Done()
			stopped := make(chan struct{})
			go func() { ws.Stop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(30 * time.Second):
				log.Warn("workers did not stop within 30 s")
			}
			return nil
		},
	}
	f := cmd.Flags()
	tf.add(f)
	f.StringVar(&config, "config", "", "YAML file of settings: flag names and values (see above); env MOTCUA_CONFIG")
	f.StringVar(&db, "db", "", "read model DSN: a postgres:// URL (a SQLite file works for one machine; default DATA/read.db)")
	f.StringVar(&data, "data", ".motcua", "data folder: agency certificate DATA/keys (the same on every worker), results DATA/results with --blobs folder")
	f.StringVar(&blobs, "blobs", "", blobsUsage)
	f.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	f.StringVar(&agencyName, "agency-name", "", "agency named on the signing certificate created by the first start")
	f.StringSliceVar(&queues, "queues", nil, `task queues to serve: "dossiers" and agency ids (default: all)`)
	f.IntVar(&maxActivities, "max-concurrent-activities", 0, "activities run at once per task queue (0: the SDK's default)")
	f.IntVar(&maxWorkflowTasks, "max-concurrent-workflow-tasks", 0, "workflow tasks run at once per task queue (0: the SDK's default)")
	f.StringVar(&identity, "identity", "", "worker identity in Temporal's views (default pid@host)")
	f.BoolVar(&registerSearchAttributes, "register-search-attributes", false, "add motcua's search attributes to the namespace if missing (needs operator rights)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	for _, it := range []*integrationFlags{&webhook, &portal, &payments, &checks, &post} {
		f.StringVar(&it.url, it.name+"-url", "", fmt.Sprintf("URL of the %s system (see internal/integrations)", it.name))
		f.StringVar(&it.secretFile, it.name+"-secret-file", "", fmt.Sprintf("file holding the secret the %s requests are signed with", it.name))
	}
	return cmd
}

// queueNames maps --queues ("dossiers", agency ids) to task queue names.
func queueNames(cat *definitions.Catalog, names []string) ([]string, error) {
	agencies := worker.Agencies(cat)
	var out []string
	for _, n := range names {
		switch {
		case n == "dossiers":
			out = append(out, workflows.TaskQueue)
		case slices.Contains(agencies, n):
			out = append(out, workflows.AgencyTaskQueue(n))
		default:
			return nil, usageError{fmt.Errorf("--queues %q: not \"dossiers\" nor an agency of the catalog (%s)", n, strings.Join(agencies, ", "))}
		}
	}
	return out, nil
}

// blobsUsage is the help of the --blobs flag of the commands that keep
// uploaded files or signed results.
const blobsUsage = `where uploaded files and signed results are kept: "database" (the read model, shared by every node) or "folder" (DATA/files, DATA/results); default database when the read model is a postgres:// URL, else folder`
