package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// stage copies r into a new temporary file in dir (made again, 0o750, if
// someone removed it), at most limit bytes, hashing it, and returns the
// staged blob without its owner; with sync, the file is synced before
// stage returns. It keeps nothing on an error. Stage of every Store.
func stage(ctx context.Context, dir string, r io.Reader, limit int64, sync bool) (*Staged, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("blobstore: a limit of %d bytes: give a positive limit", limit)
	}
	if r == nil {
		return nil, errors.New("blobstore: no reader to stage")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tf, err := os.CreateTemp(dir, "blob-*")
	if errors.Is(err, fs.ErrNotExist) { // someone removed the folder
		if err = os.MkdirAll(dir, 0o750); err == nil {
			tf, err = os.CreateTemp(dir, "blob-*")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: staging: %w", err)
	}
	drop := func() {
		tf.Close()
		os.Remove(tf.Name())
	}
	src := &ctxReader{ctx: ctx, r: r}
	h := sha256.New()
	head := &headWriter{max: HeadSize}
	n, err := io.Copy(io.MultiWriter(tf, h, head), io.LimitReader(src, limit))
	if err == nil && n == limit {
		// One more byte tells whether r is longer than limit.
		var one [1]byte
		switch m, rerr := io.ReadAtLeast(src, one[:], 1); {
		case m > 0:
			drop()
			return nil, &TooLargeError{Limit: limit}
		case rerr != io.EOF:
			err = rerr
		}
	}
	if err != nil {
		drop()
		if src.err != nil {
			return nil, src.err // the reader's, as it is
		}
		return nil, fmt.Errorf("blobstore: staging: %w", err)
	}
	if sync {
		if err := tf.Sync(); err != nil {
			drop()
			return nil, fmt.Errorf("blobstore: staging: %w", err)
		}
	}
	if err := tf.Close(); err != nil {
		os.Remove(tf.Name())
		return nil, fmt.Errorf("blobstore: staging: %w", err)
	}
	return &Staged{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Head: head.b, tmp: tf.Name()}, nil
}

// ctxReader reads r until ctx is done, and remembers r's error.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// headWriter keeps the first bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
