package blobstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/blobstore"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// testBundle is a Store under test and what the tests read of its
// storage.
type testBundle struct {
	ctx context.Context
	st  blobstore.Store
	// dir is an FS's folder; "" for a DB.
	dir string
	// tmp is the folder of staged blobs.
	tmp string
	// another returns a second store over the same storage, as another
	// process would open it.
	another func(tb testing.TB) blobstore.Store
	// stored lists the hashes of the stored blobs, sorted.
	stored func(tb testing.TB) []string
}

// storeKinds are the implementations the contract tests run against; the
// PostgreSQL one skips without MOTCUA_TEST_POSTGRES.
var storeKinds = []struct {
	name  string
	setup func(t *testing.T) *testBundle
}{
	{"FS", fsBundle},
	{"DB/SQLite", func(t *testing.T) *testBundle {
		path := filepath.Join(t.TempDir(), "read.db")
		raw, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		return dbBundle(t, path, raw)
	}},
	{"DB/PostgreSQL", func(t *testing.T) *testBundle {
		dsn := indicatorstest.PostgresDSN(t)
		raw, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		return dbBundle(t, dsn, raw)
	}},
}

// eachStore runs a contract test against every implementation, in
// parallel.
func eachStore(t *testing.T, test func(t *testing.T, b *testBundle)) {
	t.Helper()
	t.Parallel()
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			test(t, k.setup(t))
		})
	}
}

func fsBundle(t *testing.T) *testBundle {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "files")
	fs, err := blobstore.NewFS(dir)
	require.NoError(t, err)
	return &testBundle{ctx: context.Background(), st: fs, dir: dir, tmp: filepath.Join(dir, blobstore.TmpDir),
		another: func(tb testing.TB) blobstore.Store {
			again, err := blobstore.NewFS(dir)
			require.NoError(tb, err)
			return again
		},
		stored: func(tb testing.TB) []string {
			var out []string
			for _, f := range listFiles(tb, dir) {
				if !strings.HasPrefix(f, blobstore.TmpDir+"/") {
					out = append(out, filepath.Base(f))
				}
			}
			slices.Sort(out)
			return out
		}}
}

// dbBundle sets up a DB over the read model at dsn; raw reaches the same
// database, to list its rows.
func dbBundle(t *testing.T, dsn string, raw *sql.DB) *testBundle {
	t.Helper()
	t.Cleanup(func() { raw.Close() })
	open := func(tb testing.TB) *blobstore.DB {
		st, err := store.Open(context.Background(), dsn)
		require.NoError(tb, err)
		tb.Cleanup(func() { st.Close() })
		db, err := blobstore.NewDB(st, filepath.Join(t.TempDir(), "staging"))
		require.NoError(tb, err)
		return db
	}
	db := open(t)
	return &testBundle{ctx: context.Background(), st: db, tmp: db.StagingDir(),
		another: func(tb testing.TB) blobstore.Store { return open(tb) },
		stored: func(tb testing.TB) []string {
			var blobs, pieces []string
			for q, dst := range map[string]*[]string{
				`SELECT sha256 FROM blobs ORDER BY sha256`:                &blobs,
				`SELECT DISTINCT sha256 FROM blob_chunks ORDER BY sha256`: &pieces,
			} {
				rows, err := raw.Query(q)
				require.NoError(tb, err)
				for rows.Next() {
					var h string
					require.NoError(tb, rows.Scan(&h))
					*dst = append(*dst, h)
				}
				require.NoError(tb, rows.Err())
				rows.Close()
			}
			// Every stored blob but the empty one has pieces, and no
			// piece outlives its blob.
			withContent := slices.DeleteFunc(slices.Clone(blobs), func(h string) bool { return h == hashOf(nil) })
			require.Equal(tb, withContent, pieces, "the blobs with pieces")
			return blobs
		}}
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (b *testBundle) stage(tb testing.TB, data []byte) *blobstore.Staged {
	tb.Helper()
	s, err := b.st.Stage(b.ctx, bytes.NewReader(data), 1<<20)
	require.NoError(tb, err)
	return s
}

// read opens a blob and returns its content, checking the size Open gives.
func (b *testBundle) read(tb testing.TB, sha string) []byte {
	tb.Helper()
	f, size, err := b.st.Open(b.ctx, sha)
	require.NoError(tb, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(tb, err)
	require.Equal(tb, int64(len(data)), size)
	return data
}

func (b *testBundle) requireAbsent(tb testing.TB, sha string) {
	tb.Helper()
	_, _, err := b.st.Open(b.ctx, sha)
	require.ErrorIs(tb, err, blobstore.ErrNotFound)
}

// staged lists the staged files left.
func (b *testBundle) staged(tb testing.TB) []string {
	tb.Helper()
	return listFiles(tb, b.tmp)
}

// requireEmpty checks that nothing is stored and nothing left staged.
func (b *testBundle) requireEmpty(tb testing.TB) {
	tb.Helper()
	require.Empty(tb, b.stored(tb), "stored")
	require.Empty(tb, b.staged(tb), "staged")
}

// listFiles lists the regular files under dir, relative to it; none when
// dir does not exist.
func listFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if !errors.Is(err, os.ErrNotExist) {
		require.NoError(tb, err)
	}
	return out
}

func TestNewFSLayout(t *testing.T) {
	t.Parallel()
	b := fsBundle(t)
	for _, d := range []string{b.dir, filepath.Join(b.dir, blobstore.TmpDir)} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		require.True(t, fi.IsDir())
		require.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	}
	_, err := blobstore.NewFS("")
	require.EqualError(t, err, "blobstore: no folder given")

	// A staged blob is a file in .tmp; a committed one <sha[:2]>/<sha>.
	s := b.stage(t, []byte("%PDF-1.4\n"))
	require.Len(t, b.staged(t), 1)
	require.NoError(t, b.st.Commit(b.ctx, s))
	require.Equal(t, []string{s.SHA256[:2] + "/" + s.SHA256}, listFiles(t, b.dir), "nothing left in .tmp")
	b.st.Discard(b.ctx, false, s)
}

func TestNewDB(t *testing.T) {
	t.Parallel()
	_, err := blobstore.NewDB(nil, t.TempDir())
	require.EqualError(t, err, "blobstore: no table given")

	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	db, err := blobstore.NewDB(st, "")
	require.NoError(t, err)
	require.Equal(t, os.TempDir(), db.StagingDir())

	tmp := filepath.Join(t.TempDir(), "a", "staging")
	db, err = blobstore.NewDB(st, tmp)
	require.NoError(t, err)
	fi, err := os.Stat(tmp)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	require.Equal(t, tmp, db.StagingDir())
}

func TestRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		data := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 1000)...)
		s := b.stage(t, data)
		require.Equal(t, hashOf(data), s.SHA256)
		require.Equal(t, int64(len(data)), s.Size)
		require.Equal(t, data[:blobstore.HeadSize], s.Head)
		require.False(t, s.Created())

		// Staged is invisible.
		b.requireAbsent(t, s.SHA256)
		require.Empty(t, b.stored(t))
		require.Len(t, b.staged(t), 1)

		require.NoError(t, b.st.Commit(b.ctx, s))
		require.True(t, s.Created())
		require.Equal(t, data, b.read(t, s.SHA256))
		require.Equal(t, []string{s.SHA256}, b.stored(t))
		require.Empty(t, b.staged(t), "nothing left staged")

		// Committing again does nothing; discarding without undo keeps it.
		require.NoError(t, b.st.Commit(b.ctx, s))
		b.st.Discard(b.ctx, false, s)
		b.st.Discard(b.ctx, true, s) // already discarded: ignored
		require.Equal(t, data, b.read(t, s.SHA256))

		// Seekable.
		f, _, err := b.st.Open(b.ctx, s.SHA256)
		require.NoError(t, err)
		defer f.Close()
		_, err = f.Seek(5, io.SeekStart)
		require.NoError(t, err)
		rest, err := io.ReadAll(f)
		require.NoError(t, err)
		require.Equal(t, data[5:], rest)
	})
}

// A blob of several of a DB's pieces reads back whole, from anywhere.
func TestLargeBlob(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		data := make([]byte, 2*store.BlobChunkSize+store.BlobChunkSize/2+7)
		_, _ = rand.Read(data)
		s, err := b.st.Stage(b.ctx, bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		require.NoError(t, b.st.Commit(b.ctx, s))
		b.st.Discard(b.ctx, false, s)
		require.Equal(t, data, b.read(t, s.SHA256))

		f, size, err := b.st.Open(b.ctx, s.SHA256)
		require.NoError(t, err)
		require.Equal(t, int64(len(data)), size)
		for _, off := range []int64{0, 1, store.BlobChunkSize - 1, store.BlobChunkSize, 2*store.BlobChunkSize + 3, size - 1} {
			pos, err := f.Seek(off, io.SeekStart)
			require.NoError(t, err)
			require.Equal(t, off, pos)
			buf := make([]byte, 10)
			n, err := io.ReadFull(f, buf)
			if off+10 > size {
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, data[off:off+int64(n)], buf[:n], "at %d", off)
		}
		pos, err := f.Seek(-3, io.SeekEnd)
		require.NoError(t, err)
		require.Equal(t, size-3, pos)
		tail, err := io.ReadAll(f)
		require.NoError(t, err)
		require.Equal(t, data[size-3:], tail)
		_, err = f.Seek(size+10, io.SeekStart)
		require.NoError(t, err)
		n, err := f.Read(make([]byte, 1))
		require.Zero(t, n)
		require.ErrorIs(t, err, io.EOF, "past the end")
		_, err = f.Seek(-1, io.SeekStart)
		require.Error(t, err)
		require.NoError(t, f.Close())
		_, err = f.Read(make([]byte, 1))
		require.Error(t, err, "closed")
	})
}

func TestShortAndEmptyBlobs(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		s := b.stage(t, []byte("ab"))
		require.Equal(t, []byte("ab"), s.Head)
		empty := b.stage(t, nil)
		require.Zero(t, empty.Size)
		require.Empty(t, empty.Head)
		require.Equal(t, hashOf(nil), empty.SHA256)
		b.st.Discard(b.ctx, false, s, empty, nil)
		b.requireEmpty(t)

		// The empty blob is stored, and reads empty.
		empty = b.stage(t, nil)
		require.NoError(t, b.st.Commit(b.ctx, empty))
		b.st.Discard(b.ctx, false, empty)
		require.Empty(t, b.read(t, hashOf(nil)))
	})
}

func TestDedup(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		data := []byte("the same content")
		first := b.stage(t, data)
		require.NoError(t, b.st.Commit(b.ctx, first))
		b.st.Discard(b.ctx, false, first)

		second := b.stage(t, data)
		// The same content twice in one commit is stored once too.
		third := b.stage(t, data)
		require.NoError(t, b.st.Commit(b.ctx, second, third))
		require.False(t, second.Created())
		require.False(t, third.Created())
		require.Equal(t, []string{first.SHA256}, b.stored(t))
		b.st.Discard(b.ctx, false, second, third)
		require.Equal(t, data, b.read(t, first.SHA256))
		require.Empty(t, b.staged(t))
	})
}

func TestLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		exact, err := b.st.Stage(b.ctx, bytes.NewReader(make([]byte, 100)), 100)
		require.NoError(t, err)
		require.Equal(t, int64(100), exact.Size)
		b.st.Discard(b.ctx, false, exact)

		s, err := b.st.Stage(b.ctx, bytes.NewReader(make([]byte, 101)), 100)
		require.Nil(t, s)
		var tooLarge *blobstore.TooLargeError
		require.ErrorAs(t, err, &tooLarge)
		require.Equal(t, int64(100), tooLarge.Limit)
		require.EqualError(t, err, "blobstore: content is larger than the 100 bytes allowed")
		b.requireEmpty(t)

		// A reader that never ends stops at the limit.
		_, err = b.st.Stage(b.ctx, endless{}, 1<<20)
		require.ErrorAs(t, err, &tooLarge)
		b.requireEmpty(t)

		for _, limit := range []int64{0, -1} {
			_, err = b.st.Stage(b.ctx, bytes.NewReader(nil), limit)
			require.EqualError(t, err, fmt.Sprintf("blobstore: a limit of %d bytes: give a positive limit", limit))
		}
	})
}

type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestStageFailuresKeepNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		boom := errors.New("connection reset")
		_, err := b.st.Stage(b.ctx, io.MultiReader(bytes.NewReader([]byte("partial")), failing{boom}), 1<<20)
		require.Same(t, boom, err, "the reader's error is returned as it is")
		b.requireEmpty(t)

		ctx, cancel := context.WithCancel(b.ctx)
		cancel()
		_, err = b.st.Stage(ctx, bytes.NewReader([]byte("x")), 10)
		require.ErrorIs(t, err, context.Canceled)
		b.requireEmpty(t)

		// The staging folder removed behind the store's back is made again.
		require.NoError(t, os.RemoveAll(b.tmp))
		s := b.stage(t, []byte("again"))
		require.NoError(t, b.st.Commit(b.ctx, s))
		b.st.Discard(b.ctx, false, s)
		require.Equal(t, []byte("again"), b.read(t, s.SHA256))
	})
}

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

func TestDiscard(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		// Each case uses content of its own.
		t.Run("staged, without undo", func(t *testing.T) {
			s := b.stage(t, []byte("not wanted"))
			b.st.Discard(b.ctx, false, s)
			b.requireAbsent(t, s.SHA256)
			require.NotContains(t, b.stored(t), s.SHA256)
			require.EqualError(t, b.st.Commit(b.ctx, s), "blobstore: blob "+s.SHA256+" was discarded: stage it again")
		})
		t.Run("staged, with undo", func(t *testing.T) {
			s := b.stage(t, []byte("not wanted either"))
			b.st.Discard(b.ctx, true, s)
			require.NotContains(t, b.stored(t), s.SHA256)
		})
		t.Run("committed, with undo", func(t *testing.T) {
			s := b.stage(t, []byte("workflow did not start"))
			require.NoError(t, b.st.Commit(b.ctx, s))
			b.st.Discard(b.ctx, true, s)
			b.requireAbsent(t, s.SHA256)
			require.NotContains(t, b.stored(t), s.SHA256)
		})
		t.Run("committed, without undo", func(t *testing.T) {
			s := b.stage(t, []byte("workflow started"))
			require.NoError(t, b.st.Commit(b.ctx, s))
			b.st.Discard(b.ctx, false, s)
			b.st.Discard(b.ctx, true, s) // too late: ignored
			require.Equal(t, []byte("workflow started"), b.read(t, s.SHA256))
		})
		t.Run("done ctx", func(t *testing.T) {
			s := b.stage(t, []byte("cancelled request"))
			require.NoError(t, b.st.Commit(b.ctx, s))
			ctx, cancel := context.WithCancel(b.ctx)
			cancel()
			b.st.Discard(ctx, true, s)
			b.requireAbsent(t, s.SHA256)
		})
		require.Equal(t, []string{hashOf([]byte("workflow started"))}, b.stored(t))
		require.Empty(t, b.staged(t))
	})
}

func TestUndoNeverRemovesABlobThatExisted(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		data := []byte("held by an earlier dossier")
		earlier := b.stage(t, data)
		require.NoError(t, b.st.Commit(b.ctx, earlier))
		b.st.Discard(b.ctx, false, earlier)

		s := b.stage(t, data)
		require.NoError(t, b.st.Commit(b.ctx, s))
		require.False(t, s.Created())
		b.st.Discard(b.ctx, true, s)
		require.Equal(t, data, b.read(t, s.SHA256))

		// Nor one stored before the process started (another store on the
		// same storage).
		again := b.another(t)
		s2, err := again.Stage(b.ctx, bytes.NewReader(data), 100)
		require.NoError(t, err)
		require.NoError(t, again.Commit(b.ctx, s2))
		require.False(t, s2.Created())
		again.Discard(b.ctx, true, s2)
		require.Equal(t, data, b.read(t, s.SHA256))

		// A blob of another store cannot be committed here.
		require.EqualError(t, b.st.Commit(b.ctx, s2), "blobstore: blob "+s2.SHA256+" was not staged by this store")
	})
}

// A commit that found a blob another commit created, before that one was
// settled, keeps it through the creator's undo.
func TestUndoKeepsABlobAnotherCommitReliesOn(t *testing.T) {
	data := []byte("uploaded twice at once")
	eachStore(t, func(t *testing.T, b *testBundle) {
		for _, tc := range []struct {
			name        string
			reliersUndo bool
			wantKept    bool
		}{
			{"relier undone", true, false},
			{"relier kept", false, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				creator := b.stage(t, data)
				relier := b.stage(t, data)
				require.NoError(t, b.st.Commit(b.ctx, creator))
				require.NoError(t, b.st.Commit(b.ctx, relier))
				require.True(t, creator.Created())
				require.False(t, relier.Created())

				b.st.Discard(b.ctx, true, creator)
				require.Equal(t, data, b.read(t, creator.SHA256), "the relier still needs it")
				b.st.Discard(b.ctx, tc.reliersUndo, relier)
				if tc.wantKept {
					require.Equal(t, data, b.read(t, creator.SHA256))
				} else {
					b.requireAbsent(t, creator.SHA256)
					b.requireEmpty(t)
				}
			})
		}
	})

	eachStoreNamed(t, "same commit", func(t *testing.T, b *testBundle) {
		// Two components with the same file, undone together: removed.
		one, two := b.stage(t, data), b.stage(t, data)
		require.NoError(t, b.st.Commit(b.ctx, one, two))
		b.st.Discard(b.ctx, true, one, two)
		b.requireEmpty(t)
	})
}

// eachStoreNamed is eachStore in a subtest of its own.
func eachStoreNamed(t *testing.T, name string, test func(t *testing.T, b *testBundle)) {
	t.Run(name, func(t *testing.T) { eachStore(t, test) })
}

func TestFSCommitIsAllOrNothing(t *testing.T) {
	t.Parallel()
	b := fsBundle(t)
	a := b.stage(t, []byte("first"))
	var c *blobstore.Staged
	for i := 0; ; i++ { // a second blob in another shard
		c = b.stage(t, fmt.Appendf(nil, "second %d", i))
		if c.SHA256[:2] != a.SHA256[:2] {
			break
		}
		b.st.Discard(b.ctx, false, c)
	}
	// A file where c's shard folder should be makes its commit fail.
	blocker := filepath.Join(b.dir, c.SHA256[:2])
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))

	err := b.st.Commit(b.ctx, a, c)
	require.ErrorContains(t, err, "blobstore: committing "+c.SHA256)
	b.requireAbsent(t, a.SHA256)
	require.False(t, a.Created())

	// Both stay staged: once the way is clear, they commit.
	require.NoError(t, os.Remove(blocker))
	require.NoError(t, b.st.Commit(b.ctx, a, c))
	require.Equal(t, []byte("first"), b.read(t, a.SHA256))
	require.True(t, strings.HasPrefix(string(b.read(t, c.SHA256)), "second "))
	b.st.Discard(b.ctx, false, a, c)
	require.Len(t, listFiles(t, b.dir), 2)
}

// failingTable fails BlobAdd of one hash.
type failingTable struct {
	blobstore.Table
	fail string
}

func (f *failingTable) BlobAdd(ctx context.Context, sha string, size int64, content io.Reader) (bool, bool, error) {
	if sha == f.fail {
		return false, false, errors.New("connection lost")
	}
	return f.Table.BlobAdd(ctx, sha, size, content)
}

func TestDBCommitIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	table := &failingTable{Table: st}
	db, err := blobstore.NewDB(table, t.TempDir())
	require.NoError(t, err)
	stage := func(data string) *blobstore.Staged {
		s, err := db.Stage(ctx, strings.NewReader(data), 100)
		require.NoError(t, err)
		return s
	}
	// found is stored before; a is created by the failing commit, c fails.
	found := stage("found")
	require.NoError(t, db.Commit(ctx, found))
	db.Discard(ctx, false, found)
	a, found2, c := stage("first"), stage("found"), stage("second")
	table.fail = c.SHA256

	err = db.Commit(ctx, a, found2, c)
	require.EqualError(t, err, "blobstore: committing "+c.SHA256+": connection lost")
	for _, s := range []*blobstore.Staged{a, found2, c} {
		require.False(t, s.Created())
	}
	_, _, err = db.Open(ctx, a.SHA256)
	require.ErrorIs(t, err, blobstore.ErrNotFound, "what the failed commit created is removed again")
	_, ok, err := st.BlobSize(ctx, found.SHA256)
	require.NoError(t, err)
	require.True(t, ok, "what it found stays")

	// All stay staged: once the database answers, they commit.
	table.fail = ""
	require.NoError(t, db.Commit(ctx, a, found2, c))
	require.True(t, a.Created())
	require.False(t, found2.Created())
	require.True(t, c.Created())
	db.Discard(ctx, false, a, found2, c)
	require.Empty(t, listFiles(t, db.StagingDir()))
}

// A DB keeps its holders in the database: a commit in one process that
// found a blob a commit of another process created keeps it through that
// one's undo (an FS does not see the other process).
func TestDBUndoAcrossProcesses(t *testing.T) {
	data := []byte("uploaded to two API nodes at once")
	for _, k := range storeKinds[1:] {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			b := k.setup(t)
			other := b.another(t)
			creator := b.stage(t, data)
			require.NoError(t, b.st.Commit(b.ctx, creator))
			relier, err := other.Stage(b.ctx, bytes.NewReader(data), 100)
			require.NoError(t, err)
			require.NoError(t, other.Commit(b.ctx, relier))
			require.False(t, relier.Created())

			b.st.Discard(b.ctx, true, creator)
			require.Equal(t, data, b.read(t, creator.SHA256), "the other node still needs it")
			other.Discard(b.ctx, true, relier)
			b.requireAbsent(t, creator.SHA256)
			b.requireEmpty(t)
		})
	}
}

func TestOpenRejectsMalformedHashes(t *testing.T) {
	eachStore(t, func(t *testing.T, b *testBundle) {
		good := b.stage(t, []byte("a file"))
		require.NoError(t, b.st.Commit(b.ctx, good))
		b.st.Discard(b.ctx, false, good)
		if b.dir != "" {
			// Files a path trick could reach.
			outside := filepath.Join(filepath.Dir(b.dir), "secret")
			require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(b.dir, "x"), []byte("x"), 0o600))
		}

		for _, h := range []string{
			"",
			"../x",
			"../secret",
			"..%2fsecret",
			"..%2F" + good.SHA256[:59],
			filepath.Join(filepath.Dir(b.dir), "secret"),
			"/etc/passwd",
			strings.ToUpper(good.SHA256),
			good.SHA256[:63],
			good.SHA256 + "0",
			good.SHA256[:2] + "/" + good.SHA256[:61],
			good.SHA256[:63] + "g",
			good.SHA256[:63] + "\x00",
			" " + good.SHA256[1:],
			strings.Repeat("../", 30),
			blobstore.TmpDir,
			"' OR 1=1 --",
		} {
			t.Run(fmt.Sprintf("%q", h), func(t *testing.T) {
				f, _, err := b.st.Open(b.ctx, h)
				require.Nil(t, f)
				require.ErrorIs(t, err, blobstore.ErrNotFound)
				require.ErrorContains(t, err, "not a SHA-256 in lowercase hex")
			})
		}

		// A well-formed hash nobody stored.
		_, _, err := b.st.Open(b.ctx, hashOf([]byte("never stored")))
		require.ErrorIs(t, err, blobstore.ErrNotFound)
		require.EqualError(t, err, "blob "+hashOf([]byte("never stored"))+": blob not found")
		require.Equal(t, []byte("a file"), b.read(t, good.SHA256))
	})
}

func TestValidHash(t *testing.T) {
	t.Parallel()
	require.True(t, blobstore.ValidHash(hashOf(nil)))
	require.False(t, blobstore.ValidHash(strings.ToUpper(hashOf(nil))))
	require.False(t, blobstore.ValidHash(hashOf(nil)[:63]))
}

func TestConcurrentCommitsOfTheSameContent(t *testing.T) {
	data := bytes.Repeat([]byte("same scan "), 1000)
	for _, tc := range []struct {
		name string
		undo func(i int) bool
		kept bool
	}{
		{"all settle", func(int) bool { return false }, true},
		{"half undo", func(i int) bool { return i%2 == 0 }, true},
		{"all undo", func(int) bool { return true }, false},
	} {
		eachStoreNamed(t, tc.name, func(t *testing.T, b *testBundle) {
			const n = 16
			var wg sync.WaitGroup
			created := make([]bool, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					s, err := b.st.Stage(b.ctx, bytes.NewReader(data), 1<<20)
					if err != nil {
						errs[i] = err
						return
					}
					if errs[i] = b.st.Commit(b.ctx, s); errs[i] != nil {
						return
					}
					created[i] = s.Created()
					// The blob is whole and readable by every committer.
					f, size, err := b.st.Open(b.ctx, s.SHA256)
					if err != nil {
						errs[i] = err
						return
					}
					got, err := io.ReadAll(f)
					f.Close()
					if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
						errs[i] = fmt.Errorf("read %d bytes (size %d), %v", len(got), size, err)
						return
					}
					b.st.Discard(b.ctx, tc.undo(i), s)
				})
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			made := 0
			for _, c := range created {
				if c {
					made++
				}
			}
			if tc.name == "all settle" {
				require.Equal(t, 1, made, "exactly one commit creates the blob")
			} else {
				// An undo with nobody relying removes the blob: a later
				// commit creates it again.
				require.GreaterOrEqual(t, made, 1)
			}
			if tc.kept {
				require.Equal(t, data, b.read(t, hashOf(data)))
				require.Equal(t, []string{hashOf(data)}, b.stored(t))
				require.Empty(t, b.staged(t))
			} else {
				b.requireAbsent(t, hashOf(data))
				b.requireEmpty(t)
			}
		})
	}
}
