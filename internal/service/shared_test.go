package service_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
)

// The nodes of a cluster, each with a data folder of its own, share the
// uploaded files and the signed results through the read model (--blobs
// database): a file uploaded through the API node of folder A and a
// result issued by the worker of folder B are read back by the API node
// of folder C, and no folder keeps either.
func TestFilesAndResultsSharedThroughTheDatabase(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	signer, err := signing.EnsureAgencyCertificate(filepath.Join(env.DataDir, "keys"), "UBND xã Thử Nghiệm")
	require.NoError(t, err)

	for _, tc := range []struct {
		name, tag string // the tag keeps the dossier codes of the cases apart
		dsn       func(t *testing.T) string
	}{
		{"SQLite", "SQ", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shared.db") }},
		{"PostgreSQL", "PG", func(t *testing.T) string { return indicatorstest.PostgresDSN(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn(t)
			open := func(t *testing.T) *store.Store {
				st, err := store.Open(ctx(t), dsn)
				require.NoError(t, err)
				t.Cleanup(func() { st.Close() })
				return st
			}
			apiNode := func(t *testing.T, data string) *service.Service {
				st := open(t)
				files, where, err := worker.FileStore(worker.BlobsDatabase, data, st)
				require.NoError(t, err)
				require.Equal(t, "the read model database", where)
				results, _, err := worker.ResultStore(worker.BlobsDatabase, data, st)
				require.NoError(t, err)
				svc, err := service.New(service.Options{Client: env.Client, Store: st, Catalog: env.Catalog,
					Files: files, Results: results, Roots: env.Roots,
					CodeFormat: func(agency string, day time.Time, n int) string {
						return service.DefaultCodeFormat(agency+tc.tag, day, n)
					}})
				require.NoError(t, err)
				return svc
			}
			a, b, c := t.TempDir(), t.TempDir(), t.TempDir()

			// Node A receives the dossier and its files.
			st, err := apiNode(t, a).Submit(ctx(t), birthRequest())
			require.NoError(t, err)

			// Worker B issues its result.
			results, where, err := worker.ResultStore(worker.BlobsDatabase, b, open(t))
			require.NoError(t, err)
			require.Equal(t, "the read model database", where)
			issuer, err := signing.NewIssuerWith(results, signer)
			require.NoError(t, err)
			res, err := issuer.Issue(ctx(t), activities.SignRequest{Code: st.Code, N: 1, Procedure: birth,
				Result: definitions.Result{Kind: "document", Name: "Giấy khai sinh"}, Applicant: applicant,
				SignedBy: officer("chu_tich"), At: time.Now()})
			require.NoError(t, err)

			// Node C reads both.
			svcC := apiNode(t, c)
			f, ref, err := svcC.OpenFile(ctx(t), st.Code, sha(servicetest.PDF))
			require.NoError(t, err)
			data, err := io.ReadAll(f)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			require.Equal(t, servicetest.PDF, data)
			require.Equal(t, "to_khai.pdf", ref.Name)

			doc, sig, err := svcC.OpenResult(ctx(t), res.Code)
			require.NoError(t, err)
			docData, err := io.ReadAll(doc)
			require.NoError(t, err)
			require.NoError(t, doc.Close())
			require.Equal(t, res.SHA256, sha(docData))
			require.NotEmpty(t, sig)
			v, err := svcC.VerifyResult(ctx(t), res.Code)
			require.NoError(t, err)
			require.True(t, v.Trusted)
			require.Equal(t, res.SHA256, v.SHA256)

			_, _, err = svcC.OpenResult(ctx(t), st.Code+"-KQ2")
			require.ErrorIs(t, err, service.ErrNotFound)
			require.EqualError(t, err, "result "+st.Code+"-KQ2: not found")

			// The data folders keep nothing: A and C only an empty
			// staging folder.
			for _, dir := range []string{a, b, c} {
				var kept []string
				require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						kept = append(kept, p)
					}
					return err
				}))
				require.Empty(t, kept, dir)
			}
			require.DirExists(t, filepath.Join(a, worker.StagingDir))
		})
	}
}
