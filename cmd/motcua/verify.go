package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
)

func newVerifyCmd(s streams) *cobra.Command {
	var (
		data, db, rootsFile, format string
	)
	cmd := &cobra.Command{
		Use:   "verify RESULT_CODE_OR_FILE",
		Short: "Check the digital signature of an electronic result",
		Long: `verify checks the agency's digital signature of an electronic result
(Decree 45/2020: it has the value of the paper result): that the document is
the one signed, unchanged, and that the signature was made with the key of
the certificate it carries, valid at the signing time.

Give a result code (<dossier code>-KQ<n>) or the path of a result document
(<code>.json, its signature <code>.sig.json next to it). A code is looked up
in DATA/results, then in the read model (--db, by default DATA/read.db when
it exists), where a cluster keeps its results with --blobs database. The certificate is checked against --roots (PEM), by default the
engine's own agency certificate DATA/keys/agency-cert.pem when present;
without roots the signature is checked but the signer is not trusted.

Exit status 0 when the signature is good, 1 otherwise.`,
		Example: `  motcua verify UBND_XA-250701-0001-KQ1
  motcua verify ./UBND_XA-250701-0001-KQ1.json --roots so-tttt-root.pem`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("verify needs one result code or file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			var roots *x509.CertPool
			if rootsFile == "" {
				if p := filepath.Join(data, worker.KeysDir, signing.CertFile); fileExists(p) {
					rootsFile = p
				}
			}
			if rootsFile != "" {
				var err error
				if roots, err = signing.LoadRoots(rootsFile); err != nil {
					return err
				}
			}
			arg := args[0]
			folder := filepath.Join(data, worker.ResultsDir)
			doc, sig := service.ResultPaths(folder, arg)
			var (
				v   signing.VerifiedSignature
				err error
			)
			switch {
			case fileExists(arg):
				doc = arg
				if strings.HasSuffix(arg, ".sig.json") {
					doc = strings.TrimSuffix(arg, ".sig.json") + ".json"
				}
				sig = strings.TrimSuffix(doc, ".json") + ".sig.json"
				v, err = signing.VerifyFiles(doc, sig, roots)
			case fileExists(sig):
				v, err = signing.VerifyFiles(doc, sig, roots)
			default:
				var (
					rawDoc, rawSig []byte
					where          string
				)
				rawDoc, rawSig, where, err = resultInReadModel(cmd.Context(), data, db, arg)
				if errors.Is(err, signing.ErrResultNotFound) {
					if where != "" {
						where = ", nor in the read model " + where
					}
					return fmt.Errorf("no result %s: neither a file nor a result in %s%s", arg, folder, where)
				}
				if err != nil {
					return err
				}
				doc = arg + " (read model " + where + ")"
				if v, err = signing.VerifyEncoded(rawDoc, rawSig, roots); err != nil {
					err = fmt.Errorf("%s: %w", doc, err)
				}
			}
			if err != nil {
				fmt.Fprintf(s.err, "motcua: signature NOT valid: %v\n", err)
				return exitError{code: 1}
			}
			if format == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(s.out, "Chữ ký hợp lệ: %s\n", doc)
			fmt.Fprintf(s.out, "  Ký bởi:     %s\n", v.Signer)
			fmt.Fprintf(s.out, "  Ký lúc:     %s\n", timeVN(v.SignedAt))
			fmt.Fprintf(s.out, "  Thuật toán: %s\n", v.Algorithm)
			fmt.Fprintf(s.out, "  SHA-256:    %s\n", v.SHA256)
			if v.Trusted {
				fmt.Fprintf(s.out, "  Chứng thư:  tin cậy (theo %s)\n", rootsFile)
			} else {
				fmt.Fprintln(s.out, "  Chứng thư:  chưa kiểm tra với chứng thư gốc tin cậy (give --roots)")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", ".motcua", "data folder of the engine (results in DATA/results)")
	f.StringVar(&db, "db", "", "read model DSN to look results up in when DATA/results has none (a postgres:// URL or a SQLite file; default DATA/read.db when it exists)")
	f.StringVar(&rootsFile, "roots", "", "PEM file of trusted root certificates (default: DATA/keys/agency-cert.pem if present)")
	formatFlag(cmd, &format)
	return cmd
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// resultInReadModel reads a result from the read model at dsn, by
// default DATA/read.db when it exists, and says which it read (redacted).
// A result it does not find, or no read model, is
// signing.ErrResultNotFound.
func resultInReadModel(ctx context.Context, data, dsn, code string) (doc, sig []byte, where string, err error) {
	if dsn == "" {
		dsn = filepath.Join(data, worker.ReadModelDB)
		if !fileExists(dsn) {
			return nil, nil, "", fmt.Errorf("result %s: %w", code, signing.ErrResultNotFound)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, "", err
	}
	defer st.Close()
	doc, sig, err = signing.NewResultDB(st).Get(ctx, code)
	return doc, sig, redact(dsn), err
}
