// Package blobstore keeps immutable blobs (a dossier's uploaded files)
// addressed by the SHA-256 of their content. A blob is staged first —
// copied, bounded and hashed while invisible — then committed under its
// hash; committing content that is already stored keeps the stored blob
// (each content is stored once). Nothing here knows about file types or
// dossiers: the caller checks a staged blob (its Size and Head) before it
// commits or discards it.
//
// The protocol, for every blob staged:
//
//	b, err := st.Stage(ctx, r, limit) // *TooLargeError when r is longer than limit
//	… check b.Size and b.Head; on a problem: st.Discard(ctx, false, b)
//	err = st.Commit(ctx, b)           // visible under b.SHA256
//	… record b.SHA256 elsewhere; when that fails: st.Discard(ctx, true, b)
//	st.Discard(ctx, false, b)         // when it succeeds: the blob stays
//
// Discard is safe to call more than once and after Commit; calling it in
// every case lets a store release what it tracks for a commit that could
// still be undone.
//
// Two stores implement the protocol: FS, a folder of the local file
// system, for one process (motcua dev, --blobs folder); and DB, the read
// model's tables, which every worker and API node of a cluster reaches
// (--blobs database). One contract test runs against both.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrNotFound is returned, wrapped, by Open when no blob has the hash, or
// when the hash is malformed. Test for it with errors.Is.
var ErrNotFound = errors.New("blob not found")

// HeadSize is how many first bytes of a blob Staged.Head keeps: what
// net/http.DetectContentType reads.
const HeadSize = 512

// Store keeps immutable blobs addressed by their SHA-256 (hex, lowercase).
// Its methods are safe for concurrent use; a Staged blob is used by one
// goroutine at a time.
type Store interface {
	// Stage copies r into a staged blob, at most limit bytes (limit must be
	// positive), hashing it. A reader longer than limit gives a
	// *TooLargeError and keeps nothing; an error of r is returned as it is,
	// and keeps nothing either. The staged blob is invisible until Commit.
	Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error)
	// Commit makes staged blobs visible under their hash, all or nothing
	// as far as possible: on an error the blobs this call created are
	// removed again and every blob stays staged, to be committed again or
	// discarded. A blob that already existed is left as it is (its content
	// is the same) and reported as not created (Staged.Created).
	// Committing a blob again does nothing.
	Commit(ctx context.Context, blobs ...*Staged) error
	// Discard drops staged blobs; with undo, it also removes the blobs
	// Commit created (used when what should refer to them, e.g. the
	// workflow, could not be started). It never removes a blob stored
	// before: one found stored, or committed and discarded without undo.
	// A blob that other commits found while its creator could still undo
	// goes only when its creator and all of them are undone. Without
	// undo, committed blobs stay for good. Discard does its work even when
	// ctx is done, and ignores nil blobs and blobs already discarded.
	Discard(ctx context.Context, undo bool, blobs ...*Staged)
	// Open reads a committed blob and returns its size. A hash that is not
	// 64 lowercase hex digits is never looked up: it gives ErrNotFound
	// (wrapped), as does a hash no blob has.
	Open(ctx context.Context, sha256 string) (io.ReadSeekCloser, int64, error)
}

// Staged is a blob copied and hashed by Stage and not yet committed or
// discarded. Its exported fields are for reading.
type Staged struct {
	// SHA256 is the hash of the content, 64 lowercase hex digits.
	SHA256 string
	// Size is the content's length in bytes (0 for an empty reader).
	Size int64
	// Head holds the first HeadSize bytes (fewer when the blob is
	// shorter), for content sniffing.
	Head []byte

	owner     Store
	tmp       string // the staged file; "" once committed or dropped
	committed bool   // Commit made the blob visible (created or found)
	created   bool   // Commit created the blob: it did not exist
	done      bool   // Discard was called: nothing more to do
	claim     *claim // an FS's tracking of a commit that could be undone
	held      bool   // a DB's commit counts among the blob's holders
}

// Created reports whether Commit created the blob; false when the content
// was already stored, and before Commit.
func (b *Staged) Created() bool { return b.created }

// TooLargeError is returned by Stage for a reader longer than the limit.
type TooLargeError struct {
	// Limit is the limit given to Stage, in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blobstore: content is larger than the %d bytes allowed", e.Limit)
}

// ValidHash reports whether h is a SHA-256 as the store names blobs: 64
// lowercase hex digits, nothing else.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// quoteHash quotes a hash for a message, cut short when it is long.
func quoteHash(h string) string {
	if len(h) > 80 {
		return fmt.Sprintf("%q…", h[:80])
	}
	return fmt.Sprintf("%q", h)
}
