package signing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// resultStoreKinds are the ResultStores the contract tests run against;
// setup returns one, and a function that opens another over the same
// storage, as another process would. The PostgreSQL one skips without
// MOTCUA_TEST_POSTGRES.
var resultStoreKinds = []struct {
	name  string
	setup func(t *testing.T) (ResultStore, func(t *testing.T) ResultStore)
}{
	{"folder", func(t *testing.T) (ResultStore, func(t *testing.T) ResultStore) {
		dir := filepath.Join(t.TempDir(), "results")
		return NewResultFolder(dir), func(*testing.T) ResultStore { return NewResultFolder(dir) }
	}},
	{"database/SQLite", func(t *testing.T) (ResultStore, func(t *testing.T) ResultStore) {
		return dbResults(t, filepath.Join(t.TempDir(), "read.db"))
	}},
	{"database/PostgreSQL", func(t *testing.T) (ResultStore, func(t *testing.T) ResultStore) {
		return dbResults(t, indicatorstest.PostgresDSN(t))
	}},
}

func dbResults(t *testing.T, dsn string) (ResultStore, func(t *testing.T) ResultStore) {
	open := func(t *testing.T) ResultStore {
		st, err := store.Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return NewResultDB(st)
	}
	return open(t), open
}

// eachResultStore runs a contract test against every ResultStore, in
// parallel.
func eachResultStore(t *testing.T, test func(t *testing.T, rs ResultStore, another func(t *testing.T) ResultStore)) {
	t.Helper()
	t.Parallel()
	for _, k := range resultStoreKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			rs, another := k.setup(t)
			test(t, rs, another)
		})
	}
}

func TestResultStore(t *testing.T) {
	eachResultStore(t, func(t *testing.T, rs ResultStore, another func(t *testing.T) ResultStore) {
		ctx := context.Background()
		code := "000.00.18.H57-250304-0001-KQ1"
		_, _, err := rs.Get(ctx, code)
		require.ErrorIs(t, err, ErrResultNotFound)
		require.EqualError(t, err, "result "+code+": result not found")

		doc, sig := []byte(`{"ma_ket_qua":"1"}`), []byte(`{"sig":"first"}`)
		stored, err := rs.Put(ctx, code, doc, sig)
		require.NoError(t, err)
		require.Equal(t, sig, stored)
		gotDoc, gotSig, err := rs.Get(ctx, code)
		require.NoError(t, err)
		require.Equal(t, doc, gotDoc)
		require.Equal(t, sig, gotSig)

		// The same document again, here or from another process: the
		// stored signature is kept and returned.
		for _, s := range []ResultStore{rs, another(t)} {
			stored, err = s.Put(ctx, code, doc, []byte(`{"sig":"second"}`))
			require.NoError(t, err)
			require.Equal(t, sig, stored)
		}
		_, gotSig, err = rs.Get(ctx, code)
		require.NoError(t, err)
		require.Equal(t, sig, gotSig)

		// Another document under the same code is refused.
		_, err = rs.Put(ctx, code, []byte(`{"ma_ket_qua":"2"}`), []byte(`{"sig":"third"}`))
		require.ErrorIs(t, err, ErrResultConflict)
		require.ErrorContains(t, err, "result "+code+" was already issued with a different document (")
		require.ErrorContains(t, err, "); issue the new one under another number")
		gotDoc, _, err = rs.Get(ctx, code)
		require.NoError(t, err)
		require.Equal(t, doc, gotDoc)

		// Codes that cannot be a result's find nothing and store nothing.
		for _, bad := range []string{"", "x", "../x-KQ1", "A/B-KQ1", `A\B-KQ1`, ".h-KQ1", "A-KQ", "A-KQ0", "A-KQ01",
			"A-KQ1x", "-KQ1", "A B-KQ1", code + "\x00", "A-KQ1234567890"} {
			_, _, err := rs.Get(ctx, bad)
			require.ErrorIs(t, err, ErrResultNotFound, "%q", bad)
			_, err = rs.Put(ctx, bad, doc, sig)
			require.ErrorContains(t, err, "is not a result code", "%q", bad)
		}
	})
}

func TestResultFolderLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "results")
	rs := NewResultFolder(dir)
	require.Equal(t, dir, rs.Dir())
	code := "A-250701-0001-KQ1"
	_, _, err := rs.Get(ctx, code)
	require.ErrorIs(t, err, ErrResultNotFound, "no folder yet")
	require.NoDirExists(t, dir)

	_, err = rs.Put(ctx, code, []byte("doc"), []byte("sig"))
	require.NoError(t, err)
	docPath, sigPath := rs.Paths(code)
	require.Equal(t, filepath.Join(dir, code+".json"), docPath)
	require.Equal(t, filepath.Join(dir, code+".sig.json"), sigPath)
	for _, p := range []string{docPath, sigPath} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	}

	// A document without its signature, a signature without its document,
	// a folder in the place of a document: nothing stored.
	onlyDoc, _ := rs.Paths("A-250701-0002-KQ1")
	require.NoError(t, os.WriteFile(onlyDoc, []byte("{}"), 0o600))
	_, onlySig := rs.Paths("A-250701-0003-KQ1")
	require.NoError(t, os.WriteFile(onlySig, []byte("{}"), 0o600))
	dirDoc, dirSig := rs.Paths("A-250701-0004-KQ1")
	require.NoError(t, os.Mkdir(dirDoc, 0o750))
	require.NoError(t, os.WriteFile(dirSig, []byte("{}"), 0o600))
	for _, c := range []string{"A-250701-0002-KQ1", "A-250701-0003-KQ1", "A-250701-0004-KQ1"} {
		_, _, err := rs.Get(ctx, c)
		require.ErrorIs(t, err, ErrResultNotFound, c)
	}
	// The document alone, left by an interrupted Put, is replaced.
	_, err = rs.Put(ctx, "A-250701-0002-KQ1", []byte("new"), []byte("sig"))
	require.NoError(t, err)
	doc, _, err := rs.Get(ctx, "A-250701-0002-KQ1")
	require.NoError(t, err)
	require.Equal(t, []byte("new"), doc)
}

// Many puts of one result at once, through two stores on the same storage
// (two workers), end with one stored result that every put returns.
func TestResultStoreRacingPuts(t *testing.T) {
	eachResultStore(t, func(t *testing.T, rs ResultStore, another func(t *testing.T) ResultStore) {
		ctx := context.Background()
		stores := []ResultStore{rs, another(t)}
		code, doc := "A-250701-0001-KQ1", []byte(`{"ma_ket_qua":"A-250701-0001-KQ1"}`)
		const n = 16
		got := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				got[i], errs[i] = stores[i%2].Put(ctx, code, doc, fmt.Appendf(nil, `{"sig":%d}`, i))
			})
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, got[0], got[i])
		}
		_, sig, err := rs.Get(ctx, code)
		require.NoError(t, err)
		require.Equal(t, got[0], sig)
	})
}

// Two workers, each with its own issuer over the same storage, issuing
// the same result at once: one result is stored and both return it.
func TestIssuersRacing(t *testing.T) {
	s := testSigner(t, tayNinh)
	eachResultStore(t, func(t *testing.T, rs ResultStore, another func(t *testing.T) ResultStore) {
		ctx := context.Background()
		var issuers []*Issuer
		for _, st := range []ResultStore{rs, another(t)} {
			is, err := NewIssuerWith(st, s)
			require.NoError(t, err)
			issuers = append(issuers, is)
		}
		r := birthRequest()
		results := make([]dossier.Result, 8)
		errs := make([]error, len(results))
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { results[i], errs[i] = issuers[i%2].Issue(ctx, r) })
		}
		wg.Wait()
		for i := range results {
			require.NoError(t, errs[i])
			require.Equal(t, results[0], results[i])
		}

		doc, sig, err := rs.Get(ctx, results[0].Code)
		require.NoError(t, err)
		require.Equal(t, hexSum(doc), results[0].SHA256)
		v, err := VerifyEncoded(doc, sig, s.CertPool())
		require.NoError(t, err)
		require.True(t, v.Trusted)
		require.True(t, v.SignedAt.Equal(results[0].SignedAt))

		// The same number with other content is refused.
		other := r
		other.Result.Name = "Trích lục khai sinh"
		_, err = issuers[1].Issue(ctx, other)
		require.ErrorIs(t, err, ErrResultConflict)
	})
}

func TestNewIssuerWith(t *testing.T) {
	t.Parallel()
	_, err := NewIssuerWith(nil, testSigner(t, tayNinh))
	require.EqualError(t, err, "result issuer: no result store")
	_, err = NewIssuerWith(NewResultFolder(t.TempDir()), nil)
	require.EqualError(t, err, "result issuer: no signer")
}
