package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/httpserver"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
)

// authFlags select the authenticator of the API.
type authFlags struct {
	tokens       string
	oidcConfig   string
	issuer       string
	audience     string
	jwksURL      string
	clientID     string
	clientSecret string // the file holding it
	redirectURL  string
}

func (a *authFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&a.tokens, "tokens", "", "tokens file (development and small deployments; see internal/auth)")
	fl.StringVar(&a.issuer, "oidc-issuer", "", "OpenID Connect issuer URL: authenticate JWTs against its key set instead of a tokens file")
	fl.StringVar(&a.audience, "oidc-audience", "", "the audience (client id) JWTs must carry")
	fl.StringVar(&a.jwksURL, "oidc-jwks-url", "", "the issuer's JWKS URL, skipping discovery")
	fl.StringVar(&a.oidcConfig, "oidc-config", "", "YAML file of the OIDC settings: claim mapping (subject_claim, roles_claim, agency_claim, role_map, …) and console sign-in (client_id, client_secret_file, redirect_url, scopes, auth_url, token_url)")
	fl.StringVar(&a.clientID, "oidc-client-id", "", "client id of the console's sign-in through the provider (default: the audience)")
	fl.StringVar(&a.clientSecret, "oidc-client-secret-file", "", "file holding the client secret of the console's sign-in (a confidential client; default: a public client with PKCE)")
	fl.StringVar(&a.redirectURL, "oidc-redirect-url", "", "the console's callback registered at the provider, e.g. https://motcua.example/console/oidc/callback (default: from the request's host)")
}

// oidcFile is the YAML of --oidc-config: auth.OIDCConfig, and the client
// secret in a file of its own.
type oidcFile struct {
	auth.OIDCConfig  `yaml:",inline"`
	ClientSecretFile string `yaml:"client_secret_file,omitempty"`
}

// config builds the auth.Config the flags describe.
func (a *authFlags) config() (auth.Config, error) {
	if a.issuer == "" && a.oidcConfig == "" {
		for _, f := range []struct{ name, value string }{
			{"oidc-audience", a.audience}, {"oidc-jwks-url", a.jwksURL}, {"oidc-client-id", a.clientID},
			{"oidc-client-secret-file", a.clientSecret}, {"oidc-redirect-url", a.redirectURL},
		} {
			if f.value != "" {
				return auth.Config{}, usageError{fmt.Errorf("--%s needs --oidc-issuer or --oidc-config", f.name)}
			}
		}
		return auth.Config{Mode: "tokens", Tokens: a.tokens}, nil
	}
	if a.tokens != "" {
		return auth.Config{}, usageError{errors.New("give either --tokens or --oidc-issuer/--oidc-config, not both")}
	}
	var of oidcFile
	if a.oidcConfig != "" {
		data, err := os.ReadFile(a.oidcConfig)
		if err != nil {
			return auth.Config{}, err
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&of); err != nil {
			return auth.Config{}, fmt.Errorf("%s: %w", a.oidcConfig, err)
		}
		if of.ClientSecret != "" && of.ClientSecretFile != "" {
			return auth.Config{}, fmt.Errorf("%s: give client_secret or client_secret_file, not both", a.oidcConfig)
		}
	}
	oc := of.OIDCConfig
	if a.issuer != "" {
		oc.Issuer = a.issuer
	}
	if a.audience != "" {
		oc.Audience = a.audience
	}
	if a.jwksURL != "" {
		oc.JWKSURL = a.jwksURL
	}
	if a.clientID != "" {
		oc.ClientID = a.clientID
	}
	if a.redirectURL != "" {
		oc.RedirectURL = a.redirectURL
	}
	secretFile, what := of.ClientSecretFile, a.oidcConfig+": client_secret_file"
	if a.clientSecret != "" {
		secretFile, what = a.clientSecret, "--oidc-client-secret-file"
	}
	if secretFile != "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return auth.Config{}, fmt.Errorf("%s: %w", what, err)
		}
		if oc.ClientSecret = strings.TrimSpace(string(b)); oc.ClientSecret == "" {
			return auth.Config{}, fmt.Errorf("%s: %s is empty", what, secretFile)
		}
	}
	return auth.Config{Mode: "oidc", OIDC: oc}, nil
}

// readSecret reads a shared secret from a file; "" is none.
func readSecret(flag, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	b = []byte(strings.TrimSpace(string(b)))
	if len(b) < 16 {
		return nil, fmt.Errorf("--%s: the secret in %s is shorter than 16 bytes", flag, path)
	}
	return b, nil
}

// envDefaults sets every flag not given on the command line from the
// environment variable MOTCUA_<FLAG NAME IN CAPITALS, '-' as '_'>.
func envDefaults(fl *pflag.FlagSet) error {
	var errs []error
	fl.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "MOTCUA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func newAPICmd(s streams) *cobra.Command {
	var (
		listen, db, data, defs, logLevel, config string
		blobs                                    string
		tf                                       temporalFlags
		af                                       authFlags
		paySecret, portalSecret, notifySecret    string
		feedbackSecret                           string
		codecOrigins                             []string
	)
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Serve the HTTP API and the web console against a Temporal cluster",
		Long: `api serves the JSON API (/v1, /openapi.json), the officers' web console
(/console/), /metrics, /healthz and /readyz, against a running Temporal
frontend and the read model (PostgreSQL in production). Workers run
separately ('motcua worker', or 'motcua dev' for everything in one
process).

Every flag can also be set by an environment variable MOTCUA_<FLAG>, e.g.
MOTCUA_DB=postgres://… or MOTCUA_TOKENS=/etc/motcua/tokens.yaml, or in the
YAML file of --config, whose keys are the flag names; the command line wins,
then the environment, then the file.

It refuses to start with unsafe settings — a remote Temporal without TLS, no
payload codec key, the development tokens file 'motcua dev' writes — unless
--allow-insecure.

Callbacks from the payment platform, the portal, the notification service
and the citizen feedback system are accepted only with a shared secret
(--payment-secret-file …, --feedback-secret-file): each signs its body with
HMAC-SHA256 (X-Motcua-Timestamp, X-Motcua-Signature).

Uploaded files and signed results are kept where --blobs says: "database",
the default with a PostgreSQL read model, keeps them in the read model,
which every worker and API node reads; "folder" keeps them in the data
folder (files/, results/), which must then be shared storage.`,
		Example: `  motcua api --temporal-address temporal.internal:7233 --tls-ca /etc/motcua/ca.pem \
      --db postgres://motcua@db/motcua --data /srv/motcua --tokens /etc/motcua/tokens.yaml \
      --codec-keys /etc/motcua/codec-keys.yaml --listen :8080
  motcua api --config /etc/motcua/api.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := flagDefaults(cmd.Flags()); err != nil {
				return usageError{err}
			}
			if db == "" {
				db = filepath.Join(data, worker.ReadModelDB)
			}
			kind, err := worker.BlobsFor(blobs, db)
			if err != nil {
				return usageError{fmt.Errorf("--blobs: %w", err)}
			}
			log, err := newLogger(s.err, logLevel, true)
			if err != nil {
				return err
			}
			ac, err := af.config()
			if err != nil {
				return err
			}
			if ac.Mode == "tokens" && ac.Tokens == "" {
				return usageError{errors.New("give --tokens FILE or --oidc-issuer URL: the API authenticates every request")}
			}
			unsafe := tf.unsafe()
			if ac.Mode == "tokens" {
				sample, err := auth.IsSampleFile(ac.Tokens)
				if err != nil {
					return err
				}
				if sample {
					unsafe = append(unsafe, fmt.Sprintf("the tokens file %s is the development sample 'motcua dev' writes (use OIDC, or tokens kept as token_sha256)", ac.Tokens))
				}
			}
			if err := refuseUnsafe("motcua api", unsafe, tf.allowInsecure, log); err != nil {
				return err
			}
			var secrets api.Secrets
			if secrets.Payments, err = readSecret("payment-secret-file", paySecret); err != nil {
				return err
			}
			if secrets.Portal, err = readSecret("portal-secret-file", portalSecret); err != nil {
				return err
			}
			if secrets.Notifications, err = readSecret("notification-secret-file", notifySecret); err != nil {
				return err
			}
			if secrets.Feedback, err = readSecret("feedback-secret-file", feedbackSecret); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			cat, err := definitions.LoadCatalog(defs)
			if err != nil {
				fmt.Fprintln(s.err, err)
				return exitError{code: 1}
			}
			st, err := store.Open(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			files, filesAt, err := worker.FileStore(kind, data, st)
			if err != nil {
				return err
			}
			results, resultsAt, err := worker.ResultStore(kind, data, st)
			if err != nil {
				return err
			}
			c, pc, err := tf.dial(log)
			if err != nil {
				return err
			}
			defer c.Close()
			srv, err := httpserver.Start(ctx, httpserver.Config{Listen: listen, Auth: ac, Secrets: secrets,
				Files: files, Results: results,
				Catalog: cat, Client: c, Store: st, Codec: codecOf(pc), CodecOrigins: codecOrigins, Logger: log})
			if err != nil {
				return err
			}
			_, signIn := srv.Auth.(auth.LoginProvider)
			log.Info("motcua api listening", "url", srv.URL(), "auth", srv.Auth.Name(), "console_sign_in", signIn,
				"temporal", tf.address, "namespace", tf.namespace, "read_model", redact(db), "blobs", kind, "files", filesAt, "results", resultsAt)
			fmt.Fprintf(s.out, "motcua api listening on %s (console %s/console/)\n", srv.URL(), srv.URL())
			<-ctx.Done()
			return srv.Stop()
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", httpserver.DefaultListen, "host:port to listen on")
	tf.add(f)
	// --address, the flag's former name, still works.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "address" {
			name = "temporal-address"
		}
		return pflag.NormalizedName(name)
	})
	f.StringVar(&config, "config", "", "YAML file of settings: flag names and values; env MOTCUA_CONFIG")
	f.StringVar(&db, "db", "", "read model DSN: a postgres:// URL or a SQLite file (default DATA/read.db)")
	f.StringVar(&data, "data", ".motcua", "data folder: uploaded files DATA/files and signed results DATA/results with --blobs folder; uploads being received DATA/tmp with --blobs database")
	f.StringVar(&blobs, "blobs", "", blobsUsage)
	f.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&paySecret, "payment-secret-file", "", "file holding the payment platform's shared secret")
	f.StringVar(&portalSecret, "portal-secret-file", "", "file holding the national portal's shared secret")
	f.StringVar(&notifySecret, "notification-secret-file", "", "file holding the notification service's shared secret")
	f.StringVar(&feedbackSecret, "feedback-secret-file", "", "file holding the citizen feedback system's shared secret (its complaints: /v1/callbacks/feedback)")
	f.StringSliceVar(&codecOrigins, "codec-origins", nil, "web origins (the Temporal UI's, e.g. https://temporal-ui.example) allowed to call /codec from a browser")
	af.add(f)
	return cmd
}
