package service_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/blobstore"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
)

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestOpenFile(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service
	birthSt, err := svc.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	other, err := svc.Submit(ctx(t), lienThongRequest()) // its giay_chung_sinh is the same PDF as the birth's to_khai
	require.NoError(t, err)

	read := func(code, hash string) ([]byte, dossier.ComponentRef) {
		t.Helper()
		f, ref, err := svc.OpenFile(ctx(t), code, hash)
		require.NoError(t, err)
		defer f.Close()
		data, err := io.ReadAll(f)
		require.NoError(t, err)
		return data, ref
	}
	data, ref := read(birthSt.Code, sha(servicetest.PNG))
	require.Equal(t, servicetest.PNG, data)
	require.Equal(t, dossier.ComponentRef{ID: "giay_chung_sinh", SHA256: sha(servicetest.PNG), Name: "giay_chung_sinh.png",
		Size: int64(len(servicetest.PNG))}, ref)
	data, ref = read(other.Code, sha(servicetest.PDF))
	require.Equal(t, servicetest.PDF, data)
	require.Equal(t, "gcs.pdf", ref.Name, "the name the dossier gave the file")

	for _, tc := range []struct{ name, code, hash, msg string }{
		{"a file of another dossier", other.Code, sha(servicetest.PNG), "dossier " + other.Code + " holds no file " + sha(servicetest.PNG) + ": not found"},
		{"a file nobody uploaded", birthSt.Code, sha([]byte("nothing")), "dossier " + birthSt.Code + " holds no file " + sha([]byte("nothing")) + ": not found"},
		{"uppercase", birthSt.Code, strings.ToUpper(sha(servicetest.PNG)), ""},
		{"path", birthSt.Code, "../read.db", `"../read.db" is not a file hash (64 lowercase hex digits): not found`},
		{"too short", birthSt.Code, sha(servicetest.PNG)[:63], ""},
		{"a re-used component has no hash", birthSt.Code, "", ""},
		{"unknown dossier", "UBND_XA-250101-9999", sha(servicetest.PNG), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, err := svc.OpenFile(ctx(t), tc.code, tc.hash)
			require.Nil(t, f)
			require.ErrorIs(t, err, service.ErrNotFound)
			if tc.msg != "" {
				require.EqualError(t, err, tc.msg)
			}
		})
	}

	// A store of one's own takes the place of FilesDir.
	own, err := blobstore.NewFS(filepath.Join(t.TempDir(), "blobs"))
	require.NoError(t, err)
	custom, err := service.New(service.Options{Client: env.Client, Store: env.Store, Catalog: env.Catalog,
		Files: own, FilesDir: filepath.Join(env.DataDir, "unused")})
	require.NoError(t, err)
	req := birthRequest()
	jpg := append(append([]byte{}, servicetest.JPG...), "own store"...)
	req.Components[1] = service.Upload{ID: "giay_chung_sinh", FileName: "gcs.jpg", Data: bytes.NewReader(jpg)}
	st, err := custom.Submit(ctx(t), req)
	require.NoError(t, err)
	f, size, err := own.Open(ctx(t), sha(jpg))
	require.NoError(t, err)
	f.Close()
	require.Equal(t, int64(len(jpg)), size)
	require.NoDirExists(t, filepath.Join(env.DataDir, "unused"))
	_, _, err = svc.OpenFile(ctx(t), st.Code, sha(jpg))
	require.ErrorIs(t, err, service.ErrNotFound, "the other service's store does not hold it")
	f2, _, err := custom.OpenFile(ctx(t), st.Code, sha(jpg))
	require.NoError(t, err)
	f2.Close()
}

func TestOpenResult(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service
	results := filepath.Join(env.DataDir, "results")
	require.NoError(t, os.MkdirAll(results, 0o750))
	code := agencyCode + "-250701-0001-KQ1"
	doc, sig := service.ResultPaths(results, code)
	require.NoError(t, os.WriteFile(doc, []byte(`{"so":"1"}`), 0o600))
	require.NoError(t, os.WriteFile(sig, []byte(`{"alg":"x"}`), 0o600))

	f, gotSig, err := svc.OpenResult(ctx(t), " "+code+" ")
	require.NoError(t, err)
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Equal(t, `{"so":"1"}`, string(data))
	require.Equal(t, `{"alg":"x"}`, string(gotSig))

	// A document without its signature, a signature without its
	// document, a folder where the document should be.
	onlyDoc, _ := service.ResultPaths(results, "A-250701-0002-KQ1")
	require.NoError(t, os.WriteFile(onlyDoc, []byte("{}"), 0o600))
	_, onlySig := service.ResultPaths(results, "A-250701-0003-KQ1")
	require.NoError(t, os.WriteFile(onlySig, []byte("{}"), 0o600))
	dirDoc, dirSig := service.ResultPaths(results, "A-250701-0004-KQ1")
	require.NoError(t, os.Mkdir(dirDoc, 0o750))
	require.NoError(t, os.WriteFile(dirSig, []byte("{}"), 0o600))
	// A file a path trick would reach.
	require.NoError(t, os.WriteFile(filepath.Join(env.DataDir, "x.json"), []byte("{}"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(env.DataDir, "x.sig.json"), []byte("{}"), 0o600))

	for _, tc := range []struct{ code, msg string }{
		{"", `"" is not a result code (<dossier code>-KQ<n>): not found`},
		{"   ", `"" is not a result code (<dossier code>-KQ<n>): not found`},
		{"../x", `"../x" is not a result code (<dossier code>-KQ<n>): not found`},
		{`..\x`, `"..\\x" is not a result code (<dossier code>-KQ<n>): not found`},
		{"a/../../x", `"a/../../x" is not a result code (<dossier code>-KQ<n>): not found`},
		{"/etc/passwd", `"/etc/passwd" is not a result code (<dossier code>-KQ<n>): not found`},
		{".hidden-KQ1", `".hidden-KQ1" is not a result code (<dossier code>-KQ<n>): not found`},
		{code + "\x00", `"` + code + `\x00" is not a result code (<dossier code>-KQ<n>): not found`},
		{"A-250701-0002-KQ1", "result A-250701-0002-KQ1: not found"},
		{"A-250701-0003-KQ1", "result A-250701-0003-KQ1: not found"},
		{"A-250701-0004-KQ1", "result A-250701-0004-KQ1: not found"},
		{code[:len(code)-1] + "9", ""},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f, sig, err := svc.OpenResult(ctx(t), tc.code)
			require.Nil(t, f)
			require.Nil(t, sig)
			require.ErrorIs(t, err, service.ErrNotFound)
			if tc.msg != "" {
				require.EqualError(t, err, tc.msg)
			}
			if strings.Contains(tc.msg, "is not a result code") {
				// VerifyResult makes the same checks.
				_, err = svc.VerifyResult(ctx(t), tc.code)
				require.ErrorIs(t, err, service.ErrNotFound)
				require.EqualError(t, err, tc.msg)
			}
		})
	}
}
