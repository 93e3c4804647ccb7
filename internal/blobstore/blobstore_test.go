package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/blobstore"
)

type testBundle struct {
	dir string
	fs  *blobstore.FS
	ctx context.Context
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "files")
	fs, err := blobstore.NewFS(dir)
	require.NoError(t, err)
	return &testBundle{dir: dir, fs: fs, ctx: context.Background()}
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (b *testBundle) stage(tb testing.TB, data []byte) *blobstore.Staged {
	tb.Helper()
	s, err := b.fs.Stage(b.ctx, bytes.NewReader(data), 1<<20)
	require.NoError(tb, err)
	return s
}

// read opens a blob and returns its content, checking the size Open gives.
func (b *testBundle) read(tb testing.TB, sha string) []byte {
	tb.Helper()
	f, size, err := b.fs.Open(b.ctx, sha)
	require.NoError(tb, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(tb, err)
	require.Equal(tb, int64(len(data)), size)
	return data
}

func (b *testBundle) requireAbsent(tb testing.TB, sha string) {
	tb.Helper()
	_, _, err := b.fs.Open(b.ctx, sha)
	require.ErrorIs(tb, err, blobstore.ErrNotFound)
}

// files lists the regular files of the store, relative to it.
func (b *testBundle) files(tb testing.TB) []string {
	tb.Helper()
	var out []string
	require.NoError(tb, filepath.WalkDir(b.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(b.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	return out
}

func TestNewFSLayout(t *testing.T) {
	b := setup(t)
	for _, d := range []string{b.dir, filepath.Join(b.dir, blobstore.TmpDir)} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		require.True(t, fi.IsDir())
		require.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	}
	_, err := blobstore.NewFS("")
	require.EqualError(t, err, "blobstore: no folder given")
}

func TestRoundTrip(t *testing.T) {
	b := setup(t)
	data := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 1000)...)
	s := b.stage(t, data)
	require.Equal(t, hashOf(data), s.SHA256)
	require.Equal(t, int64(len(data)), s.Size)
	require.Equal(t, data[:blobstore.HeadSize], s.Head)
	require.False(t, s.Created())

	// Staged is invisible.
	b.requireAbsent(t, s.SHA256)
	require.Len(t, b.files(t), 1)
	require.True(t, strings.HasPrefix(b.files(t)[0], blobstore.TmpDir+"/"))

	require.NoError(t, b.fs.Commit(b.ctx, s))
	require.True(t, s.Created())
	require.Equal(t, data, b.read(t, s.SHA256))
	require.Equal(t, []string{s.SHA256[:2] + "/" + s.SHA256}, b.files(t), "stored at <sha[:2]>/<sha>, nothing left in .tmp")

	// Committing again does nothing; discarding without undo keeps it.
	require.NoError(t, b.fs.Commit(b.ctx, s))
	b.fs.Discard(b.ctx, false, s)
	b.fs.Discard(b.ctx, true, s) // already discarded: ignored
	require.Equal(t, data, b.read(t, s.SHA256))

	// Seekable.
	f, _, err := b.fs.Open(b.ctx, s.SHA256)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Seek(5, io.SeekStart)
	require.NoError(t, err)
	rest, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, data[5:], rest)
}

func TestShortAndEmptyBlobs(t *testing.T) {
	b := setup(t)
	s := b.stage(t, []byte("ab"))
	require.Equal(t, []byte("ab"), s.Head)
	empty := b.stage(t, nil)
	require.Zero(t, empty.Size)
	require.Empty(t, empty.Head)
	require.Equal(t, hashOf(nil), empty.SHA256)
	b.fs.Discard(b.ctx, false, s, empty, nil)
	require.Empty(t, b.files(t))
}

func TestDedup(t *testing.T) {
	b := setup(t)
	data := []byte("the same content")
	first := b.stage(t, data)
	require.NoError(t, b.fs.Commit(b.ctx, first))
	b.fs.Discard(b.ctx, false, first)

	second := b.stage(t, data)
	// The same content twice in one commit is stored once too.
	third := b.stage(t, data)
	require.NoError(t, b.fs.Commit(b.ctx, second, third))
	require.False(t, second.Created())
	require.False(t, third.Created())
	require.Equal(t, []string{first.SHA256[:2] + "/" + first.SHA256}, b.files(t))
	b.fs.Discard(b.ctx, false, second, third)
	require.Equal(t, data, b.read(t, first.SHA256))
}

func TestLimit(t *testing.T) {
	b := setup(t)
	exact, err := b.fs.Stage(b.ctx, bytes.NewReader(make([]byte, 100)), 100)
	require.NoError(t, err)
	require.Equal(t, int64(100), exact.Size)
	b.fs.Discard(b.ctx, false, exact)

	s, err := b.fs.Stage(b.ctx, bytes.NewReader(make([]byte, 101)), 100)
	require.Nil(t, s)
	var tooLarge *blobstore.TooLargeError
	require.ErrorAs(t, err, &tooLarge)
	require.Equal(t, int64(100), tooLarge.Limit)
	require.EqualError(t, err, "blobstore: content is larger than the 100 bytes allowed")
	require.Empty(t, b.files(t), "nothing kept")

	// A reader that never ends stops at the limit.
	_, err = b.fs.Stage(b.ctx, endless{}, 1<<20)
	require.ErrorAs(t, err, &tooLarge)
	require.Empty(t, b.files(t))

	for _, limit := range []int64{0, -1} {
		_, err = b.fs.Stage(b.ctx, bytes.NewReader(nil), limit)
		require.EqualError(t, err, fmt.Sprintf("blobstore: a limit of %d bytes: give a positive limit", limit))
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestStageFailuresKeepNothing(t *testing.T) {
	b := setup(t)
	boom := errors.New("connection reset")
	_, err := b.fs.Stage(b.ctx, io.MultiReader(bytes.NewReader([]byte("partial")), failing{boom}), 1<<20)
	require.Same(t, boom, err, "the reader's error is returned as it is")
	require.Empty(t, b.files(t))

	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	_, err = b.fs.Stage(ctx, bytes.NewReader([]byte("x")), 10)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, b.files(t))

	// .tmp removed behind the store's back is made again.
	require.NoError(t, os.RemoveAll(filepath.Join(b.dir, blobstore.TmpDir)))
	s := b.stage(t, []byte("again"))
	require.NoError(t, b.fs.Commit(b.ctx, s))
	b.fs.Discard(b.ctx, false, s)
}

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

func TestDiscard(t *testing.T) {
	t.Run("staged, without undo", func(t *testing.T) {
		b := setup(t)
		s := b.stage(t, []byte("not wanted"))
		b.fs.Discard(b.ctx, false, s)
		require.Empty(t, b.files(t))
		b.requireAbsent(t, s.SHA256)
		require.EqualError(t, b.fs.Commit(b.ctx, s), "blobstore: blob "+s.SHA256+" was discarded: stage it again")
	})
	t.Run("staged, with undo", func(t *testing.T) {
		b := setup(t)
		s := b.stage(t, []byte("not wanted"))
		b.fs.Discard(b.ctx, true, s)
		require.Empty(t, b.files(t))
	})
	t.Run("committed, with undo", func(t *testing.T) {
		b := setup(t)
		s := b.stage(t, []byte("workflow did not start"))
		require.NoError(t, b.fs.Commit(b.ctx, s))
		b.fs.Discard(b.ctx, true, s)
		b.requireAbsent(t, s.SHA256)
		require.Empty(t, b.files(t))
	})
	t.Run("committed, without undo", func(t *testing.T) {
		b := setup(t)
		s := b.stage(t, []byte("workflow started"))
		require.NoError(t, b.fs.Commit(b.ctx, s))
		b.fs.Discard(b.ctx, false, s)
		b.fs.Discard(b.ctx, true, s) // too late: ignored
		require.Equal(t, []byte("workflow started"), b.read(t, s.SHA256))
	})
	t.Run("done ctx", func(t *testing.T) {
		b := setup(t)
		s := b.stage(t, []byte("cancelled request"))
		require.NoError(t, b.fs.Commit(b.ctx, s))
		ctx, cancel := context.WithCancel(b.ctx)
		cancel()
		b.fs.Discard(ctx, true, s)
		require.Empty(t, b.files(t))
	})
}

func TestUndoNeverRemovesABlobThatExisted(t *testing.T) {
	b := setup(t)
	data := []byte("held by an earlier dossier")
	earlier := b.stage(t, data)
	require.NoError(t, b.fs.Commit(b.ctx, earlier))
	b.fs.Discard(b.ctx, false, earlier)

	s := b.stage(t, data)
	require.NoError(t, b.fs.Commit(b.ctx, s))
	require.False(t, s.Created())
	b.fs.Discard(b.ctx, true, s)
	require.Equal(t, data, b.read(t, s.SHA256))

	// Nor one stored before the process started (another FS on the folder).
	again, err := blobstore.NewFS(b.dir)
	require.NoError(t, err)
	s2, err := again.Stage(b.ctx, bytes.NewReader(data), 100)
	require.NoError(t, err)
	require.NoError(t, again.Commit(b.ctx, s2))
	require.False(t, s2.Created())
	again.Discard(b.ctx, true, s2)
	require.Equal(t, data, b.read(t, s.SHA256))

	// A blob of another store cannot be committed here.
	require.EqualError(t, b.fs.Commit(b.ctx, s2), "blobstore: blob "+s2.SHA256+" was not staged by this store")
}

// A commit that found a blob another commit created, before that one was
// settled, keeps it through the creator's undo.
func TestUndoKeepsABlobAnotherCommitReliesOn(t *testing.T) {
	data := []byte("uploaded twice at once")
	for _, tc := range []struct {
		name        string
		reliersUndo bool
		wantKept    bool
	}{
		{"relier kept", false, true},
		{"relier undone", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			creator := b.stage(t, data)
			relier := b.stage(t, data)
			require.NoError(t, b.fs.Commit(b.ctx, creator))
			require.NoError(t, b.fs.Commit(b.ctx, relier))
			require.True(t, creator.Created())
			require.False(t, relier.Created())

			b.fs.Discard(b.ctx, true, creator)
			require.Equal(t, data, b.read(t, creator.SHA256), "the relier still needs it")
			b.fs.Discard(b.ctx, tc.reliersUndo, relier)
			if tc.wantKept {
				require.Equal(t, data, b.read(t, creator.SHA256))
			} else {
				b.requireAbsent(t, creator.SHA256)
				require.Empty(t, b.files(t))
			}
		})
	}

	t.Run("same commit", func(t *testing.T) {
		// Two components with the same file, undone together: removed.
		b := setup(t)
		one, two := b.stage(t, data), b.stage(t, data)
		require.NoError(t, b.fs.Commit(b.ctx, one, two))
		b.fs.Discard(b.ctx, true, one, two)
		require.Empty(t, b.files(t))
	})
}

func TestCommitIsAllOrNothing(t *testing.T) {
	b := setup(t)
	a := b.stage(t, []byte("first"))
	var c *blobstore.Staged
	for i := 0; ; i++ { // a second blob in another shard
		c = b.stage(t, fmt.Appendf(nil, "second %d", i))
		if c.SHA256[:2] != a.SHA256[:2] {
			break
		}
		b.fs.Discard(b.ctx, false, c)
	}
	// A file where c's shard folder should be makes its commit fail.
	blocker := filepath.Join(b.dir, c.SHA256[:2])
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))

	err := b.fs.Commit(b.ctx, a, c)
	require.ErrorContains(t, err, "blobstore: committing "+c.SHA256)
	b.requireAbsent(t, a.SHA256)
	require.False(t, a.Created())

	// Both stay staged: once the way is clear, they commit.
	require.NoError(t, os.Remove(blocker))
	require.NoError(t, b.fs.Commit(b.ctx, a, c))
	require.Equal(t, []byte("first"), b.read(t, a.SHA256))
	require.True(t, strings.HasPrefix(string(b.read(t, c.SHA256)), "second "))
	b.fs.Discard(b.ctx, false, a, c)
	require.Len(t, b.files(t), 2)
}

func TestOpenRejectsMalformedHashes(t *testing.T) {
	b := setup(t)
	good := b.stage(t, []byte("a file"))
	require.NoError(t, b.fs.Commit(b.ctx, good))
	b.fs.Discard(b.ctx, false, good)
	// Files a path trick could reach.
	outside := filepath.Join(filepath.Dir(b.dir), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(b.dir, "x"), []byte("x"), 0o600))

	for _, h := range []string{
		"",
		"../x",
		"../secret",
		"..%2fsecret",
		"..%2F" + good.SHA256[:59],
		outside,
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
	} {
		t.Run(fmt.Sprintf("%q", h), func(t *testing.T) {
			f, _, err := b.fs.Open(b.ctx, h)
			require.Nil(t, f)
			require.ErrorIs(t, err, blobstore.ErrNotFound)
			require.ErrorContains(t, err, "not a SHA-256 in lowercase hex")
		})
	}

	// A well-formed hash nobody stored.
	_, _, err := b.fs.Open(b.ctx, hashOf([]byte("never stored")))
	require.ErrorIs(t, err, blobstore.ErrNotFound)
	require.EqualError(t, err, "blob "+hashOf([]byte("never stored"))+": blob not found")
	require.Equal(t, []byte("a file"), b.read(t, good.SHA256))
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
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			const n = 16
			var wg sync.WaitGroup
			created := make([]bool, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := b.fs.Stage(b.ctx, bytes.NewReader(data), 1<<20)
					if err != nil {
						errs[i] = err
						return
					}
					if errs[i] = b.fs.Commit(b.ctx, s); errs[i] != nil {
						return
					}
					created[i] = s.Created()
					// The blob is whole and readable by every committer.
					f, size, err := b.fs.Open(b.ctx, s.SHA256)
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
					b.fs.Discard(b.ctx, tc.undo(i), s)
				}()
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
				require.Len(t, b.files(t), 1)
			} else {
				b.requireAbsent(t, hashOf(data))
				require.Empty(t, b.files(t))
			}
		})
	}
}
