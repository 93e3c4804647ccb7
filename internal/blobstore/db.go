package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Table is where a DB keeps its blobs: the read model's blobs and
// blob_chunks tables (*store.Store implements it; see Store.BlobAdd there
// for the exact contract of each method).
type Table interface {
	// BlobAdd stores size bytes of content under sha256 unless a blob of
	// that hash is stored. created: this call stored it; held: this call
	// counts among the holders that could still undo (always when
	// created; when found, unless the blob is kept for good). Each holding
	// call is followed by one BlobRelease.
	BlobAdd(ctx context.Context, sha256 string, size int64, content io.Reader) (created, held bool, err error)
	// BlobRelease settles a holder: without undo the blob is kept for
	// good; with undo it is removed when no holder is left and none
	// settled without undo.
	BlobRelease(ctx context.Context, sha256 string, undo bool) (removed bool, err error)
	// BlobSize returns a stored blob's size; ok is false when none has
	// the hash.
	BlobSize(ctx context.Context, sha256 string) (size int64, ok bool, err error)
	// BlobRead returns the piece of a blob's content holding the byte at
	// offset pos, and the offset of the piece's first byte.
	BlobRead(ctx context.Context, sha256 string, pos int64) (start int64, data []byte, err error)
}

// releaseTimeout bounds the database work of a Discard, which runs even
// when the caller's context is done.
const releaseTimeout = 30 * time.Second

// DB is a Store in a database table shared by every process that reaches
// the database — the workers and API nodes of a cluster — so that none
// needs a shared folder. A blob is staged in a temporary file of a local
// folder (its memory use stays bounded whatever the limit), and Commit
// copies it into the table in pieces, each blob in one transaction, so a
// blob is either absent or whole.
//
// Unlike FS, a DB keeps the undo bookkeeping in the table: a commit that
// finds a blob another commit created, in this process or another, holds
// it until it is discarded, and Discard with undo removes the blob only
// when every holder is undone. A holder that never discards (a crash)
// leaves the blob for good. Commits of several blobs are not one
// transaction: on an error, Commit undoes what it did for the blobs
// before.
type DB struct {
	t   Table
	tmp string
}

var _ Store = (*DB)(nil)

// NewDB returns the store over table t, staging blobs in tmpDir (created,
// mode 0o750, when it does not exist); an empty tmpDir means the system's
// temporary folder (os.TempDir). Give a folder on disk where that one is
// in memory (tmpfs): a staged blob is as large as its limit.
func NewDB(t Table, tmpDir string) (*DB, error) {
	if t == nil {
		return nil, errors.New("blobstore: no table given")
	}
	if tmpDir == "" {
		tmpDir = os.TempDir()
	}
	if err := os.MkdirAll(tmpDir, 0o750); err != nil {
		return nil, fmt.Errorf("blobstore: the staging folder: %w", err)
	}
	return &DB{t: t, tmp: tmpDir}, nil
}

// StagingDir returns the folder blobs are staged in.
func (d *DB) StagingDir() string { return d.tmp }

// Stage implements Store.
func (d *DB) Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error) {
	// Not synced: the file is copied into the database, never renamed.
	b, err := stage(ctx, d.tmp, r, limit, false)
	if err != nil {
		return nil, err
	}
	b.owner = d
	return b, nil
}

// Commit implements Store.
func (d *DB) Commit(ctx context.Context, blobs ...*Staged) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, b := range blobs {
		switch {
		case b == nil:
			return errors.New("blobstore: commit of a nil blob")
		case b.owner != d:
			return fmt.Errorf("blobstore: blob %s was not staged by this store", b.SHA256)
		case b.done && !b.committed:
			return fmt.Errorf("blobstore: blob %s was discarded: stage it again", b.SHA256)
		}
	}
	var done []dbAdded
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			if done[i].held {
				d.release(ctx, done[i].b.SHA256, true)
			}
		}
	}
	for _, b := range blobs {
		if b.committed || containsAdded(done, b) {
			continue
		}
		created, held, err := d.add(ctx, b)
		if err != nil {
			undo()
			return fmt.Errorf("blobstore: committing %s: %w", b.SHA256, err)
		}
		done = append(done, dbAdded{b, created, held})
	}
	for _, a := range done {
		os.Remove(a.b.tmp)
		a.b.tmp, a.b.committed, a.b.created, a.b.held = "", true, a.created, a.held
	}
	return nil
}

// add copies a staged blob's file into the table.
func (d *DB) add(ctx context.Context, b *Staged) (created, held bool, err error) {
	f, err := os.Open(b.tmp)
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	return d.t.BlobAdd(ctx, b.SHA256, b.Size, f)
}

// release settles a holder, even when ctx is done; an error leaves the
// blob stored, which is the safe side.
func (d *DB) release(ctx context.Context, sha string, undo bool) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_, _ = d.t.BlobRelease(rctx, sha, undo)
}

// dbAdded is what Commit did with one blob, to undo it on an error.
type dbAdded struct {
	b             *Staged
	created, held bool
}

func containsAdded(done []dbAdded, b *Staged) bool {
	for _, a := range done {
		if a.b == b {
			return true
		}
	}
	return false
}

// Discard implements Store.
func (d *DB) Discard(ctx context.Context, undo bool, blobs ...*Staged) {
	for _, b := range blobs {
		if b == nil || b.owner != d || b.done {
			continue
		}
		b.done = true
		if b.tmp != "" {
			os.Remove(b.tmp)
			b.tmp = ""
		}
		if b.held {
			b.held = false
			d.release(ctx, b.SHA256, undo)
		}
	}
}

// Open implements Store. The blob is read piece by piece as the reader
// is read; a blob removed meanwhile (an undo) gives a read error.
func (d *DB) Open(ctx context.Context, sha string) (io.ReadSeekCloser, int64, error) {
	if !ValidHash(sha) {
		return nil, 0, fmt.Errorf("blob %s: not a SHA-256 in lowercase hex: %w", quoteHash(sha), ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	size, ok, err := d.t.BlobSize(ctx, sha)
	if err != nil {
		return nil, 0, fmt.Errorf("blobstore: %w", err)
	}
	if !ok {
		return nil, 0, fmt.Errorf("blob %s: %w", sha, ErrNotFound)
	}
	return &dbBlob{ctx: context.WithoutCancel(ctx), t: d.t, sha: sha, size: size}, size, nil
}

// dbBlob reads a blob of a DB, holding one piece at a time.
type dbBlob struct {
	ctx    context.Context
	t      Table
	sha    string
	size   int64
	off    int64
	start  int64  // offset of the piece's first byte
	piece  []byte // the piece last read
	closed bool
}

func (r *dbBlob) Read(p []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.off < r.start || r.off >= r.start+int64(len(r.piece)) {
		start, data, err := r.t.BlobRead(r.ctx, r.sha, r.off)
		if err != nil {
			return 0, fmt.Errorf("blobstore: %w", err)
		}
		if r.off < start || r.off >= start+int64(len(data)) {
			return 0, fmt.Errorf("blobstore: blob %s: no piece holds offset %d", r.sha, r.off)
		}
		r.start, r.piece = start, data
	}
	rest := r.piece[r.off-r.start:]
	if left := r.size - r.off; int64(len(rest)) > left {
		rest = rest[:left]
	}
	n := copy(p, rest)
	r.off += int64(n)
	return n, nil
}

func (r *dbBlob) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("blobstore: seek: whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("blobstore: seek to %d: before the start", abs)
	}
	r.off = abs
	return abs, nil
}

func (r *dbBlob) Close() error {
	if r.closed {
		return os.ErrClosed
	}
	r.closed, r.piece = true, nil
	return nil
}
