package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
)

// The uploaded files and the signed results (migration 00006), kept here
// when every node of a cluster must read them without a shared folder
// (--blobs database). The tables hold bytes and counters only: the
// protocols over them — staging, undo, idempotent issue — are
// blobstore.DB's and signing.ResultDB's, which take the Store as their
// table. Like the audit log, neither is rebuilt from projections.

// BlobChunkSize is the size of the pieces BlobAdd stores a blob's content
// in (the last piece is shorter): what BlobAdd and BlobRead hold in memory
// at once.
const BlobChunkSize = 1 << 20

// maxBlobAddTries bounds how often BlobAdd starts again when the blob it
// found was removed before it could count itself among the holders.
const maxBlobAddTries = 20

// BlobAdd stores the content of a blob under its SHA-256 (64 lowercase
// hex digits, which the caller computed: the store does not check them)
// unless a blob of that hash is stored. content is read, in pieces of
// BlobChunkSize, only when the blob is created, and must give exactly size
// bytes; the blob is visible once it is whole.
//
// created reports that this call stored the blob. held reports that the
// call counts among the blob's holders, the commits that could still be
// undone: always when it created the blob, and when it found a blob
// whose holders have not settled yet; a blob kept for good is found
// without being held. Each holding call must be followed by one
// BlobRelease; a holder that never releases (a crash) leaves the blob for
// good.
func (s *Store) BlobAdd(ctx context.Context, sha256 string, size int64, content io.Reader) (created, held bool, err error) {
	if err := checkText("blob hash", sha256); err != nil {
		return false, false, fmt.Errorf("storing blob: %w", err)
	}
	if size < 0 {
		return false, false, fmt.Errorf("storing blob %s: %w: size %d", sha256, ErrInvalid, size)
	}
	for range maxBlobAddTries {
		var gone bool
		created, held, gone, err = s.blobAdd(ctx, sha256, size, content)
		if err != nil {
			return false, false, fmt.Errorf("storing blob %s: %w", sha256, err)
		}
		if !gone {
			return created, held, nil
		}
	}
	return false, false, fmt.Errorf("storing blob %s: removed and added again %d times meanwhile; try again", sha256, maxBlobAddTries)
}

// blobAdd is one try of BlobAdd; gone reports that the blob it found was
// removed before it could hold it.
func (s *Store) blobAdd(ctx context.Context, sha256 string, size int64, content io.Reader) (created, held, gone bool, err error) {
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return false, false, false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO blobs (sha256, size, pending, kept, created_at)
		VALUES (?, ?, 1, ?, ?) ON CONFLICT (sha256) DO NOTHING`), sha256, size, s.boolArg(false), s.at(time.Now()))
	if err != nil {
		return false, false, false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, false, false, err
	} else if n == 1 {
		if err := s.blobChunksInsert(ctx, tx, sha256, size, content); err != nil {
			return false, false, false, err
		}
		return true, true, false, tx.Commit()
	}
	// Stored already: hold it while its holders have not settled.
	res, err = tx.ExecContext(ctx, s.rebind(`UPDATE blobs SET pending = pending + 1 WHERE sha256 = ? AND kept = ?`),
		sha256, s.boolArg(false))
	if err != nil {
		return false, false, false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, false, false, err
	} else if n == 1 {
		return false, true, false, tx.Commit()
	}
	var kept bool
	switch err := tx.GetContext(ctx, &kept, s.rebind(`SELECT kept FROM blobs WHERE sha256 = ?`), sha256); {
	case errors.Is(err, sql.ErrNoRows):
		return false, false, true, nil // removed by an undo meanwhile
	case err != nil:
		return false, false, false, err
	case !kept:
		// Removed by an undo and added again by another commit between
		// the two statements (on PostgreSQL each statement reads its own
		// snapshot): this call is no holder yet, so it tries again.
		return false, false, true, nil
	}
	return false, false, false, tx.Commit() // kept for good
}

// blobChunksInsert writes the content of a blob being created.
func (s *Store) blobChunksInsert(ctx context.Context, tx *sqlx.Tx, sha256 string, size int64, content io.Reader) error {
	if content == nil {
		content = eofReader{}
	}
	q := s.rebind(`INSERT INTO blob_chunks (sha256, pos, data) VALUES (?, ?, ?)`)
	buf := make([]byte, min(size, BlobChunkSize))
	var pos int64
	for pos < size {
		n, err := io.ReadFull(content, buf[:min(size-pos, BlobChunkSize)])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: the content ended after %d of its %d bytes", ErrInvalid, pos+int64(n), size)
			}
			return fmt.Errorf("reading the content: %w", err)
		}
		if _, err := tx.ExecContext(ctx, q, sha256, pos, buf[:n]); err != nil {
			return err
		}
		pos += int64(n)
	}
	var one [1]byte
	switch n, err := content.Read(one[:]); {
	case n > 0:
		return fmt.Errorf("%w: the content is longer than its %d bytes", ErrInvalid, size)
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("reading the content: %w", err)
	}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// BlobRelease settles one holder of a blob (see BlobAdd). Without undo the
// blob is kept for good. With undo the holder lets go: the blob is removed
// when no holder is left and none settled without undo; removed reports
// it. Releasing a blob nobody holds, or that is gone, does nothing.
func (s *Store) BlobRelease(ctx context.Context, sha256 string, undo bool) (removed bool, err error) {
	removed, err = s.blobRelease(ctx, sha256, undo)
	if err != nil {
		return false, fmt.Errorf("releasing blob %s: %w", sha256, err)
	}
	return removed, nil
}

func (s *Store) blobRelease(ctx context.Context, sha256 string, undo bool) (bool, error) {
	if !undo {
		_, err := s.write.ExecContext(ctx, s.rebind(`UPDATE blobs SET kept = ?, pending = pending - 1
			WHERE sha256 = ? AND pending > 0`), s.boolArg(true), sha256)
		return false, err
	}
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE blobs SET pending = pending - 1 WHERE sha256 = ? AND pending > 0`),
		sha256); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM blobs WHERE sha256 = ? AND pending = 0 AND kept = ?`),
		sha256, s.boolArg(false))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 1 {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM blob_chunks WHERE sha256 = ?`), sha256); err != nil {
			return false, err
		}
	}
	return n == 1, tx.Commit()
}

// BlobSize returns the size of a stored blob; ok is false when no blob has
// that hash.
func (s *Store) BlobSize(ctx context.Context, sha256 string) (size int64, ok bool, err error) {
	err = s.read.GetContext(ctx, &size, s.rebind(`SELECT size FROM blobs WHERE sha256 = ?`), sha256)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("reading blob %s: %w", sha256, err)
	}
	return size, true, nil
}

// BlobRead returns the piece of a blob's content that holds the byte at
// offset pos, and the offset of the piece's first byte. A blob that is
// not stored, or an offset past its end, is ErrNotFound.
func (s *Store) BlobRead(ctx context.Context, sha256 string, pos int64) (start int64, data []byte, err error) {
	var row struct {
		Pos  int64  `db:"pos"`
		Data []byte `db:"data"`
	}
	err = s.read.GetContext(ctx, &row, s.rebind(`SELECT pos, data FROM blob_chunks
		WHERE sha256 = ? AND pos <= ? ORDER BY pos DESC LIMIT 1`), sha256, pos)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, fmt.Errorf("reading blob %s at %d: %w", sha256, pos, ErrNotFound)
	case err != nil:
		return 0, nil, fmt.Errorf("reading blob %s at %d: %w", sha256, pos, err)
	}
	if pos >= row.Pos+int64(len(row.Data)) {
		return 0, nil, fmt.Errorf("reading blob %s at %d: %w: no piece holds the offset", sha256, pos, ErrNotFound)
	}
	return row.Pos, row.Data, nil
}

// ResultAdd stores a signed result — its document and detached
// signature — under its code, unless a result of that code is stored:
// added is false then, and the stored result is left as it is (ResultGet
// reads it). A stored result is never replaced.
func (s *Store) ResultAdd(ctx context.Context, code string, doc, sig []byte) (added bool, err error) {
	if err := checkText("result code", code); err != nil {
		return false, fmt.Errorf("storing result: %w", err)
	}
	if len(doc) == 0 || len(sig) == 0 {
		return false, fmt.Errorf("storing result %s: %w: an empty document or signature", code, ErrInvalid)
	}
	res, err := s.write.ExecContext(ctx, s.rebind(`INSERT INTO results (code, document, signature, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`), code, doc, sig, s.at(time.Now()))
	if err != nil {
		return false, fmt.Errorf("storing result %s: %w", code, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storing result %s: %w", code, err)
	}
	return n == 1, nil
}

// ResultGet returns the document and signature of a stored result; ok is
// false when no result has that code.
func (s *Store) ResultGet(ctx context.Context, code string) (doc, sig []byte, ok bool, err error) {
	var row struct {
		Doc []byte `db:"document"`
		Sig []byte `db:"signature"`
	}
	err = s.read.GetContext(ctx, &row, s.rebind(`SELECT document, signature FROM results WHERE code = ?`), code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil, false, nil
	case err != nil:
		return nil, nil, false, fmt.Errorf("reading result %s: %w", code, err)
	}
	return row.Doc, row.Sig, true, nil
}
