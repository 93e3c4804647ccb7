package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/store"
)

// The tables of uploaded files and signed results (migration 00006); the
// protocols over them are tested with blobstore.DB and signing.ResultDB.
func TestBlobs(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		s := openStore(t, newDSN(t))
		sha := strings.Repeat("ab", 32)

		// Content of another length than announced stores nothing.
		_, _, err := s.BlobAdd(ctx, sha, 5, strings.NewReader("abc"))
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualError(t, err, "storing blob "+sha+": invalid parameter: the content ended after 3 of its 5 bytes")
		_, _, err = s.BlobAdd(ctx, sha, 2, strings.NewReader("abc"))
		require.EqualError(t, err, "storing blob "+sha+": invalid parameter: the content is longer than its 2 bytes")
		_, ok, err := s.BlobSize(ctx, sha)
		require.NoError(t, err)
		require.False(t, ok)

		// Created and held; found and held while the creator can undo.
		created, held, err := s.BlobAdd(ctx, sha, 3, strings.NewReader("abc"))
		require.NoError(t, err)
		require.True(t, created)
		require.True(t, held)
		created, held, err = s.BlobAdd(ctx, sha, 3, nil) // the content is not read
		require.NoError(t, err)
		require.False(t, created)
		require.True(t, held)
		removed, err := s.BlobRelease(ctx, sha, true)
		require.NoError(t, err)
		require.False(t, removed, "one holder left")
		removed, err = s.BlobRelease(ctx, sha, false)
		require.NoError(t, err)
		require.False(t, removed)

		// Kept for good: found without being held, never removed.
		created, held, err = s.BlobAdd(ctx, sha, 3, nil)
		require.NoError(t, err)
		require.False(t, created)
		require.False(t, held)
		removed, err = s.BlobRelease(ctx, sha, true)
		require.NoError(t, err)
		require.False(t, removed)
		size, ok, err := s.BlobSize(ctx, sha)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, int64(3), size)
		start, data, err := s.BlobRead(ctx, sha, 2)
		require.NoError(t, err)
		require.Zero(t, start)
		require.Equal(t, []byte("abc"), data)
		_, _, err = s.BlobRead(ctx, sha, 3)
		require.ErrorIs(t, err, store.ErrNotFound)

		// The last holder's undo removes the blob and its pieces.
		other := strings.Repeat("cd", 32)
		_, _, err = s.BlobAdd(ctx, other, 4, strings.NewReader("data"))
		require.NoError(t, err)
		removed, err = s.BlobRelease(ctx, other, true)
		require.NoError(t, err)
		require.True(t, removed)
		_, _, err = s.BlobRead(ctx, other, 0)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.BlobRelease(ctx, other, true)
		require.NoError(t, err, "releasing what is gone does nothing")
	})
}

func TestResults(t *testing.T) {
	t.Parallel()
	bulkDatabases(t, func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		s := openStore(t, newDSN(t))
		code := "A-250701-0001-KQ1"
		_, _, ok, err := s.ResultGet(ctx, code)
		require.NoError(t, err)
		require.False(t, ok)

		added, err := s.ResultAdd(ctx, code, []byte("doc"), []byte("sig"))
		require.NoError(t, err)
		require.True(t, added)
		added, err = s.ResultAdd(ctx, code, []byte("other"), []byte("other sig"))
		require.NoError(t, err)
		require.False(t, added, "never replaced")
		doc, sig, ok, err := s.ResultGet(ctx, code)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, []byte("doc"), doc)
		require.Equal(t, []byte("sig"), sig)

		_, err = s.ResultAdd(ctx, "A-250701-0002-KQ1", nil, []byte("sig"))
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = s.ResultAdd(ctx, "bad\x00-KQ1", []byte("doc"), []byte("sig"))
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}
