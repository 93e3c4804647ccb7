package blobstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Where the file system has no hard links, Commit renames, and an undo
// of a failed commit renames back.
func TestCommitWithoutHardLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fs, err := NewFS(filepath.Join(t.TempDir(), "files"))
	require.NoError(t, err)
	fs.link = func(string, string) error { return errors.ErrUnsupported }

	stage := func(data string) *Staged {
		t.Helper()
		s, err := fs.Stage(ctx, bytes.NewReader([]byte(data)), 100)
		require.NoError(t, err)
		return s
	}
	a := stage("first")
	require.NoError(t, fs.Commit(ctx, a))
	require.True(t, a.Created())
	dup := stage("first")
	require.NoError(t, fs.Commit(ctx, dup))
	require.False(t, dup.Created())
	fs.Discard(ctx, false, a, dup)

	// A failed commit puts the renamed blob back in staging.
	b := stage("second")
	c := stage("third")
	for c.SHA256[:2] == b.SHA256[:2] {
		fs.Discard(ctx, false, c)
		c = stage(c.SHA256)
	}
	blocker := filepath.Join(fs.dir, c.SHA256[:2])
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	require.Error(t, fs.Commit(ctx, b, c))
	_, _, err = fs.Open(ctx, b.SHA256)
	require.ErrorIs(t, err, ErrNotFound)
	require.FileExists(t, b.tmp)

	require.NoError(t, os.Remove(blocker))
	require.NoError(t, fs.Commit(ctx, b, c))
	fs.Discard(ctx, true, b, c)
	for _, s := range []*Staged{b, c} {
		_, _, err = fs.Open(ctx, s.SHA256)
		require.ErrorIs(t, err, ErrNotFound)
	}
	entries, err := os.ReadDir(fs.tmp)
	require.NoError(t, err)
	require.Empty(t, entries)
}
