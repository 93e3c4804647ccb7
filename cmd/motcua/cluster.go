package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/reqid"
)

// The flags of the processes of a cluster deployment (motcua worker,
// motcua api): how they reach the Temporal frontend, with which payload
// codec, and the checks that refuse unsafe production settings.

// temporalFlags connect a process to a Temporal frontend.
type temporalFlags struct {
	address, namespace                    string
	tls                                   bool
	caFile, certFile, keyFile, serverName string
	apiKeyFile                            string
	codecKeys                             string
	allowInsecure                         bool
}

func (t *temporalFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&t.address, "temporal-address", "127.0.0.1:7233", "Temporal frontend host:port")
	fl.StringVar(&t.namespace, "namespace", "default", "Temporal namespace")
	fl.BoolVar(&t.tls, "tls", false, "connect to Temporal over TLS (implied by the other --tls-* flags)")
	fl.StringVar(&t.caFile, "tls-ca", "", "PEM file of the CA that signed the frontend's certificate (default: the system's)")
	fl.StringVar(&t.certFile, "tls-cert", "", "PEM file of this process's client certificate (mutual TLS), with --tls-key")
	fl.StringVar(&t.keyFile, "tls-key", "", "PEM file of the client certificate's private key (mutual TLS)")
	fl.StringVar(&t.serverName, "tls-server-name", "", "name the frontend's certificate must hold (default: the host of --temporal-address)")
	fl.StringVar(&t.apiKeyFile, "api-key-file", "", "file holding a Temporal API key (e.g. Temporal Cloud), sent as a bearer credential")
	fl.StringVar(&t.codecKeys, "codec-keys", "", "key file of the payload codec (internal/codec; 'motcua keys init' makes one): every payload is sealed in Temporal")
	fl.BoolVar(&t.allowInsecure, "allow-insecure", false, "start despite unsafe settings (plaintext to a remote Temporal, no codec key, development tokens)")
}

// loopback reports whether host:port names this machine.
func loopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// usesTLS reports whether the connection is over TLS.
func (t *temporalFlags) usesTLS() bool {
	return t.tls || t.caFile != "" || t.certFile != "" || t.keyFile != "" || t.serverName != ""
}

// unsafe lists the settings a production process must not run with.
func (t *temporalFlags) unsafe() []string {
	var out []string
	if !t.usesTLS() && !loopback(t.address) {
		out = append(out, fmt.Sprintf("the Temporal frontend %s is not on this machine and the connection is not TLS (give --tls, --tls-ca, --tls-cert/--tls-key)", t.address))
	}
	if t.codecKeys == "" {
		out = append(out, "no payload codec key (--codec-keys FILE): citizens' personal data would rest in plaintext in Temporal's history")
	}
	return out
}

// refuseUnsafe fails with every unsafe setting unless --allow-insecure.
func refuseUnsafe(command string, problems []string, allow bool, log *slog.Logger) error {
	if len(problems) == 0 {
		return nil
	}
	if allow {
		for _, p := range problems {
			log.Warn("unsafe setting allowed by --allow-insecure", "problem", p)
		}
		return nil
	}
	return usageError{fmt.Errorf("%s refuses to start with unsafe settings (add --allow-insecure to start anyway, e.g. on a test machine):\n  - %s",
		command, strings.Join(problems, "\n  - "))}
}

// dial connects to Temporal as the flags say, with the request-ID
// propagator and the payload codec; it returns the codec too (nil without
// a key file).
func (t *temporalFlags) dial(log *slog.Logger) (client.Client, *codec.Codec, error) {
	opts := client.Options{HostPort: t.address, Namespace: t.namespace,
		Logger:             sdklog.NewStructuredLogger(log.With("component", "temporal-client")),
		ContextPropagators: []workflow.ContextPropagator{reqid.Propagator()},
		DataConverter:      converter.GetDefaultDataConverter()}
	var pc *codec.Codec
	if t.codecKeys != "" {
		ring, err := codec.LoadKeyFile(t.codecKeys)
		if err != nil {
			return nil, nil, err
		}
		pc, opts.DataConverter = codec.New(ring), codec.DataConverter(ring)
	}
	if t.usesTLS() {
		cfg, err := t.tlsConfig()
		if err != nil {
			return nil, nil, err
		}
		opts.ConnectionOptions.TLS = cfg
	}
	if t.apiKeyFile != "" {
		key, err := readSecret("api-key-file", t.apiKeyFile)
		if err != nil {
			return nil, nil, err
		}
		opts.Credentials = client.NewAPIKeyStaticCredentials(strings.TrimSpace(string(key)))
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", t.address, t.namespace, err)
	}
	return c, pc, nil
}

// tlsConfig builds the TLS configuration of the flags.
func (t *temporalFlags) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.serverName}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(t.address)
		if err != nil {
			return nil, usageError{fmt.Errorf("--temporal-address %q: want host:port", t.address)}
		}
		cfg.ServerName = host
	}
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError{fmt.Errorf("--tls-ca %s holds no PEM certificate", t.caFile)}
		}
		cfg.RootCAs = pool
	}
	switch {
	case t.certFile != "" && t.keyFile != "":
		cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case t.certFile != "" || t.keyFile != "":
		return nil, usageError{errors.New("mutual TLS needs both --tls-cert and --tls-key")}
	}
	return cfg, nil
}

// envName is the environment variable of a flag: MOTCUA_ and its name in
// capitals, dashes as underscores.
func envName(flag string) string {
	return "MOTCUA_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagDefaults fills the flags not given on the command line from the
// environment (MOTCUA_<FLAG>, e.g. MOTCUA_TEMPORAL_ADDRESS) and then from
// the YAML file of --config (MOTCUA_CONFIG), whose keys are flag names:
//
//	temporal-address: temporal.internal:7233
//	tls-ca: /etc/motcua/ca.pem
//	codec-keys: /etc/motcua/codec-keys.yaml
//	queues: [dossiers, ubnd_xa]
//
// The command line wins over the environment, which wins over the file.
func flagDefaults(fl *pflag.FlagSet) error {
	if err := envDefaults(fl); err != nil {
		return err
	}
	cf := fl.Lookup("config")
	if cf == nil || cf.Value.String() == "" {
		return nil
	}
	path := cf.Value.String()
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("--config %s:%d:%d: want a mapping of flag names to values", path, root.Line, root.Column)
	}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := fmt.Sprintf("%s:%d:%d", path, k.Line, k.Column)
		f := fl.Lookup(k.Value)
		if f == nil || k.Value == "config" {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q (the keys are the flags of this command, see --help)", at, k.Value))
			continue
		}
		value := v.Value
		switch v.Kind {
		case yaml.ScalarNode:
		case yaml.SequenceNode:
			items := make([]string, len(v.Content))
			for j, it := range v.Content {
				items[j] = it.Value
			}
			value = strings.Join(items, ",")
		default:
			errs = append(errs, fmt.Errorf("%s: %q takes a value or a list", at, k.Value))
			continue
		}
		if _, env := os.LookupEnv(envName(f.Name)); f.Changed || env {
			continue // the command line or the environment said it
		}
		if err := f.Value.Set(value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", at, k.Value, err))
			continue
		}
		f.Changed = true
	}
	return errors.Join(errs...)
}

// codecOf returns a codec as the payload codec the API serves, nil when
// there is none (a typed nil would look set).
func codecOf(c *codec.Codec) converter.PayloadCodec {
	if c == nil {
		return nil
	}
	return c
}

// newLogger returns the logger of a long-running command at --log-level:
// JSON lines for the cluster's log collectors, or text for a terminal,
// each with the request ID of what it logs (internal/reqid).
func newLogger(w io.Writer, level string, json bool) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("unknown --log-level %q (use debug, info, warn or error)", level)}
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if json {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(reqid.LogHandler{Handler: h}), nil
}
